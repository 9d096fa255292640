"""A year of renewals for the report benchmark, built as plain row tuples and bulk-loaded like the other parts.

* members (~40,000) with chains of memberships on four plans, renewed (`renews_id`) or not, some renewals sold
  ahead, some sold after a gap of up to 30 days, some refunded (cancelled on their first day: the contract they
  renew counts as not renewed), some cut short by a cancellation; one in seven members came back after an
  old lapse (a later cycle without `renews_id`). Members are added until exactly CYCLES memberships have
  their last day inside the report's year (today included);
* the club's tools and rules, seeded by `defaults.ensure` (holdout shares 10, 15 and 20% in turn);
* exactly TOUCHPOINTS touchpoints on those cycles, tool by tool, each (cycle, tool) drawn once into the assignment
  log (held out with the tool's holdout share, as the engine draws): a held-out cycle gets the tool's rows all
  `held_out`, an assigned one planned / sent / done (reached, no_answer) / skipped; (membership_id, rule_id,
  occurrence) unique; `keep_in_touch` rows fill the total exactly;
* MESSAGES SMS for sent SMS touchpoints, REPLIES "member replied" tasks after some of them, and invitations
  to classes and trial sessions with their sessions and some bookings, so that the activity part of the tool
  report has data.

What the report must state (cycles, renewed, pending per plan and first/later cycle; per tool, the cycles whose
renewal window has closed by arm and renewal, and the assigned ones the tool got through to) is counted here too,
as the rows are made.
"""
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from werkzeug.security import generate_password_hash

from benchmarks.dataset import _HMS, CLUB_ID, FIRST, LOCALES, MEMBERSHIP_COLS, STAFF_ID, TZ_NAME, load_rows
from benchmarks.lifecycle_data import BOOKING_COLS, SESSION_COLS, TOUCHPOINT_COLS
from clubcrm.lifecycle import defaults
from clubcrm.lifecycle.tools import LEAD_TOOLS
from clubcrm.models import SPOKEN, Club, Plan, Rule, Staff, Tool
from clubcrm.services.members import name_keys

PERIOD_DAYS = 365            # the report's period: the year up to today, today included
PENDING_DAYS = 30            # RENEWAL_WINDOW_AFTER_DAYS of the app's config
# id, name, duration in days, visit limit, price, weight when chosen, chance of a renewal
PLANS = [
    (1, "Month", 30, None, 5900, 55, 0.66),
    (2, "3 months", 91, None, 15900, 22, 0.6),
    (3, "Year", 365, None, 54900, 13, 0.55),
    (4, "10 visits", 60, 10, 9900, 10, 0.5),
]
RETURN = 0.85                # chance that a member whose chain lapsed comes back with a new one
TOOLS = tuple(t for t in defaults.TOOLS if t != "reply" and t not in LEAD_TOOLS)   # the members' tools the engine fires
HOLDOUT = {tool: (10, 15, 20)[i % 3] for i, tool in enumerate(TOOLS)}
RULE_ID = {r.key: i for i, r in enumerate(defaults.RULES, 1)}   # as defaults.ensure numbers them
TOOL_ID = {key: i for i, key in enumerate(defaults.TOOLS, 1)}
SPEC = {r.key: r for r in defaults.RULES}
MEMBER_COLS = ("id", "club_id", "first_name", "last_name", "name_key", "name_key_rev", "phone", "locale",
               "source", "sms_consent", "created_at", "converted_at")
ASSIGNMENT_COLS = ("id", "club_id", "member_id", "kind", "membership_id", "tool_key", "tool_id", "held", "share_pct",
                   "first_on", "created_at")
MESSAGE_COLS = ("id", "club_id", "member_id", "touchpoint_id", "membership_id", "rule_id", "occurrence",
                "idempotency_key", "to_phone", "body", "locale", "encoding", "segments", "status", "due_at",
                "attempts", "sent_at", "delivered_at", "twilio_sid", "error_code", "created_at")
LASTS = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
         "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi",
         "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Ivanova", "Novak", "Schmidt", "Andersson"]
BODY = "Hei! Jäsenyytesi päättyy pian. Uusi se vastaanotossa tai vastaa KYLLÄ, niin soitamme. / Bench Fitness"


@dataclass(slots=True)
class _Cycle:
    membership_id: int
    member_id: int
    plan_id: int
    first: bool
    start: int                # day numbers, 0 = today
    last: int
    renewed: bool = False

    @property
    def pending(self) -> bool:
        return not self.renewed and self.last >= -PENDING_DAYS

    @property
    def closed(self) -> bool:
        """The renewal window has closed (the tool comparison counts only such cycles, renewed or not)."""
        return self.last < -PENDING_DAYS


@dataclass
class ReportData:
    """The rows (for `dataset.load_rows`) and what the renewal report over them must state."""

    now: datetime
    today: date
    start: date               # the report's period, both days included
    end: date
    head: list[tuple] = field(default_factory=list)      # (SQLAlchemy table, [dict]) inserted first
    tables: list[tuple] = field(default_factory=list)    # (name, columns, [tuple]) bulk-loaded
    counts: dict = field(default_factory=dict)
    # (plan id, first) -> [cycles, renewed, pending]
    by_plan: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    # (tool key, arm, renewed) -> [decided cycles, of them reached]
    by_tool: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def drop_rows(self) -> None:
        """Forget the bulk rows (millions of tuples would slow every full garbage collection)."""
        self.tables = []


def generate(now: datetime, cycles: int = 100_000, touchpoints: int = 1_500_000, messages: int = 300_000,
             replies: int = 2_000, seed: int = 20260310) -> ReportData:
    """Build the club's rows as of NOW: exactly CYCLES cycles ending in the year up to today, TOUCHPOINTS
    touchpoints on them, MESSAGES messages and REPLIES reply tasks."""
    rng = random.Random(seed)
    tz = ZoneInfo(TZ_NAME)
    today = now.astimezone(tz).date()
    first_no = -(PERIOD_DAYS - 1)
    data = ReportData(now, today, today + timedelta(days=first_no), today)

    @lru_cache(maxsize=None)
    def iso(day: int) -> str:
        return (today + timedelta(days=day)).isoformat()

    @lru_cache(maxsize=None)
    def offset(day: int) -> int:
        d = today + timedelta(days=day)
        return int(datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset().total_seconds())

    @lru_cache(maxsize=65536)
    def at(day: int, second: int) -> str:
        """The naive UTC instant of SECOND (local) on DAY, as SQLite stores it."""
        s = second - offset(day)
        return f"{iso(day - 1)} {_HMS[s + 86400]}" if s < 0 else f"{iso(day)} {_HMS[s]}"

    data.head = [
        (Club.__table__, [{"id": CLUB_ID, "name": "Bench Fitness", "timezone": TZ_NAME, "currency": "EUR",
                           "country": "FI", "default_locale": "en", "phone": "+358401234567",
                           "created_at": now - timedelta(days=2000)}]),
        (Staff.__table__, [{"id": STAFF_ID, "club_id": CLUB_ID, "email": "manager@bench.club",
                            "name": "Mia Manager", "role": "manager",
                            "password_hash": generate_password_hash("bench-password"), "locale": None,
                            "is_trainer": True, "active": True,
                            "created_at": now - timedelta(days=2000)}]),
        (Plan.__table__, [{"id": pid, "club_id": CLUB_ID, "name": name, "duration_days": days,
                           "visit_limit": limit, "price_minor": price, "currency": "EUR", "service_id": None,
                           "service_units": 0, "active": True} for pid, name, days, limit, price, _w, _r in PLANS]),
    ]

    # Memberships, member by member, until exactly CYCLES of them end in the period.
    weights = [p[5] for p in PLANS]
    memberships: list[tuple] = []
    found: list[_Cycle] = []
    member_id = 0
    returning = 0

    def sell(member: int, plan: tuple, renews: int | None, start: int, sold: int, cancelled: int | None,
             reason: str | None) -> int:
        mid = len(memberships) + 1
        pid, _name, dur, limit, price, _w, _r = plan
        memberships.append((
            mid, CLUB_ID, member, pid, renews, iso(start), iso(start + dur - 1), limit, price, "EUR",
            at(sold, 10 * 3600 + mid % 36000), STAFF_ID,
            at(min(cancelled, 0), 9 * 3600) if cancelled is not None else None,
            iso(cancelled) if cancelled is not None else None, reason,
            STAFF_ID if cancelled is not None else None))
        return mid

    while len(found) < cycles:
        member_id += 1
        plan = rng.choices(PLANS, weights)[0]
        start = rng.randrange(first_no - plan[2], 1 - plan[2] // 2)
        seen = False
        if rng.random() < 1 / 7:   # came back after a lapse: an old contract, over long before the period
            old_end = min(start, first_no) - rng.randrange(30, 400)
            sell(member_id, plan, None, old_end - plan[2] + 1, old_end - plan[2] + 1, None, None)
            seen = True
            returning += 1
        while True:   # a chain of renewals; then, maybe, a new one after a lapse
            previous, sold = None, start - rng.randrange(0, 8)
            while True:
                dur, renew = plan[2], plan[6]
                ends = start + dur - 1
                cancelled = None
                if rng.random() < 0.05:   # cut short: cancelled after its start, by today
                    day = start + 1 + rng.randrange(dur - 1)
                    cancelled = day if day <= 0 else None
                mid = sell(member_id, plan, previous, start, sold, cancelled, "Moved away" if cancelled else None)
                last = cancelled - 1 if cancelled is not None else ends
                cycle = None
                if first_no <= last <= 0:
                    cycle = _Cycle(mid, member_id, plan[0], not seen, start, last)
                    found.append(cycle)
                seen = True
                if cancelled is not None or len(found) >= cycles or rng.random() >= renew:
                    break
                # A renewal is sold from 45 days before the end to 30 days after it; not yet, if that is after
                # today.
                sold = ends - rng.randrange(0, 45) if rng.random() < 0.6 else ends + 1 + rng.randrange(0, 30)
                if sold > 0:
                    break
                if rng.random() < 0.15:
                    plan = rng.choices(PLANS, weights)[0]
                start = max(ends + 1, sold)
                if rng.random() < 0.02:   # refunded: cancelled on its first day; the contract it renews lapsed
                    sell(member_id, plan, mid, start, sold, start, "Refunded")
                    ends = start + plan[2] - 1
                    break
                if cycle is not None:
                    cycle.renewed = True
                previous = mid
            start = ends + rng.randrange(20, 150)
            if len(found) >= cycles or start > 0 or rng.random() >= RETURN:
                break
            plan = rng.choices(PLANS, weights)[0]
            returning += 1
    members = member_id

    phones = [f"+35840{n:07d}" for n in range(members + 1)]
    consent = [False] + [rng.random() < 0.85 for _ in range(members)]
    member_rows = []
    for n in range(1, members + 1):
        first, last = FIRST[n % len(FIRST)], LASTS[n * 7 % len(LASTS)]
        key, key_rev = name_keys(first, last)
        created = at(-2000 + n % 1500, 12 * 3600)
        member_rows.append((n, CLUB_ID, first, last, key, key_rev, phones[n], LOCALES[n % len(LOCALES)],
                            "walk_in", int(consent[n]), created, created))

    # Touchpoints: every tool but club_news first, then keep_in_touch rows to make the total exact.
    rows: list[tuple] = []
    sent_sms: list[int] = []                    # indexes in ROWS of sent SMS
    invites: list[int] = []                     # indexes of class and trial invitations that went out
    empty = json.dumps({})
    by_tool = data.by_tool
    assignments: list[tuple] = []

    def emit(c: _Cycle, tool: str, fired: list[tuple[str, int, int]]) -> None:
        """Store the touchpoints of TOOL in cycle C: FIRED (rule, occurrence, due day no.), arm by arm."""
        held = rng.random() < HOLDOUT[tool] / 100
        first_due = max(c.start, min(fired[0][2], 0))
        assignments.append((len(assignments) + 1, CLUB_ID, c.member_id, "member", c.membership_id, tool,
                            TOOL_ID[tool], int(held), HOLDOUT[tool], iso(first_due), at(first_due, 3 * 3600)))
        reached = False
        for rule, occurrence, due in fired:
            spec = SPEC[rule]
            due = max(c.start, min(due, 0))
            channel, skip_reason, outcome, done = spec.channel, None, None, False
            if held:
                status = "held_out"
            else:
                r = rng.random()
                if due >= -3 and r < 0.5:
                    status = "planned"
                elif channel == "sms":
                    status = "sent" if r < 0.75 else "skipped"
                    reached = reached or status == "sent"
                else:
                    status = "done" if r < 0.85 else "skipped"
                    if status == "done":
                        outcome = "reached" if rng.random() < 0.55 else "no_answer"
                        reached = reached or outcome in SPOKEN
                        done = True
                if status == "skipped":
                    skip_reason = "budget" if r < 0.95 else "sms_cap"
            if status in ("sent", "done") and rule in ("class_invite", "trial_invite"):
                invites.append(len(rows))
            if status == "sent":
                sent_sms.append(len(rows))
            planned_at = at(due, 3 * 3600)
            rows.append((len(rows) + 1, CLUB_ID, c.member_id, c.membership_id, TOOL_ID[tool], RULE_ID[rule],
                         occurrence, spec.stages.split(",")[0], channel, status, skip_reason,
                         spec.task_kind if channel == "task" else None, empty, iso(due), planned_at, None,
                         outcome, planned_at if done else None, STAFF_ID if done else None))
        if c.closed:
            arm = "held" if held else "assigned"
            tally = by_tool[tool, arm, int(c.renewed)]
            tally[0] += 1
            tally[1] += reached

    ordinal = today.toordinal()
    news: list[_Cycle] = []
    for c in found:
        span = c.last - c.start + 1
        first = c.first
        if first and rng.random() < 0.95:
            emit(c, "welcome", [("welcome", 0, c.start)])
        if first and rng.random() < 0.3:
            emit(c, "first_visit_call", [("no_first_visit", 0, c.start + 7)])
        if rng.random() < (0.6 if first else 0.05):
            emit(c, "trial_session", [("trial_invite", 0, c.start + 2)])
        if first and rng.random() < 0.5:
            emit(c, "adaptation_check", [("adaptation_14", 0, c.start + 14)]
                 + ([("adaptation_30", 0, c.start + 30)] if rng.random() < 0.5 else []))
        if rng.random() < 0.45:
            emit(c, "class_invitation", [("class_invite", 0, c.start + 21)])
        if rng.random() < 0.45:
            anchors = sorted({c.start + rng.randrange(max(1, span - 10)) for _ in range(rng.randint(1, 3))})
            emit(c, "silence", [(rule, ordinal + a, a + days) for a in anchors
                                for rule, days in (("silence_sms", 10), ("silence_call", 21))
                                if rule == "silence_sms" or rng.random() < 0.5])
        if rng.random() < 0.4:
            goals = [10] + [g for g, need in ((50, 60), (100, 180)) if span >= need and rng.random() < 0.4]
            emit(c, "milestone", [(f"milestone_{g}", g, c.start + g * 2) for g in goals])
        if rng.random() < min(0.95, span / 365 + 0.05):
            due = c.start + rng.randrange(span)
            emit(c, "birthday", [("birthday", (today + timedelta(days=due)).year, due)])
        if rng.random() < 0.5:
            seasons = rng.sample(("season_newyear", "season_spring", "season_autumn"), rng.randint(1, 3))
            dues = [c.start + rng.randrange(span) for _ in seasons]
            emit(c, "seasonal", [(s, (today + timedelta(days=d)).year, d) for s, d in zip(seasons, dues, strict=True)])
        if rng.random() < 0.15:
            emit(c, "package_offer", [("low_balance", rng.randrange(1, 20_000), c.start + rng.randrange(span))]
                 + ([("package_expiring", ordinal + c.last, c.last - 10)] if rng.random() < 0.4 else []))
        if rng.random() < 0.97:
            emit(c, "renewal_offer", [("renewal_45", 0, c.last - 45), ("renewal_14", 0, c.last - 14)]
                 + ([("renewal_call_3", 0, c.last - 3)] if rng.random() < 0.8 else []))
        if rng.random() < 0.05:
            emit(c, "freeze_end", [("freeze_ended", rng.randrange(1, 20_000), c.start + rng.randrange(span))])
        if rng.random() < (0.1 if c.renewed else 0.8):
            emit(c, "win_back", [("win_back_7", 0, c.last + 7)]
                 + ([("win_back_30", 0, c.last + 30)] if rng.random() < 0.6 else []))
        if rng.random() < 0.9:
            news.append(c)
    # keep_in_touch, every ~5 weeks of a cycle: its share of what is left, by the cycle's length.
    left = touchpoints - replies - len(rows)
    if left < len(news):
        raise ValueError(f"{touchpoints:,} touchpoints are too few for {cycles:,} cycles")
    spans = [c.last - c.start + 1 for c in news]
    total_span = sum(spans)
    extra = [int((left - len(news)) * s / total_span) for s in spans]
    for index in rng.choices(range(len(news)), spans, k=left - len(news) - sum(extra)):
        extra[index] += 1
    for c, k in zip(news, extra, strict=True):
        step = max(1, (c.last - c.start) // (k + 1))
        emit(c, "club_news", [("keep_in_touch", n, c.start + 7 + (n - 1) * step) for n in range(1, k + 2)])

    # Messages for some of the sent SMS, and a reply task after some of those.
    message_rows = []
    chosen = sorted(rng.sample(sent_sms, min(messages, len(sent_sms))))
    for n, index in enumerate(chosen, 1):
        tp = rows[index]
        tp_id, member, membership, rule, occurrence, due = tp[0], tp[2], tp[3], tp[5], tp[6], tp[13]
        day = (date.fromisoformat(due) - today).days
        r = rng.random()
        status = "delivered" if r < 0.85 else "sent" if r < 0.93 else "undelivered" if r < 0.98 else "failed"
        sent_at = at(day, 9 * 3600 + n % 3600)
        message_rows.append((
            n, CLUB_ID, member, tp_id, membership, rule, occurrence, f"tp-{tp_id}", phones[member], BODY,
            "fi", "UCS-2", 2 if r < 0.3 else 1, status, at(day, 3 * 3600), 1,
            sent_at if status != "failed" else None, at(day, 9 * 3600 + 300) if status == "delivered" else None,
            f"SM{tp_id:032x}", 30003 if status == "undelivered" else None, at(day, 3 * 3600)))
    reply_spec = SPEC["member_replied"]
    for message in rng.sample(message_rows, replies):
        day = min(0, (date.fromisoformat(message[14][:10]) - today).days + 1)
        planned_at = at(day, 12 * 3600)
        rows.append((len(rows) + 1, CLUB_ID, message[2], message[4], TOOL_ID["reply"], RULE_ID["member_replied"],
                     message[0], "active", "task", "planned", None, reply_spec.task_kind,
                     json.dumps({"reply": "Kyllä, soittakaa"}), iso(day), planned_at, None, None, None, None))

    # Invitations name a session 2 to 7 days after they went out; some were booked.
    sessions: dict[tuple[int, str], int] = {}
    session_rows, booking_rows = [], []
    booked: set[tuple[int, int]] = set()
    for index in invites:
        tp = rows[index]
        kind = "trial" if tp[5] == RULE_ID["trial_invite"] else "class"
        day = (date.fromisoformat(tp[13]) - today).days + rng.randint(2, 7)
        session_id = sessions.get((day, kind))
        if session_id is None:
            session_id = sessions[day, kind] = len(session_rows) + 1
            hour = 16 if kind == "trial" else 18
            session_rows.append((session_id, CLUB_ID, kind, "Trial session" if kind == "trial" else "Spinning",
                                 None, at(day, hour * 3600), at(day, hour * 3600 + 3600), 200, STAFF_ID, None,
                                 at(day - 30, 10 * 3600)))
        rows[index] = (*tp[:15], session_id, *tp[16:])
        if rng.random() < 0.3 and (session_id, tp[2]) not in booked:
            booked.add((session_id, tp[2]))
            booking_rows.append((len(booking_rows) + 1, session_id, tp[2], "attended" if day < 0 else "booked",
                                 "sms" if rng.random() < 0.5 else "desk", at(day - 1, 12 * 3600)))

    for c in found:
        tally = data.by_plan[c.plan_id, c.first]
        tally[0] += 1
        tally[1] += c.renewed
        tally[2] += c.pending
    data.tables = [
        ("member", MEMBER_COLS, member_rows), ("membership", MEMBERSHIP_COLS, memberships),
        ("club_session", SESSION_COLS, session_rows), ("booking", BOOKING_COLS, booking_rows),
        ("touchpoint", TOUCHPOINT_COLS, rows), ("message", MESSAGE_COLS, message_rows),
        ("assignment", ASSIGNMENT_COLS, assignments),
    ]
    data.counts = {name: len(table_rows) for name, _cols, table_rows in data.tables}
    data.counts.update({
        "cycles": len(found), "renewed": sum(c.renewed for c in found), "pending": sum(c.pending for c in found),
        "first_cycles": sum(c.first for c in found), "comebacks": returning,
        "held_out": sum(1 for row in rows if row[9] == "held_out"),
        "memberships_refunded": sum(1 for row in memberships if row[14] == "Refunded"),
        "cycles_cut_short": sum(1 for c in found if c.last < c.start + PLANS[c.plan_id - 1][2] - 1),
    })
    return data


def load(url: str, data: ReportData) -> None:
    """Fill a migrated, empty database at URL: the club, its staff and plans; the default tools and rules
    through `defaults.ensure` (checked against the ids the rows use); then the bulk tables."""
    from clubcrm.extensions import db
    from tests.conftest import make_app

    app = make_app(url)
    with app.app_context():
        for table, dicts in data.head:
            db.session.execute(insert(table), dicts)
        defaults.ensure(db.session.get(Club, CLUB_ID))
        for tool, pct in HOLDOUT.items():
            db.session.execute(update(Tool).where(Tool.club_id == CLUB_ID, Tool.key == tool).values(holdout_pct=pct))
        tools = dict(db.session.execute(select(Tool.key, Tool.id).where(Tool.club_id == CLUB_ID)).all())
        rules = dict(db.session.execute(select(Rule.key, Rule.id).where(Rule.club_id == CLUB_ID)).all())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if tools != TOOL_ID or rules != RULE_ID:
        raise RuntimeError(f"defaults.ensure numbered the tools or rules differently from the generated rows: "
                           f"{tools} / {rules}")
    load_rows(url, [], data.tables)

