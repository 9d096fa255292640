"""A fixed-window rate limit per key (an API token, or a client address), kept in this process's memory.

Each process counts on its own: with N gunicorn workers a client can make up to N times the limit. That is
enough to stop a runaway turnstile script or a token-guessing loop; a shared store is not worth its upkeep yet.
"""
import math
import threading
from dataclasses import dataclass, field

from clubcrm.clock import utcnow

WINDOW_SECONDS = 60
# Forget windows that ended this long ago, so a stream of one-off addresses cannot grow the table forever.
_SWEEP_EVERY = 1000


@dataclass
class RateLimiter:
    """Count hits per key in fixed one-minute windows; refuse the hits beyond LIMIT in a window."""

    limit: int
    _counts: dict[str, tuple[int, int]] = field(default_factory=dict)   # key -> (window number, hits)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hits: int = 0

    def hit(self, key: str) -> int | None:
        """Count one request for KEY; return None if it may go ahead, else the seconds to wait."""
        now = utcnow().timestamp()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            self._hits += 1
            if self._hits % _SWEEP_EVERY == 0:
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window}
            seen, count = self._counts.get(key, (window, 0))
            if seen != window:
                count = 0
            count += 1
            self._counts[key] = (window, count)
        if count <= self.limit:
            return None
        return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
