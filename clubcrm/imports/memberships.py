"""Importing memberships from another system: each row a contract (member, plan by name, start, end, price, frozen
until) checked against the sales rules, consecutive contracts linked as renewals by the renewal window."""
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from clubcrm.clock import local_today, utcnow
from clubcrm.errors import InvalidInput
from clubcrm.extensions import db
from clubcrm.formatting import day as shown_day
from clubcrm.imports.history_rows import read_rows
from clubcrm.imports.history_values import by_name, read_day, read_named, read_price
from clubcrm.imports.reading import Table
from clubcrm.imports.rows import Refusal
from clubcrm.imports.run import Checked, refuse_history_if_closed
from clubcrm.models import Club, Freeze, LeadCycle, Member, Membership, Plan, Staff
from clubcrm.services import audit
from clubcrm.services.contracts import is_live
from clubcrm.services.sales import renewal_target
from clubcrm.services.sessions import local_midnight

# As a sale: a contract can start at most this many days ahead.
MAX_DAYS_AHEAD = 90


def check(club: Club, table: Table, fields: list[str | None],
          progress: Callable[[int], None] | None = None) -> Checked:
    """Check every contract of TABLE: its member, its plan, its dates and price, no overlap with another contract
    of the member (in ClubCRM or the file); write nothing. Each row's values carry its renewal link. A closed club
    is refused whole."""
    refuse_history_if_closed(club)
    today = local_today(club.timezone)
    plans = by_name(Plan, club.id)
    checked = Checked(total=len(table.records))

    def read(raw: dict[str, str]) -> dict:
        plan = read_named(plans, raw.get("plan"), "plan",
                          _l("No plan of the club has this name: add it under Settings → Plans first."),
                          _l("Enter the plan's name."))
        starts_on = read_day(raw.get("starts_on", ""), "starts_on", today)
        if starts_on is None:
            raise InvalidInput("starts_on", _l("Enter the first day of the membership."))
        ends_on = read_day(raw.get("ends_on", ""), "ends_on", today)
        if ends_on is None:
            ends_on = starts_on + timedelta(days=plan.duration_days - 1)
        if ends_on < starts_on:
            raise InvalidInput("ends_on", _l("The last day cannot be before the first."))
        if starts_on > today + timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidInput("starts_on", _l("A membership can start at most 90 days ahead."))
        price = read_price(raw.get("price", ""), club.currency)
        frozen_until = read_day(raw.get("frozen_until", ""), "frozen_until", today)
        if frozen_until is not None and not starts_on <= frozen_until <= ends_on:
            raise InvalidInput("frozen_until", _l("A freeze must end inside the membership."))
        # Where the contract may be used is the plan's, as in a sale: a chain plan's opens every club's desk.
        return {"plan_id": plan.id, "plan": plan.name, "visit_limit": plan.visit_limit, "chain_wide": plan.chain_wide,
                "starts_on": starts_on, "ends_on": ends_on, "price_minor": plan.price_minor if price is None else price,
                "frozen_until": frozen_until}

    rows = read_rows(club, table, fields, read, checked, progress)
    existing: dict[int, list[Membership]] = defaultdict(list)
    member_ids = sorted({member.id for _line, _values, member in rows})
    for start in range(0, len(member_ids), 1000):
        for membership in db.session.scalars(select(Membership).where(
                Membership.member_id.in_(member_ids[start:start + 1000]))):
            if is_live(membership, today):
                existing[membership.member_id].append(membership)
    by_member: dict[int, list[tuple[int, dict, Member]]] = defaultdict(list)
    for row in rows:
        by_member[row[2].id].append(row)
    for member_id, member_rows in by_member.items():
        # Oldest first: each contract's renewal link is decided on the ones before it, as a sale would be.
        history = [SimpleNamespace(id=m.id, starts_on=m.starts_on, ends_on=m.ends_on, cancelled_on=None, line=None)
                   for m in existing[member_id]]
        for line, values, member in sorted(member_rows, key=lambda r: (r[1]["starts_on"], r[0])):
            clash = next((h for h in history if h.starts_on <= values["ends_on"] and values["starts_on"] <= h.ends_on),
                         None)
            if clash is not None:
                checked.refusals.append(Refusal(line, "starts_on", _overlap(clash)))
                continue
            earlier = [h for h in history if h.starts_on < values["starts_on"]]
            renews = renewal_target(earlier, values["starts_on"]) if earlier else None
            values["renews"] = (renews.id, renews.line) if renews is not None else None
            values["member_id"], values["line"] = member.id, line
            history.append(SimpleNamespace(id=-line, starts_on=values["starts_on"], ends_on=values["ends_on"],
                                           cancelled_on=None, line=line))
            checked.rows.append((line, values))
    checked.rows.sort(key=lambda r: r[0])
    checked.refusals.sort(key=lambda r: r.line)
    return checked


def _overlap(clash: SimpleNamespace):
    """Say which contract a row's days overlap: another line of the file, or one already in ClubCRM."""
    if clash.line is not None:
        return _l("These days overlap the membership on line %(line)s.", line=clash.line)
    return _l("These days overlap a membership already in ClubCRM (%(start)s – %(end)s).",
              start=shown_day(clash.starts_on), end=shown_day(clash.ends_on))


def save(staff: Staff | None, club: Club, rows: list[dict], filename: str = "") -> int:
    """Insert the checked contracts (oldest first, so that a renewal links to the one it renews), their freezes,
    and each member's conversion from the first one; one audit event; flush."""
    if not rows:
        return 0
    now = utcnow()
    today = local_today(club.timezone)
    ids_by_line: dict[int, int] = {}
    first_start: dict[int, date] = {}
    freezes: list[dict] = []
    for generation in _generations(sorted(rows, key=lambda v: (v["starts_on"], v["line"]))):
        # One INSERT ... RETURNING per generation: a renewal needs the id of the contract it renews, which the
        # generation before inserted (row by row with a flush each was 12x a bare insert at 10,000 rows).
        params = []
        for values in generation:
            renews = values["renews"]
            params.append({
                "club_id": club.id, "member_id": values["member_id"], "plan_id": values["plan_id"],
                "renews_id": None if renews is None else renews[0] if renews[1] is None else ids_by_line.get(renews[1]),
                "starts_on": values["starts_on"], "ends_on": values["ends_on"], "visit_limit": values["visit_limit"],
                "chain_wide": values["chain_wide"], "price_minor": values["price_minor"], "currency": club.currency,
                # Its sale belongs to the day it started (the sales report's month), never after the import.
                "sold_at": min(now, local_midnight(values["starts_on"], club.timezone)), "sold_by_id": None,
                "imported_at": now})
        ids = db.session.scalars(insert(Membership).returning(Membership.id, sort_by_parameter_order=True),
                                 params).all()
        for values, membership_id in zip(generation, ids, strict=True):
            ids_by_line[values["line"]] = membership_id
            frozen_until = values["frozen_until"]
            if frozen_until is not None and frozen_until >= today:
                # Frozen now: the freeze runs from the import (or the start) to the day given. The end date is
                # taken as the other system wrote it, which already counts the freeze.
                freezes.append({"membership_id": membership_id, "starts_on": max(values["starts_on"], today),
                                "ends_on": frozen_until, "reason": "import",
                                "created_by_id": staff.id if staff else None})
            start = first_start.get(values["member_id"])
            if start is None or values["starts_on"] < start:
                first_start[values["member_id"]] = values["starts_on"]
    if freezes:
        db.session.execute(insert(Freeze), freezes)
    _convert(club, first_start, now)
    audit.record(staff, "import", "membership", None, club_id=club.id,
                 after={"imported": len(rows), "file": filename[:120]})
    db.session.flush()
    return len(rows)


def _generations(rows: list[dict]) -> list[list[dict]]:
    """Split ROWS (sorted by start) into generations: a row renewing another row of the file comes one after it."""
    depth: dict[int, int] = {}
    generations: list[list[dict]] = []
    for values in rows:
        renews = values["renews"]
        # The renewed row started earlier, so it is already placed.
        level = 0 if renews is None or renews[1] is None else depth.get(renews[1], -1) + 1
        depth[values["line"]] = level
        if level == len(generations):
            generations.append([])
        generations[level].append(values)
    return generations


def _convert(club: Club, first_start: dict[int, date], now: datetime) -> None:
    """A lead became a member on the first day of their first contract (never later than it already was); their
    open lead cycle is won, by their first imported membership, as of the import."""
    for start in range(0, len(first_start), 1000):
        chunk = sorted(first_start)[start:start + 1000]
        for member in db.session.scalars(select(Member).where(Member.id.in_(chunk))):
            converted = min(now, local_midnight(first_start[member.id], club.timezone))
            if member.converted_at is None or converted < member.converted_at:
                member.converted_at = converted
        first = (select(func.min(Membership.id)).where(Membership.member_id == LeadCycle.member_id)
                 .scalar_subquery())
        db.session.execute(update(LeadCycle)
                           .where(LeadCycle.member_id.in_(chunk), LeadCycle.ended_at.is_(None))
                           .values(ended_at=now, outcome="won", won_membership_id=first)
                           .execution_options(synchronize_session=False))


def shown(values: dict) -> dict:
    """The row's values as the preview shows them."""
    return {"plan": values["plan"], "starts_on": values["starts_on"].isoformat(),
            "ends_on": values["ends_on"].isoformat(), "price_minor": values["price_minor"],
            "frozen_until": values["frozen_until"].isoformat() if values["frozen_until"] else None,
            "renews": values["renews"] is not None}
