"""Desk search and check-in through the whole Flask stack, each beside a SQLAlchemy Core baseline.

Every sample of a request is interleaved with one sample of its baseline on the same database, so
both see the same caches and the same machine load. Baselines:

* lookup: one indexed lookup with Core, no Flask: the member whose E.164 phone matches, in the club;
* lookup + insert: in one transaction, the member's membership covering today (an indexed lookup on
  membership.member_id), then one INSERT of a visit.

A "floor" row (a logged-in request that runs no SQL and renders nothing) shows how much of a 3x
budget the framework alone takes; it is context, not held to the goal.
"""
import cProfile
import io
import pstats
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import bindparam, create_engine, event, func, insert, select

from benchmarks.dataset import CLUB_ID, DESK_EMAIL, DESK_PASSWORD, STAFF_ID, Dataset
from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import Member, Membership, Visit
from clubcrm.sqlite import enable_sqlite_pragmas
from tests.conftest import make_app


@dataclass
class Row:
    """One line of the table: a request's timings and those of its interleaved baseline."""

    operation: str
    baseline: str
    samples: list[float]
    base_samples: list[float]
    note: str = ""
    goal: bool = True  # False: shown for context, not held to the 3x goal

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def base_median(self) -> float:
        return statistics.median(self.base_samples)

    @property
    def base_p95(self) -> float:
        return percentile(self.base_samples, 95)

    @property
    def ratio(self) -> float:
        return self.median / self.base_median


@dataclass
class EngineResult:
    engine: str
    rows: list[Row] = field(default_factory=list)
    statements: dict[str, list[str]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)


def percentile(values: list[float], pct: float) -> float:
    """The PCT-th percentile, by the nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def typed_phone(e164: str) -> str:
    """A Finnish mobile number as people type it: +358401234567 -> "040 123 4567"."""
    national = "0" + e164.removeprefix("+358")
    return f"{national[:3]} {national[3:6]} {national[6:]}"


class Desk:
    """A logged-in desk browser (Flask's test client) and a Core engine on the same database."""

    def __init__(self, url: str, ds: Dataset) -> None:
        self.ds = ds
        self.app = make_app(url)
        self.client = self.app.test_client()
        response = self.client.post("/login", data={"email": DESK_EMAIL, "password": DESK_PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"login failed: {response.status_code}")
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
        self.core = create_engine(url, **options)
        enable_sqlite_pragmas(self.core)  # the app's own connection settings (a no-op on PostgreSQL)
        member, membership = Member.__table__, Membership.__table__
        self.by_phone = select(member).where(member.c.club_id == bindparam("club"),
                                             member.c.phone == bindparam("phone"))
        self.current_membership = (
            select(membership.c.id)
            .where(membership.c.member_id == bindparam("member"),
                   membership.c.starts_on <= bindparam("today"), membership.c.ends_on >= bindparam("today"))
            .limit(1)
        )
        self.add_visit = insert(Visit.__table__)
        self.moment = ds.now

    def close(self) -> None:
        self.core.dispose()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def tick(self) -> None:
        """Move the clock on by a second: every check-in happens at its own instant."""
        self.moment += timedelta(seconds=1)
        clock.set_now(self.moment)

    # -- the requests ------------------------------------------------------------------------
    def search(self, query: str, partial: bool = False) -> str:
        args = {"q": query, "partial": "1"} if partial else {"q": query}
        response = self.client.get("/", query_string=args)
        if response.status_code != 200:
            raise RuntimeError(f"search {query!r}: {response.status_code}")
        return response.get_data(as_text=True)

    def check_in(self, member_id: int) -> None:
        response = self.client.post(f"/members/{member_id}/checkin")
        if response.status_code != 302 or not response.headers["Location"].endswith(f"/members/{member_id}"):
            raise RuntimeError(f"check-in of {member_id}: {response.status_code}")

    def take_flashes(self) -> list[tuple[str, str]]:
        """Read and clear the flashed messages, as the card page the redirect leads to would.

        Not following the redirect would otherwise pile every message into the session cookie."""
        with self.client.session_transaction() as session:
            return session.pop("_flashes", [])

    # -- the baselines -----------------------------------------------------------------------
    def core_lookup(self, e164: str) -> None:
        with self.core.connect() as conn:
            if conn.execute(self.by_phone, {"club": CLUB_ID, "phone": e164}).first() is None:
                raise RuntimeError(f"baseline lookup found no {e164}")

    def core_check_in(self, member_id: int) -> None:
        with self.core.begin() as conn:
            membership_id = conn.execute(self.current_membership,
                                         {"member": member_id, "today": self.ds.today}).scalar()
            conn.execute(self.add_visit, {"club_id": CLUB_ID, "member_id": member_id,
                                          "membership_id": membership_id, "checked_in_at": clock.utcnow(),
                                          "source": "desk", "staff_id": STAFF_ID})

    # -- statement counts --------------------------------------------------------------------
    def statements_of(self, call: Callable[[], object]) -> list[str]:
        """Run CALL and return the SQL statements the app's engine sent meanwhile."""
        return statements_of(self.app, call)


def statements_of(app, call: Callable[[], object]) -> list[str]:
    """Run CALL and return the SQL statements APP's engine sent meanwhile."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def timed(call: Callable[[int], object], i: int) -> float:
    """Milliseconds that CALL(I) took."""
    start = time.perf_counter()
    call(i)
    return (time.perf_counter() - start) * 1000


def interleave(request: Callable[[int], object], baseline: Callable[[int], object], warmup: int,
               samples: int, after: Callable[[int], object] | None = None) -> tuple[list[float], list[float]]:
    """Time REQUEST(i) and BASELINE(i) alternately, after WARMUP untimed rounds; AFTER(i) runs untimed."""
    times, base = [], []
    for i in range(warmup + samples):
        b = timed(baseline, i)
        r = timed(request, i)
        if after is not None:
            after(i)
        if i >= warmup:
            times.append(r)
            base.append(b)
    return times, base


def run(engine_name: str, url: str, ds: Dataset, samples: int, warmup: int, profile: bool = False,
        seed: int = 11) -> EngineResult:
    """Measure the desk on the database at URL, loaded with DS."""
    rng = random.Random(seed)
    result = EngineResult(engine_name)
    clock.set_now(ds.now)
    desk = Desk(url, ds)
    try:
        n = warmup + samples
        # Every series, requests and baselines alike, works on its own members, picked at random.
        pool = iter(rng.sample([p for p in ds.people if p[3] and p[4]], 12 * n))

        def take() -> list[tuple]:
            return [next(pool) for _ in range(n)]

        lookup = "Core: 1 indexed lookup"

        def base_lookup_on(people: list[tuple]) -> Callable[[int], None]:
            return lambda i: desk.core_lookup(people[i][3])

        # (a) desk search, three ways of typing, a broad first-name query, and the live search.
        phones, cards, broad = take(), take(), take()
        names, live_names = take(), take()
        # "Anna Virtane" (first name, most of the last) or "Virtanen A" (last name, first initial).
        def name_query(i: int, first: str, last: str) -> str:
            return f"{first} {last[:-2]}" if i % 2 else f"{last} {first[:1]}"

        found: list[int] = []

        def name_search(people: list[tuple], partial: bool = False) -> Callable[[int], None]:
            def search(i: int) -> None:
                member_id, first, last, _phone, _card = people[i]
                page = desk.search(name_query(i, first, last), partial)
                found.append(page.count("<tr>") - 1)
                if f'/members/{member_id}"' not in page and found[-1] < 20:
                    query = name_query(i, first, last)
                    raise RuntimeError(f"name search {query!r} missed member {member_id}")
            return search

        def exact_search(people: list[tuple], query_of) -> Callable[[int], None]:
            def search(i: int) -> None:
                page = desk.search(query_of(people[i]))
                if f'/members/{people[i][0]}"' not in page:
                    raise RuntimeError(f"search {query_of(people[i])!r} missed member {people[i][0]}")
            return search

        cases = [
            ("search: phone typed with spaces", exact_search(phones, lambda p: typed_phone(p[3])),
             f'e.g. "{typed_phone(phones[0][3])}"'),
            ("search: name prefix", name_search(names),
             f'e.g. "{name_query(0, *names[0][1:3])}", "{name_query(1, *names[1][1:3])}"'),
            ("search: card code", exact_search(cards, lambda p: p[4]), f'e.g. "{cards[0][4]}"'),
            ("search: first name only (broad)", lambda i: desk.search(broad[i][1]),
             f'e.g. "{broad[0][1]}" (20 shown)'),
            ("search: live, name (?partial=1)", name_search(live_names, partial=True),
             "what desk.js fetches as staff type: the results table only"),
        ]
        for label, request, note in cases:
            found.clear()
            times, base = interleave(request, base_lookup_on(take()), warmup, samples)
            if found:
                note += f"; {statistics.mean(found[warmup:]):.1f} found on average"
            result.rows.append(Row(label, lookup, times, base, note))

        # The floor under every request: a logged-in POST that runs no SQL and renders no template
        # (an unknown language on /locale just redirects). What is left of a 3x budget after it.
        def floor(i: int) -> None:
            response = desk.client.post("/locale", data={"locale": "xx", "next": "/"})
            if response.status_code != 302:
                raise RuntimeError(f"floor request: {response.status_code}")

        times, base = interleave(floor, base_lookup_on(take()), warmup, samples)
        result.rows.append(Row("floor: Flask request, no SQL/template", lookup, times, base,
                               "POST /locale with an unknown code: session cookie, routing, redirect only",
                               goal=False))

        # (b) check-in of distinct active members; the baseline checks in other members.
        ready = ds.checkin_ready
        if len(ready) < 2 * n + 10:
            raise RuntimeError(f"only {len(ready)} members can check in; lower --samples")
        members, others = ready[:n], ready[n: 2 * n]
        refusals: list[str] = []

        def check_in(i: int) -> None:
            desk.tick()
            desk.check_in(members[i])

        def after_check_in(i: int) -> None:
            flashes = desk.take_flashes()
            if [c for c, _m in flashes] != ["success"]:
                refusals.append(f"{members[i]}: {flashes}")

        with desk.app.app_context():
            before = db.session.scalar(select(func.count()).select_from(Visit))
            db.session.remove()
        times, base = interleave(check_in, lambda i: desk.core_check_in(others[i]), warmup, samples,
                                 after=after_check_in)
        with desk.app.app_context():
            added = db.session.scalar(select(func.count()).select_from(Visit)) - before
            db.session.remove()
        if refusals or added != 2 * n:
            raise RuntimeError(f"check-in: {added} visits added for {2 * n} check-ins; "
                               f"refused: {refusals[:3]}")
        result.checks.append(f"check-in: {n} requests + {n} baselines added exactly {added} visits, "
                             "none refused")
        result.rows.append(Row("check-in: POST /members/<id>/checkin", "Core: 1 indexed lookup + 1 insert",
                               times, base, "distinct active members, redirect not followed"))

        # Statements per request.
        desk.tick()
        result.statements["check-in, member with no visits"] = desk.statements_of(
            lambda: desk.check_in(ds.no_visit_member))
        desk.take_flashes()
        result.statements[f"check-in, member with {ds.counts['heavy_visits']} visits"] = desk.statements_of(
            lambda: desk.check_in(ds.heavy_member))
        if [c for c, _m in desk.take_flashes()] != ["success"]:
            raise RuntimeError("the statement-count check-ins were refused")
        result.statements["search by phone"] = desk.statements_of(
            lambda: desk.search(typed_phone(phones[1][3])))

        if profile:
            result.profiles = profile_requests(desk, ds, rng, samples)
    finally:
        desk.close()
        clock.set_now(None)
    return result


def profile_requests(desk: Desk, ds: Dataset, rng: random.Random, samples: int) -> dict[str, str]:
    """cProfile SAMPLES search (phone) and check-in requests; return the top of each profile."""
    people = [p for p in ds.people if p[3]]
    phones = [typed_phone(p[3]) for p in rng.sample(people, samples)]
    members = ds.checkin_ready[-samples:]
    out = {}
    for label, call in (("search: phone", lambda i: desk.search(phones[i])),
                        ("check-in",
                         lambda i: (desk.tick(), desk.check_in(members[i]), desk.take_flashes()))):
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(samples):
            call(i)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        out[label] = text.getvalue()
    return out
