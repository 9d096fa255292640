"""A club whose assignment log gives the renewals page one line of each kind: the programme and a tool that help,
a tool without evidence yet, one not measured (a 0% holdout), one whose held-out share is far from its share in
force (a sample-ratio alarm), with staff calls so that a tool has a cost. Rows are inserted in bulk: hundreds of
cycles, each ended in December 2025 (decided by TODAY, 10 March 2026) with its renewal sold or not."""
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.engine import club_rules
from clubcrm.models import PROGRAMME, Assignment, Member, Membership, Rule, Tool, Touchpoint

LINE = re.compile(r'<tr class="verdict-line[^"]*" data-key="([^"]+)"\s+data-verdict="([^"]*)" '
                  r'data-difference="([^"]*)" data-low="([^"]*)" data-high="([^"]*)">(.*?)</tr>', re.S)
START = date(2025, 12, 1)
PERIOD = ("2025-12-01", "2026-02-28")
QUERY = f"start={PERIOD[0]}&end={PERIOD[1]}"
# tool key: (share in force, exposed renewed, exposed n, held renewed, held n, calls done on exposed cycles)
LAYOUT = {
    PROGRAMME: (5, 300, 380, 2, 20, 0),
    "silence": (10, 240, 300, 12, 40, 60),
    "renewal_offer": (10, 30, 45, 3, 5, 0),
    "birthday": (0, 20, 30, 0, 0, 0),
    "welcome": (10, 60, 100, 60, 100, 0),
}


def build(make, club=None) -> dict:
    """Fill CLUB (the factory's default club) as LAYOUT says; return {tool key: its tool id (None: programme)}."""
    club = club or make.default_club
    with unit_of_work():
        rules = club_rules(club)
    plan = make.plan(club=club, name="Month", duration_days=30, price_minor=5900)
    member = make.member(club=club)
    tool_ids = dict(db.session.execute(select(Tool.key, Tool.id).where(Tool.club_id == club.id)).all())
    call_rule = next(r for r in rules if r.channel == "task")
    base = {"club_id": club.id, "member_id": member.id, "plan_id": plan.id, "price_minor": 5900, "currency": "EUR",
            "sold_at": datetime(2025, 12, 1, 10, tzinfo=UTC)}
    for key, (share, x1, n1, x0, n0, calls) in LAYOUT.items():
        arms = [(False, i < x1) for i in range(n1)] + [(True, i < x0) for i in range(n0)]
        with unit_of_work():
            # The programme's unit is a member's draw for the year: one member per programme cycle.
            people = db.session.execute(
                insert(Member).returning(Member.id, sort_by_parameter_order=True),
                [{"club_id": club.id, "first_name": "Draw", "last_name": str(i)} for i in range(len(arms))]
            ).scalars().all() if key == PROGRAMME else [member.id] * len(arms)
            ids = db.session.execute(
                insert(Membership).returning(Membership.id, sort_by_parameter_order=True),
                [{**base, "member_id": who, "starts_on": START, "ends_on": START + timedelta(days=29)}
                 for who in people]).scalars().all()
            tool_id = tool_ids.get(key) if key != PROGRAMME else None
            db.session.execute(insert(Assignment), [
                {"club_id": club.id, "member_id": who, "kind": "member", "membership_id": m, "tool_key": key,
                 "tool_id": tool_id, "held": held, "share_pct": share, "first_on": START}
                for who, m, (held, _renewed) in zip(people, ids, arms, strict=True)])
            db.session.execute(insert(Membership), [
                {**base, "member_id": who, "renews_id": m, "starts_on": START + timedelta(days=30),
                 "ends_on": START + timedelta(days=59)}
                for who, m, (_held, renewed) in zip(people, ids, arms, strict=True) if renewed])
            if calls:
                rule_id = db.session.scalar(select(Rule.id).where(Rule.club_id == club.id, Rule.tool_id == tool_id,
                                                                  Rule.channel == "task")) or call_rule.id
                db.session.execute(insert(Touchpoint), [
                    {"club_id": club.id, "member_id": member.id, "membership_id": m, "tool_id": tool_id,
                     "rule_id": rule_id, "occurrence": 0, "stage": "active", "channel": "task", "status": "done",
                     "outcome": "reached", "due_on": START + timedelta(days=10), "facts": {},
                     "planned_at": datetime(2025, 12, 11, 8, tzinfo=UTC)}
                    for m in ids[:calls]])
    with unit_of_work():
        for key, (share, *_counts) in LAYOUT.items():
            if key != PROGRAMME:
                db.session.get(Tool, tool_ids[key]).holdout_pct = share
    return tool_ids


def page_lines(text: str) -> list[dict]:
    """The renewals page's verdict lines: key, verdict, difference, low, high (as the CSV writes them), the row's
    HTML."""
    return [{"key": k, "verdict": v, "difference": d, "low": lo, "high": hi, "html": body}
            for k, v, d, lo, hi, body in LINE.findall(text)]
