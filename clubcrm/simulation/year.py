"""Days of club life: each morning the real lifecycle engine plans; at 10:00 (inside the club's SMS hours) the
product's own dispatcher sends the queued SMS through the real Twilio SDK to the simulated gateway (gateway.py);
staff make the calls; members come, book, use their packages, and renew or not when a cycle ends.

What reached whom is the simulator's own record: an SMS counts when the gateway delivered it, a call when the
simulated member answered it. Touchpoint and message statuses, and the report's code, play no part in it.

A renewal is decided with one uniform draw U per cycle. On its last day a cycle renews if U < p, with p one minus
the cycle's churn (config.py) plus the response (effects.py) of this member to every tool that reached the cycle
by then. If not, on the 30th day after the end it renews late if U < p + LATE_RENEWAL + the responses to the tools
that first reached it after the end. The truth (truth.py) is computed from these same draws.

Leads (SimConfig.lead_cycle_share of the arrivals): a lead's cycle opens when they come, through the product's
lead_cycles.start (which plans the lead tools' first contacts at once and draws their arms); the staff answer the
lead tools' calls as any other, a YES to the trial invitation goes through the product's inbound handler (which
books the offered trial), and a booked trial is attended with TRIAL_SHOW through the session services. A lead's
first sale is decided with one uniform draw U on a decision day 1 + Exp(mean LEAD_DECISION_DAYS) days into the
cycle (day 58 at the latest): they buy, through the product's sale (which closes the cycle won), if U is below the
source's base chance plus their responses (effects.py) to every lead tool that reached them by that day; a lead
tool's effect is on this chance only, never on renewals. The others are closed lost by the product's timeout. A
lead who bought is then a member like the others. truth.compute_leads reads the same draws.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update

from clubcrm import clock
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.models import (
    Booking, ClubSession, Freeze, LedgerEntry, Member, Membership, Message, Package, StaffContact, Tool, Touchpoint,
    Visit,
)
from clubcrm.services import lead_cycles, sales, sessions
from clubcrm.simulation.club import Cycle, Person, SimClub
from clubcrm.simulation.config import PLANS, SimConfig
from clubcrm.simulation.effects import Responses
from clubcrm.simulation.gateway import SENDER, UNDELIVERED, Gateway
from clubcrm.sms import dispatch, inbound

VISIT_WINDOW_DAYS = 60
LATE_DAYS = 30
SEND_HOUR = 10          # local: inside every club's allowed SMS hours (08:00-21:00 at the widest, 09:00-20:00 default)
DISPATCH_LIMIT = 1_000_000


@dataclass
class Settled:
    """A cycle whose renewal is decided: what the truth needs of it."""

    id: int
    member_id: int
    ends_on: date
    base: float                       # 1 − churn: the on-time chance without any tool
    late: float
    reached: dict[str, bool]          # tool key → reached by the cycle's end (False: only after it)


@dataclass
class Lead:
    """A lead's cycle as the simulator tracks it: U decides the first sale on DECIDES_ON against BASE plus the
    responses to the lead tools that reached the lead by then (REACHED: tool key → the first day it did)."""

    cycle_id: int
    person: Person
    started_on: date
    decides_on: date
    base: float
    u: float
    reached: dict[str, date] = field(default_factory=dict)


@dataclass
class LeadSettled:
    """A lead cycle whose sale is decided: what the truth needs of it."""

    id: int
    member_id: int
    started_on: date
    started: datetime
    base: float
    reached: set[str]                 # the lead tools that reached it by the decision
    bought: bool


@dataclass
class Counts:
    cycles_ended: int = 0
    renewed_on_time: int = 0
    renewed_late: int = 0
    visits: int = 0
    sms: int = 0                      # delivered, as the gateway says
    sms_failed: int = 0               # refused or never delivered
    calls: int = 0
    opt_outs: int = 0                 # STOP replies of members put off by a tool
    by_plan: dict[str, list[int]] = field(default_factory=dict)   # plan → [cycles decided, renewed]
    leads: int = 0                    # lead cycles opened
    leads_won: int = 0                # ...that bought (the real sale closed them won)
    leads_timed_out: int = 0          # closed lost by the real timeout
    trials_booked: int = 0            # YES replies of leads that booked through the real inbound handler
    trials_attended: int = 0


class Year:
    """The simulated club's days; call start() once, then day(d) for each day in order."""

    def __init__(self, sim: SimClub, cfg: SimConfig, rng: random.Random) -> None:
        self.sim, self.cfg, self.rng = sim, cfg, rng
        self.responses = Responses(cfg)
        self.gateway = Gateway(random.Random(f"gateway:{cfg.seed}"), cfg.sms_refused, cfg.sms_undelivered)
        self.client = self.gateway.client()
        self.ending: dict[date, list[Cycle]] = defaultdict(list)
        self.late: dict[date, list[Cycle]] = defaultdict(list)
        self.starting: dict[date, list[Person]] = defaultdict(list)
        self.active: dict[int, Cycle] = {}
        self.cycles: dict[int, Cycle] = {}
        self.by_phone: dict[str, Person] = {}
        # cycle id → tool key → reached by the cycle's end (False: reached only after it)
        self.reach: dict[int, dict[str, bool]] = defaultdict(dict)
        self.settled: list[Settled] = []
        self.lead_rng = random.Random(f"lead-decisions:{cfg.seed}")
        self.arriving: dict[date, list[Person]] = defaultdict(list)
        self.leads: dict[int, Lead] = {}                 # lead cycle id → its lead, while the sale is undecided
        self.deciding: dict[date, list[Lead]] = defaultdict(list)
        self.lead_settled: list[LeadSettled] = []
        self.planned_on_arrival = 0                      # touchpoints the service planned as each lead came
        self.counts = Counts()
        self.class_seats: dict[int, int] = defaultdict(int)
        self.tool_keys = dict(db.session.execute(select(Tool.id, Tool.key).where(Tool.club_id == sim.club.id)).all())

    # --- the first day's club -------------------------------------------------------------------------

    def start(self, first: date) -> None:
        """Give the club's existing members their current (and some a previous) cycle and 60 days of visits;
        line up the newcomers' first sales."""
        self.first = first
        self.by_phone = {person.phone: person for person in self.sim.people}
        opening: list[tuple[Person, date, int | None]] = []
        for person in self.sim.people:
            if person.lead and person.created.astimezone(self.sim.tz).date() >= first:
                self.arriving[person.created.astimezone(self.sim.tz).date()].append(person)
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
            if person.lead or person.created.date() < first or self.rng.random() >= 0.8:
                continue   # a lead with a cycle is called by the engine's lead tools
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
                if self.rng.random() < person.visit_chance(day, self.cfg.summer_visits):
                    rows.append(self._visit_row(person, cycle, day))
        self._insert_visits(rows)

    # --- a day ----------------------------------------------------------------------------------------

    def day(self, today: date, last: bool) -> None:
        """After the morning pass: contacts (not on the LAST day: its tasks stay open for the desk), visits,
        package use, class bookings, then today's renewal decisions and tomorrow's cycles."""
        for cycle in self._sell([(p, today, None) for p in self.starting.pop(today, [])]):
            self._track(cycle)
        arriving = self.arriving.pop(today, [])
        calls_at = self.sim.at(today, 14)
        self._close_leads(today)
        self._open_leads([p for p in arriving if p.created < calls_at])
        if not last:
            self._dispatch(today)
            self._make_calls(today)
        self._open_leads([p for p in arriving if p.created >= calls_at])
        self._visits(today)
        self._decide_leads(today)
        self._decide(today)

    def _track(self, cycle: Cycle) -> None:
        self.cycles[cycle.id] = cycle
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

    def _reached(self, membership_id: int | None, tool_id: int | None, day: date,
                 lead_cycle_id: int | None = None) -> None:
        """Note that the tool reached the cycle on DAY (by its end, or only after it), or the lead's cycle."""
        if lead_cycle_id is not None:
            lead, key = self.leads.get(lead_cycle_id), self.tool_keys.get(tool_id)
            if lead is not None and key is not None:
                lead.reached.setdefault(key, day)
            return
        cycle = self.cycles.get(membership_id) if membership_id is not None else None
        key = self.tool_keys.get(tool_id)
        if cycle is None or key is None:
            return
        seen = self.reach[cycle.id]
        seen[key] = seen.get(key, False) or day <= cycle.ends_on

    def _dispatch(self, today: date) -> None:
        """The product's dispatcher sends what is due at SEND_HOUR to the gateway; the gateway's outcomes come back
        as Twilio's status callbacks do for the undelivered (the product's own handler), and the delivered ones
        reach their members:
        a share of invitations gets a YES and a booking, and members put off by a tool may reply STOP."""
        now = self.sim.at(today, SEND_HOUR)
        db.session.commit()   # the dispatcher claims and settles in transactions of its own
        with clock.frozen(now):
            dispatch.dispatch(now, self.gateway.settings(), self.client, limit=DISPATCH_LIMIT)
        outcomes = self.gateway.take()
        if not outcomes:
            return
        accepted = {o.sid: o for o in outcomes if o.accepted}
        self.counts.sms_failed += sum(1 for o in outcomes if not o.delivered)
        found = []
        sids = list(accepted)
        for i in range(0, len(sids), 500):
            found += db.session.execute(
                select(Message.twilio_sid, Touchpoint.membership_id, Touchpoint.tool_id, Touchpoint.session_id,
                       Touchpoint.lead_cycle_id)
                .join(Touchpoint, Touchpoint.id == Message.touchpoint_id)
                .where(Message.twilio_sid.in_(sids[i:i + 500]))).all()
        planned = {sid: rest for sid, *rest in found}
        yes, stops, lead_yes = [], [], []
        for sid, outcome in accepted.items():
            if not outcome.delivered:
                # Twilio's status callback, through the product's own handler. Only for the undelivered: a callback
                # per delivered SMS cost more than the dispatch (a club without a public URL gets none either).
                inbound.record_status(sid, "undelivered", UNDELIVERED, now)
                continue
            self.counts.sms += 1
            if sid not in planned:
                continue   # a service message (a confirmation): no tool's
            membership_id, tool_id, session_id, lead_cycle_id = planned[sid]
            self._reached(membership_id, tool_id, today, lead_cycle_id)
            person = self.by_phone.get(outcome.to)
            key = self.tool_keys.get(tool_id)
            if person is None or key is None:
                continue
            if self.responses.of(person.id, key).stops:
                stops.append((sid, outcome.to))
            elif session_id and self.rng.random() < self.cfg.yes_share:
                if lead_cycle_id is not None:
                    lead_yes.append((sid, outcome.to))
                else:
                    yes.append((person.id, session_id))
        replied_at = self.sim.at(today, 12)
        for sid, phone in stops:
            inbound.receive("SMin" + sid[4:], phone, SENDER, "STOP", replied_at)
            self.counts.opt_outs += 1
        # A lead's YES books the offered trial through the product's own inbound handler.
        for sid, phone in lead_yes:
            with clock.frozen(replied_at):
                inbound.receive("SMin" + sid[4:], phone, SENDER, "YES", replied_at)
            self.counts.trials_booked += 1
        self._book(yes, "sms", "booked", replied_at)

    def _make_calls(self, today: date) -> None:
        """Staff work through today's list: most calls are answered; an answered invitation books a third."""
        tasks = db.session.execute(
            select(Touchpoint.id, Touchpoint.member_id, Touchpoint.session_id, Touchpoint.membership_id,
                   Touchpoint.tool_id, Touchpoint.lead_cycle_id)
            .where(Touchpoint.club_id == self.sim.club.id, Touchpoint.channel == "task",
                   Touchpoint.status == "planned", Touchpoint.due_on <= today).order_by(Touchpoint.id)).all()
        if not tasks:
            return
        done_at = self.sim.at(today, 14)
        updates, contacts, bookings = [], [], []
        for task_id, member_id, session_id, membership_id, tool_id, lead_cycle_id in tasks:
            answered = self.rng.random() < self.cfg.call_answered
            outcome = "reached" if answered else "no_answer"
            if answered:
                self._reached(membership_id, tool_id, today, lead_cycle_id)
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
            if self.rng.random() >= person.visit_chance(today, self.cfg.summer_visits):
                continue
            row = self._visit_row(person, cycle, today)
            if row is None:
                continue
            rows.append(row)
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
                select(ClubSession.id).where(ClubSession.club_id == self.sim.club.id, ClubSession.kind != "trial",
                                             ClubSession.ends_at < self.sim.at(today, 7))))
            .values(status="attended").execution_options(synchronize_session=False))
        self._trials(today)
        self._redeem(redeemed, today)

    def _trials(self, today: date) -> None:
        """Who came to the trial sessions that ended since yesterday morning: TRIAL_SHOW of those booked, recorded
        at the desk through the product's services; the rest are no-shows."""
        morning = self.sim.at(today, 7)
        booked = db.session.scalars(
            select(Booking).join(ClubSession, ClubSession.id == Booking.session_id)
            .where(ClubSession.club_id == self.sim.club.id, ClubSession.kind == "trial",
                   Booking.status == "booked", ClubSession.ends_at < morning)
            .order_by(Booking.id)).all()
        if not booked:
            return
        with clock.frozen(morning):
            for booking in booked:
                if self.rng.random() < self.cfg.trial_show:
                    sessions.mark_attended(self.sim.desk, booking)
                    self.counts.trials_attended += 1
            sessions.mark_no_shows(self.sim.club, morning)

    def _visit_row(self, person: Person, cycle: Cycle, day: date) -> dict | None:
        """A visit of PERSON on DAY at a random hour; None when that hour is still to come (the demo's today)."""
        hour, minute = self.rng.randrange(7, 21), self.rng.randrange(60)
        if self.sim.is_future(day, hour, minute):
            return None
        person.visits.append(day)
        return {"club_id": self.sim.club.id, "member_id": person.id, "membership_id": cycle.id,
                "checked_in_at": self.sim.at(day, hour, minute), "source": "desk", "staff_id": self.sim.desk.id}

    def _insert_visits(self, rows: list[dict | None]) -> None:
        rows = [row for row in rows if row is not None]
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

    def _churn(self, cycle: Cycle, today: date) -> float:
        """The cycle's chance of not renewing without any tool (config.py)."""
        cfg, person = self.cfg, cycle.person
        churn = PLANS[cycle.plan][4]
        for months_back in range(3):
            newest = today - timedelta(days=30 * months_back)
            if any(newest - timedelta(days=30) < d <= newest for d in person.visits):
                churn *= cfg.active_month_factor
        churn *= self._early(person)
        if today.month in (7, 8):
            churn *= cfg.summer_churn
        return min(1.0, churn)

    def _early(self, person: Person) -> float:
        """The early-visit factor: first visit within two weeks and four in the first month (a regular early) or
        none in the first two weeks; 1 for members who joined before the simulated span (no record of it)."""
        if person.since is None or person.since < self.first:
            return 1.0
        first_month = [d for d in person.visits if (d - person.since).days < 30]
        if not first_month or (first_month[0] - person.since).days >= 14:
            return self.cfg.late_starter
        return self.cfg.early_regular if len(first_month) >= 4 else 1.0

    def _effects(self, cycle: Cycle, by_end: bool) -> float:
        return sum(self.responses.of(cycle.person.id, tool).effect
                   for tool, in_time in self.reach.get(cycle.id, {}).items() if in_time == by_end)

    def _decide(self, today: date) -> None:
        ending = [c for c in self.ending.pop(today, []) if self.active.get(c.person.id) is c]
        late = self.late.pop(today, [])
        renewals = []
        for cycle in ending:
            self.counts.cycles_ended += 1
            cycle.base = 1.0 - self._churn(cycle, today)
            cycle.p_on_time = min(1.0, max(0.0, cycle.base + self._effects(cycle, True)))
            if cycle.u < cycle.p_on_time:
                self.counts.renewed_on_time += 1
                renewals.append((cycle, today + timedelta(days=1)))
                self._settle(cycle, True)
            else:
                self.late[today + timedelta(days=LATE_DAYS)].append(cycle)
        for cycle in late:
            renewed = cycle.u < cycle.p_on_time + self.cfg.late_renewal + self._effects(cycle, False)
            if renewed:
                self.counts.renewed_late += 1
                renewals.append((cycle, today))
            elif self.active.get(cycle.person.id) is cycle:
                del self.active[cycle.person.id]
            self._settle(cycle, renewed)
        sold = self._sell([(c.person, start, c.id) for c, start in renewals])
        for cycle in sold:
            self._track(cycle)

    def _settle(self, cycle: Cycle, renewed: bool) -> None:
        """Keep what the truth needs of a decided cycle; its reach record is no longer needed."""
        self.settled.append(Settled(cycle.id, cycle.person.id, cycle.ends_on, cycle.base, self.cfg.late_renewal,
                                    self.reach.pop(cycle.id, {})))
        tally = self.counts.by_plan.setdefault(PLANS[cycle.plan][0], [0, 0])
        tally[0] += 1
        tally[1] += renewed
        self.cycles.pop(cycle.id, None)

    # --- leads ------------------------------------------------------------------------------------------

    def _open_leads(self, people: list[Person]) -> None:
        """Each arriving lead's cycle, opened at the moment they came through the product's service (which plans
        their first contacts at once); their decision day and uniform draw come from the simulator's own rng."""
        for person in people:
            if self.sim.not_after is not None and person.created > self.sim.not_after:
                continue
            member = db.session.get(Member, person.id)
            with clock.frozen(person.created):
                cycle = lead_cycles.start(self.sim.desk, member, lead_cycles.Source(person.source), person.created)
            self.planned_on_arrival += db.session.scalar(
                select(func.count()).select_from(Touchpoint).where(Touchpoint.lead_cycle_id == cycle.id))
            started = person.created.astimezone(self.sim.tz).date()
            wait = 1 + min(57, int(self.lead_rng.expovariate(1 / self.cfg.lead_decision_days)))
            lead = Lead(cycle.id, person, started, started + timedelta(days=wait),
                        self.cfg.lead_base.get(person.source, 0.3), self.lead_rng.random())
            self.leads[cycle.id] = lead
            self.deciding[lead.decides_on].append(lead)
            self.counts.leads += 1

    def _lead_effects(self, lead: Lead, day: date) -> float:
        return sum(self.responses.of(lead.person.id, tool).effect
                   for tool, first in lead.reached.items() if first <= day)

    def _decide_leads(self, today: date) -> None:
        """Today's deciding leads buy if U < base + their responses to the lead tools that reached them by today:
        through the real sale (which closes the cycle won); then the member model takes them over."""
        sold_at = self.sim.at(today, 16)
        for lead in self.deciding.pop(today, []):
            self.leads.pop(lead.cycle_id, None)
            p = min(1.0, max(0.0, lead.base + self._lead_effects(lead, today)))
            bought = lead.u < p and not self.sim.is_future(today, 16)
            if bought:
                bought = self._sell_lead(lead.person, today, sold_at)
            self.lead_settled.append(LeadSettled(lead.cycle_id, lead.person.id, lead.started_on,
                                                 lead.person.created, lead.base,
                                                 {t for t, first in lead.reached.items() if first <= today}, bought))

    def _sell_lead(self, person: Person, today: date, at) -> bool:
        member = db.session.get(Member, person.id)
        plan = self.sim.plans[person.plan]
        try:
            with clock.frozen(at), db.session.begin_nested():
                membership = sales.sell_membership(self.sim.desk, member, plan.id, today)
        except DomainError:
            return False
        self.counts.leads_won += 1
        person.buys_on = today
        person.since = membership.starts_on
        self._track(Cycle(membership.id, person, membership.starts_on, membership.ends_on, person.plan,
                          self.rng.random()))
        return True

    def _close_leads(self, today: date) -> None:
        """The real timeout closes the cycles that went LEAD_CYCLE_DAYS without a sale, as lost."""
        now = self.sim.at(today, 7)
        with clock.frozen(now):
            self.counts.leads_timed_out += lead_cycles.close_timed_out(now)

    @property
    def lead_cycle_days(self) -> int:
        return current_app.config["LEAD_CYCLE_DAYS"]

    def last_timeout(self, last: date) -> datetime:
        """The instant of the last day's timeout (_close_leads): a cycle begun by then minus LEAD_CYCLE_DAYS has
        ended, won or lost."""
        return self.sim.at(last, 7)
