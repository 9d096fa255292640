"""Each simulated member's own response to each tool (the simulator's renewals and its truth, truth.py, are built
from these, never from the report's code).

A member's response to a tool is drawn once (per simulation seed, member and tool, independent of everything
else): ANNOYED (a lower renewal chance, and some reply STOP to its SMS), MOVED (a higher one) or nothing, in shares
whose population mean is the tool's configured effect (SimConfig.moved_share)."""
from __future__ import annotations

import random
from dataclasses import dataclass

from clubcrm.simulation.config import SimConfig


@dataclass(frozen=True)
class Response:
    effect: float       # on the renewal probability of a cycle the tool reached
    stops: bool         # replies STOP to the tool's SMS


NOTHING = Response(0.0, False)


class Responses:
    def __init__(self, cfg: SimConfig):
        self.cfg = cfg
        self.means = {tool: points / 100 for tool, points in cfg.effects.items()}
        self._drawn: dict[tuple[int, str], Response] = {}

    def of(self, member_id: int, tool: str) -> Response:
        key = (member_id, tool)
        response = self._drawn.get(key)
        if response is None:
            response = self._drawn[key] = self._draw(member_id, tool)
        return response

    def _draw(self, member_id: int, tool: str) -> Response:
        cfg = self.cfg
        rng = random.Random(f"{cfg.seed}:{member_id}:{tool}")
        u = rng.random()
        if u < cfg.annoyed_share:
            return Response(cfg.annoyed_effect, rng.random() < cfg.stop_share)
        if u < cfg.annoyed_share + cfg.moved_share(self.means.get(tool, 0.0)):
            return Response(cfg.moved_effect, False)
        return NOTHING

