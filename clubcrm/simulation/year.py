"""Days of club life: each morning the real lifecycle engine plans; the simulated club then sends the SMS,
makes the calls, and its members come, book, use their packages, and renew or not when a cycle ends.

A renewal is decided with one uniform draw U per cycle. On its last day a cycle renews if U < p, with p the
base probability from the member's last 60 days of visits plus the effect of every tool that reached the
cycle by then (its SMS went out, its call was answered). If not, on the 30th day after the end it renews late
if U < p + LATE_RENEWAL + the effects of tools that first reached it after the end. So a tool that reaches
before the end adds exactly its configured points to the cycle's renewal probability; one that reaches a
lapsed member adds effect / (1 - p) among the lapsed it reached — the simulator keeps that truth per tool.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import String, and_, case, cast, func, insert, literal, select, update

from clubcrm.extensions import db
from clubcrm.models import (
    Booking, ClubSession, Freeze, LedgerEntry, Membership, Message, Package, StaffContact, Tool, Touchpoint, Visit,
)
from clubcrm.reports.tools import got_through
from clubcrm.simulation.club import Cycle, Person, SimClub
from clubcrm.simulation.config import PLANS, SimConfig

VISIT_WINDOW_DAYS = 60
VISITS_FOR_FULL_RENEWAL = 16
LATE_DAYS = 30


@dataclass
class Truth:
    """Per tool, over the cycles assigned to it (not held out) whose renewal is decided: how many, and the sum
    of what it added to each one's renewal probability. Their mean is the effect the statistics should find."""

    assigned: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    added: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def effect(self, tool: str) -> float | None:
        n = self.assigned.get(tool, 0)
        return self.added[tool] / n if n else None


@dataclass
class Counts:
    cycles_ended: int = 0
    renewed_on_time: int = 0
    renewed_late: int = 0
    visits: int = 0
    sms: int = 0
    calls: int = 0


class Year:
    """The simulated club's days; call start() once, then day(d) for each day in order."""

    def __init__(self, sim: SimClub, cfg: SimConfig, rng: random.Random) -> None:
        self.sim, self.cfg, self.rng = sim, cfg, rng
        self.effects = {k: v / 100 for k, v in cfg.effects.items()}
        self.ending: dict[date, list[Cycle]] = defaultdict(list)
        self.late: dict[date, list[Cycle]] = defaultdict(list)
        self.starting: dict[date, list[Person]] = defaultdict(list)
        self.active: dict[int, Cycle] = {}
        self.truth = Truth()
        self.counts = Counts()
        self.class_seats: dict[int, int] = defaultdict(int)

    # --- the first day's club -------------------------------------------------------------------------

    def start(self, first: date) -> None:
        """Give the club's existing members their current (and some a previous) cycle and 60 days of visits;
        line up the newcomers' first sales."""
        opening: list[tuple[Person, date, int | None]] = []
        for person in self.sim.people:
            if person.buys_on is None:
                continue
            if person.buys_on >= first:
                self.starting[person.buys_on].append(person)
                continue
            length = self.sim.plans[person.plan].duration_days
            starts = first - timedelta(days=self.rng.randrange(0, length))
            opening.append((person, starts, None))
        previous = [(p, s - timedelta(days=self.sim.plans[p.plan].duration_days), None)
                    for p, s, _ in opening if self.rng.random() < 0.5]
        earlier = {p.id: c.id for p, c in zip((p for p, *_ in previous), self._sell(previous, past=True),
                                              strict=True)}
        opening = [(p, s, earlier.get(p.id)) for p, s, _ in opening]
        for cycle in self._sell(opening):
            self._track(cycle)
        self._backfill_visits(first)
        self._packages([p for p in self.sim.people if p.package and p.buys_on is not None])
        self._lead_calls(first)

    def _lead_calls(self, first: date) -> None:
        """The desk calls most new leads back, some within hours, some after days (lead processing time)."""
        rows = []
        for person in self.sim.people:
            if person.created.date() < first or self.rng.random() >= 0.8:
                continue
            delay = timedelta(hours=min(240.0, self.rng.expovariate(1 / 20)))
            rows.append({"club_id": self.sim.club.id, "member_id": person.id, "staff_id": self.sim.desk.id,
                         "outcome": "reached", "note": "Lead call", "created_at": person.created + delay})
        if rows:
            db.session.execute(insert(StaffContact), rows)

    def _backfill_visits(self, first: date) -> None:
        rows = []
        for cycle in self.active.values():
            person = cycle.person
            for back in range(VISIT_WINDOW_DAYS, 0, -1):
                day = first - timedelta(days=back)
                if self.rng.random() < person.visit_chance(day):
                    rows.append(self._visit_row(person, cycle, day))
        self._insert_visits(rows)

    # --- a day ----------------------------------------------------------------------------------------

    def day(self, today: date, last: bool) -> None:
        """After the morning pass: contacts (not on the LAST day: its tasks stay open for the desk), visits,
        package use, class bookings, then today's renewal decisions and tomorrow's cycles."""
        for cycle in self._sell([(p, today, None) for p in self.starting.pop(today, [])]):
            self._track(cycle)
        if not last:
            self._send_sms(today)
            self._make_calls(today)
        self._visits(today)
        self._decide(today)

    def _track(self, cycle: Cycle) -> None:
        cycle.person.cycle = cycle
        self.active[cycle.person.id] = cycle
        self.ending[cycle.ends_on].append(cycle)

    def _sell(self, sales: list[tuple[Person, date, int | None]], past: bool = False) -> list[Cycle]:
        """Insert a membership per (person, start, renews_id) in one statement; freezes decided at the sale.
        A renewal that starts the day after the end was sold on the last day. PAST contracts (the history of
        the club's first members) are neither frozen nor decided."""
        if not sales:
            return []
        rows, cycles = [], []
        for person, starts, renews_id in sales:
            plan = self.sim.plans[person.plan]
            ends = starts + timedelta(days=plan.duration_days - 1)
            freeze = None
            if not past and plan.duration_days >= 90 and self.rng.random() < self.cfg.freeze_share:
                begin = starts + timedelta(days=self.rng.randrange(20, plan.duration_days - 30))
                freeze = (begin, begin + timedelta(days=self.rng.randrange(13, 28)))
                ends += timedelta(days=(freeze[1] - freeze[0]).days + 1)
            sold = starts - timedelta(days=1) if renews_id and person.cycle and person.cycle.ends_on < starts \
                and (starts - person.cycle.ends_on).days == 1 else starts
            if person.since is None or starts < person.since:
                person.since = starts
            rows.append({"club_id": self.sim.club.id, "member_id": person.id, "plan_id": plan.id,
                         "renews_id": renews_id, "starts_on": starts, "ends_on": ends, "visit_limit": None,
                         "price_minor": plan.price_minor, "currency": plan.currency,
                         "sold_at": self.sim.at(sold, 11, self.rng.randrange(60)), "sold_by_id": self.sim.desk.id})
            cycles.append(Cycle(0, person, starts, ends, person.plan, 1.0 if past else self.rng.random(),
                                freeze))
        ids = db.session.execute(insert(Membership).returning(Membership.id, sort_by_parameter_order=True),
                                 rows).scalars()
        for cycle, membership_id in zip(cycles, ids, strict=True):
            cycle.id = membership_id
        freezes = [{"membership_id": c.id, "starts_on": c.freeze[0], "ends_on": c.freeze[1], "reason": "Travel",
                    "created_at": self.sim.at(c.freeze[0] - timedelta(days=2), 12),
                    "created_by_id": self.sim.desk.id} for c in cycles if c.freeze]
        if freezes:
            db.session.execute(insert(Freeze), freezes)
        return cycles

    def _send_sms(self, today: date) -> None:
        """Every queued SMS goes out and is delivered; a share of invitations gets a YES and a booking."""
        club_id, sent_at = self.sim.club.id, self.sim.at(today, 10)
        invited = db.session.execute(
            select(Touchpoint.member_id, Touchpoint.session_id)
            .where(Touchpoint.club_id == club_id, Touchpoint.channel == "sms", Touchpoint.status == "planned",
                   Touchpoint.session_id.is_not(None)).order_by(Touchpoint.id)).all()
        self.counts.sms += db.session.execute(
            update(Message).where(Message.club_id == club_id, Message.status == "queued")
            .values(status="delivered", attempts=1, sent_at=sent_at, delivered_at=sent_at,
                    twilio_sid=literal("SMsim") + cast(Message.id, String))
            .execution_options(synchronize_session=False)).rowcount
        db.session.execute(
            update(Touchpoint).where(Touchpoint.club_id == club_id, Touchpoint.channel == "sms",
                                     Touchpoint.status == "planned", Touchpoint.due_on <= today)
            .values(status="sent").execution_options(synchronize_session=False))
        yes = [(m, s) for m, s in invited if self.rng.random() < self.cfg.yes_share]
        self._book(yes, "sms", "booked", self.sim.at(today, 12))

    def _make_calls(self, today: date) -> None:
        """Staff work through today's list: most calls are answered; an answered invitation books a third."""
        tasks = db.session.execute(
            select(Touchpoint.id, Touchpoint.member_id, Touchpoint.session_id)
            .where(Touchpoint.club_id == self.sim.club.id, Touchpoint.channel == "task",
                   Touchpoint.status == "planned", Touchpoint.due_on <= today).order_by(Touchpoint.id)).all()
        if not tasks:
            return
        done_at = self.sim.at(today, 14)
        updates, contacts, bookings = [], [], []
        for task_id, member_id, session_id in tasks:
            answered = self.rng.random() < self.cfg.call_answered
            outcome = "reached" if answered else "no_answer"
            if answered and session_id and self.rng.random() < 0.33:
                outcome = "booked"
                bookings.append((member_id, session_id))
            updates.append({"id": task_id, "status": "done", "outcome": outcome, "done_at": done_at,
                            "done_by_id": self.sim.desk.id})
            contacts.append({"club_id": self.sim.club.id, "member_id": member_id, "staff_id": self.sim.desk.id,
                             "touchpoint_id": task_id, "outcome": outcome, "created_at": done_at})
        db.session.execute(update(Touchpoint), updates)
        db.session.execute(insert(StaffContact), contacts)
        self._book(bookings, "desk", "booked", done_at)
        self.counts.calls += len(tasks)

    def _book(self, pairs: list[tuple[int, int]], source: str, status: str, at) -> None:
        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return
        taken = set(db.session.execute(
            select(Booking.member_id, Booking.session_id)
            .where(Booking.session_id.in_({s for _, s in pairs}))).all())
        rows = [{"session_id": s, "member_id": m, "status": status, "source": source, "created_at": at}
                for m, s in pairs if (m, s) not in taken]
        if rows:
            db.session.execute(insert(Booking), rows)

    def _visits(self, today: date) -> None:
        rows, classes, redeemed = [], [], []
        sessions = self.sim.classes_by_day.get(today, [])
        for person_id, cycle in list(self.active.items()):
            person = cycle.person
            if cycle.ends_on < today:
                continue
            if cycle.freeze and cycle.freeze[0] <= today <= cycle.freeze[1]:
                continue
            if self.rng.random() >= person.visit_chance(today):
                continue
            rows.append(self._visit_row(person, cycle, today))
            if person.class_goer and sessions and self.rng.random() < 0.5:
                session_id = self.rng.choice(sessions)
                if self.class_seats[session_id] < max(10, self.cfg.members // 40):
                    self.class_seats[session_id] += 1
                    classes.append((person_id, session_id))
            if person.package_id and person.balance > 0 and self.rng.random() < 0.3:
                redeemed.append(person)
        self._insert_visits(rows)
        self._book(classes, "desk", "attended", self.sim.at(today, 9))
        db.session.execute(
            update(Booking).where(Booking.status == "booked", Booking.session_id.in_(
                select(ClubSession.id).where(ClubSession.club_id == self.sim.club.id,
                                             ClubSession.ends_at < self.sim.at(today, 7))))
            .values(status="attended").execution_options(synchronize_session=False))
        self._redeem(redeemed, today)

    def _visit_row(self, person: Person, cycle: Cycle, day: date) -> dict:
        person.visits.append(day)
        return {"club_id": self.sim.club.id, "member_id": person.id, "membership_id": cycle.id,
                "checked_in_at": self.sim.at(day, self.rng.randrange(7, 21), self.rng.randrange(60)),
                "source": "desk", "staff_id": self.sim.desk.id}

    def _insert_visits(self, rows: list[dict]) -> None:
        if rows:
            db.session.execute(insert(Visit), rows)
            self.counts.visits += len(rows)

    # --- packages ---------------------------------------------------------------------------------------

    def _packages(self, buyers: list[Person]) -> None:
        if not buyers:
            return
        pt = self.sim.pt
        rows = [{"club_id": self.sim.club.id, "member_id": p.id, "service_id": pt.id, "balance": pt.package_units,
                 "expires_on": p.buys_on + timedelta(days=pt.valid_days or 365)} for p in buyers]
        ids = db.session.execute(insert(Package).returning(Package.id, sort_by_parameter_order=True), rows).scalars()
        ledger = []
        for person, package_id in zip(buyers, ids, strict=True):
            person.package_id, person.balance = package_id, pt.package_units
            ledger.append(self._grant(person, self.sim.at(person.buys_on, 11, 30)))
        db.session.execute(insert(LedgerEntry), ledger)

    def _grant(self, person: Person, at) -> dict:
        pt = self.sim.pt
        return {"package_id": person.package_id, "kind": "grant", "units": pt.package_units, "reason": "sale",
                "staff_id": self.sim.trainer.id, "price_minor": pt.price_minor, "currency": pt.currency,
                "created_at": at}

    def _redeem(self, people: list[Person], today: date) -> None:
        """One unit each; an emptied package is bought again by some."""
        if not people:
            return
        at = self.sim.at(today, 16)
        ledger, balances = [], []
        for person in people:
            person.balance -= 1
            ledger.append({"package_id": person.package_id, "kind": "redeem", "units": -1, "reason": "session",
                           "staff_id": self.sim.trainer.id, "created_at": at})
            row = {"id": person.package_id, "balance": person.balance}
            if person.balance == 0 and self.rng.random() < 0.4:
                person.balance = row["balance"] = self.sim.pt.package_units
                row["expires_on"] = today + timedelta(days=self.sim.pt.valid_days or 365)
                ledger.append(self._grant(person, at))
            balances.append(row)
        db.session.execute(insert(LedgerEntry), ledger)
        db.session.execute(update(Package), balances)

    # --- renewals ---------------------------------------------------------------------------------------

    def _decide(self, today: date) -> None:
        ending = [c for c in self.ending.pop(today, []) if self.active.get(c.person.id) is c]
        late = self.late.pop(today, [])
        reach = self._reach([c.id for c in ending + late])
        renewals = []
        for cycle in ending:
            self.counts.cycles_ended += 1
            visits = cycle.person.visits_since(today - timedelta(days=VISIT_WINDOW_DAYS - 1))
            base = PLANS[cycle.plan][4] + self.cfg.visit_renewal * min(visits, VISITS_FOR_FULL_RENEWAL) / \
                VISITS_FOR_FULL_RENEWAL
            cycle.p_on_time = base + sum(self.effects.get(tool, 0) for tool, r in reach[cycle.id].items()
                                         if r.reached_by_end)
            if cycle.u < cycle.p_on_time:
                self.counts.renewed_on_time += 1
                renewals.append((cycle, today + timedelta(days=1)))
                self._settle(cycle, reach[cycle.id])
            else:
                self.late[today + timedelta(days=LATE_DAYS)].append(cycle)
        for cycle in late:
            after = sum(self.effects.get(tool, 0) for tool, r in reach[cycle.id].items()
                        if r.reached and not r.reached_by_end)
            if cycle.u < cycle.p_on_time + self.cfg.late_renewal + after:
                self.counts.renewed_late += 1
                renewals.append((cycle, today))
            elif self.active.get(cycle.person.id) is cycle:
                del self.active[cycle.person.id]
            self._settle(cycle, reach[cycle.id])
        sold = self._sell([(c.person, start, c.id) for c, start in renewals])
        for cycle in sold:
            self._track(cycle)

    def _settle(self, cycle: Cycle, reach: dict[str, "Reach"]) -> None:
        """Book what each assigned tool added to this cycle's renewal probability (see the module's note)."""
        for tool, r in reach.items():
            if r.held:
                continue
            effect = self.effects.get(tool, 0)
            self.truth.assigned[tool] += 1
            if r.reached_by_end:
                self.truth.added[tool] += effect
            elif r.reached:
                self.truth.added[tool] += effect / (1 - cycle.p_on_time)

    def _reach(self, cycle_ids: list[int]) -> dict[int, dict[str, "Reach"]]:
        """Per cycle and tool: held out or not, and whether it reached the member by the cycle's end / at all."""
        result: dict[int, dict[str, Reach]] = defaultdict(dict)
        if not cycle_ids:
            return result
        tp = Touchpoint
        got = got_through(tp)
        by_end = case((and_(got == 1, tp.due_on <= Membership.ends_on), 1), else_=0)
        for cycle_id, key, held, reached, reached_by_end in db.session.execute(
            select(tp.membership_id, Tool.key, func.min(case((tp.status == "held_out", 1), else_=0)),
                   func.max(got), func.max(by_end))
            .join(Tool, Tool.id == tp.tool_id).join(Membership, Membership.id == tp.membership_id)
            .where(tp.membership_id.in_(cycle_ids)).group_by(tp.membership_id, Tool.key)
        ):
            result[cycle_id][key] = Reach(bool(held), bool(reached), bool(reached_by_end))
        return result


@dataclass(frozen=True)
class Reach:
    held: bool
    reached: bool
    reached_by_end: bool
