"""The desk as staff feel it, over real HTTP: ClubCRM under gunicorn (2 sync workers, gunicorn.conf.py, the
production config) against the floor, a plain Flask app on the same gunicorn settings doing the same SQL and
rendering the same rows (benchmarks/floor_app.py).

* search: the desk page for a name ("Anna Virtane" / "Virtanen A"), a phone as typed ("040 123 4567") and a
  card code; the members each lists are compared (ClubCRM's and the floor's must be the same);
* scan -> card: POST /scan with a card code (the check-in) AND the member card its redirect leads to, fully
  rendered; each check-in a different member a check-in accepts, verified on the page ("checked in."). Before the
  timing, both apps' cards must show the same text (<main>'s, tags and so CSRF tokens left out): six searched
  members', one each with an open task, a control-group touchpoint, a skipped one, a package, a staff contact, a
  visit-count membership, a freeze or a cancellation (those the club has), and two members' after a check-in.

1 client: ClubCRM and the floor alternate request by request (who goes first alternates too). 8 clients: rounds
of 8 threads each sending a share of the samples, ClubCRM's round and the floor's alternating, so that load from
outside hits both alike; throughput is the round's requests over its wall time. Goals: ClubCRM within 1.5x the
floor for search and 2x for scan -> card (medians; at 8 clients also p95 and throughput).

Standalone, on a database someone already loaded (e.g. the chain's), with the desk login of club N:

    python -m benchmarks.desk_http --url postgresql://clubcrm@127.0.0.1:5432/chain --club-id N \
        [--email desk@bench.club --password bench-password] [--clients 8] [--samples 200] [--warmup 20]

`python -m benchmarks --only desk_http` generates a club (benchmarks/desk_data.py) on both engines and runs this.
"""
import argparse
import html
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from benchmarks.http_desk_client import sqlalchemy_url

GOALS = {"search": 1.5, "scan -> card": 2.0}
SEARCHES = ("search: name", "search: phone", "search: card code")


def percentile(values: list[float], pct: float) -> float:
    """The PCT-th percentile, by the nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Series:
    """One operation's timings on ClubCRM and on the floor, and the throughput of their rounds."""

    operation: str
    goal: float | None
    clients: int
    product: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    product_rps: list[float] = field(default_factory=list)
    floor_rps: list[float] = field(default_factory=list)

    def ratio(self) -> float:
        return statistics.median(self.product) / statistics.median(self.floor)

    def p95_ratio(self) -> float:
        return percentile(self.product, 95) / percentile(self.floor, 95)

    def rps(self, which: list[float], times: list[float]) -> float:
        """Requests a second: the rounds' own figures at 8 clients; one over the mean latency at 1 client."""
        return statistics.median(which) if which else 1000 / statistics.mean(times)


@dataclass
class Result:
    engine: str
    series: list[Series] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    statements: dict[str, tuple[int, int]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)


class Pool:
    """Members handed out once each (a check-in per member), thread-safe."""

    def __init__(self, people: list) -> None:
        self.people, self.next, self.lock = people, 0, threading.Lock()

    def take(self):
        with self.lock:
            if self.next >= len(self.people):
                raise RuntimeError(f"only {len(self.people)} members can check in: lower --samples")
            self.next += 1
            return self.people[self.next - 1]


def search_ops(people: list) -> list[tuple[str, Callable]]:
    """The three searches: each call searches member I of PEOPLE (cycled) and checks that it is listed."""
    from benchmarks.http_desk_client import name_query, typed_phone

    def op(query_of):
        def run(browser, i: int) -> list[int]:
            person = people[i % len(people)]
            return browser.search(query_of(i, person), expect=person.id)
        return run

    return [("search: name", op(name_query)), ("search: phone", op(lambda i, p: typed_phone(p.phone))),
            ("search: card code", op(lambda i, p: p.card))]


def scan_op(pool: Pool, refused: list[str]) -> Callable:
    def run(browser, _i: int) -> None:
        from benchmarks.http_desk_client import checked_in

        person = pool.take()
        _post, _card, page = browser.scan(person.card, person.id)
        if not checked_in(page):
            refused.append(f"{person.id}")
    return run


MAIN = re.compile(r"<main[^>]*>(.*?)</main>", re.S)
FLASH = re.compile(r'<div class="flash [^"]*" role="status">(.*?)</div>', re.S)


def visible(page: str, flashes: bool = True) -> str:
    """What a page's <main> shows: its text with the tags (and so the CSRF tokens in their attributes) left out,
    entities read, whitespace collapsed; without the flashed messages unless FLASHES."""
    found = MAIN.search(page)
    main = found.group(1) if found else ""
    if not flashes:
        main = FLASH.sub(" ", main)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def flashed(page: str, person) -> list[str]:
    """The messages flashed on PAGE, with PERSON's name as {name} (to compare two members' check-ins)."""
    name = f"{person.first} {person.last}".strip()
    return [" ".join(html.unescape(m).split()).replace(name, "{name}") for m in FLASH.findall(MAIN.search(page)[1])]


def first_difference(mine: str, floor: str, context: int = 80) -> str:
    """Where two texts part: the position and a stretch of each."""
    at = next((n for n, (a, b) in enumerate(zip(mine, floor, strict=False)) if a != b),
              min(len(mine), len(floor)))
    start = max(0, at - context)
    return (f"at character {at}: ClubCRM ...{mine[start:at + context]!r}..., "
            f"the floor ...{floor[start:at + context]!r}...")


def card_members(url: str, club_id: int) -> list[int]:
    """Members of CLUB_ID whose cards show what a card can hold: an open task due by today, a touchpoint of each
    status, a package, a staff contact, a visit-count membership, a freeze, a cancellation (one each, when there is
    one; read-only)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    queries = (
        "SELECT min(member_id) FROM touchpoint WHERE club_id = :c AND channel = 'task' AND status = 'planned'",
        "SELECT max(member_id) FROM touchpoint WHERE club_id = :c AND status = 'held_out'",
        "SELECT max(member_id) FROM touchpoint WHERE club_id = :c AND status = 'skipped'",
        "SELECT min(member_id) FROM package WHERE club_id = :c",
        "SELECT max(member_id) FROM staff_contact WHERE club_id = :c",
        "SELECT min(member_id) FROM membership WHERE club_id = :c AND visit_limit IS NOT NULL",
        "SELECT max(membership.member_id) FROM \"freeze\" JOIN membership ON membership.id = \"freeze\".membership_id "
        "WHERE membership.club_id = :c",
        "SELECT min(member_id) FROM membership WHERE club_id = :c AND cancelled_on IS NOT NULL",
    )
    try:
        with engine.connect() as conn:
            found = [conn.execute(text(q), {"c": club_id}).scalar() for q in queries]
    finally:
        engine.dispose()
    return list(dict.fromkeys(m for m in found if m is not None))


def same_cards(p_browser, f_browser, people: list, scanned: list, extra: list[int]) -> str:
    """Both apps' member cards show the same text (the floor renders what ClubCRM does): the cards of PEOPLE and
    of the members EXTRA, as they are, and of the two SCANNED members after a check-in, ClubCRM scanning the first
    and the floor the second, each card then read from the other app too (without the flash, which only the scanning
    app shows); the two apps' flashes must say the same of their own check-in. Return the check's line."""
    compared = 0
    for member_id in [p.id for p in people] + extra:
        path = f"/members/{member_id}"
        (p_status, _l, mine), (f_status, _l2, floor) = p_browser.request("GET", path), f_browser.request("GET", path)
        if (p_status, f_status) != (200, 200):
            raise RuntimeError(f"card {member_id}: ClubCRM answered {p_status}, the floor {f_status}")
        if visible(mine) != visible(floor):
            raise RuntimeError(f"card {member_id}: the floor shows other text than ClubCRM "
                               f"{first_difference(visible(mine), visible(floor))}")
        compared += 1
    flashes = []
    for scanner, other, person in ((p_browser, f_browser, scanned[0]), (f_browser, p_browser, scanned[1])):
        _post, _card, page = scanner.scan(person.card, person.id)
        status, _loc, seen = other.request("GET", f"/members/{person.id}")
        if status != 200:
            raise RuntimeError(f"card {person.id} after a check-in: {status}")
        mine, floor = (page, seen) if scanner is p_browser else (seen, page)
        if visible(mine, flashes=False) != visible(floor, flashes=False):
            raise RuntimeError(f"card {person.id} after a check-in: the floor shows other text than ClubCRM "
                               f"{first_difference(visible(mine, False), visible(floor, False))}")
        flashes.append(flashed(page, person))
        compared += 1
    if flashes[0] != flashes[1] or not flashes[0]:
        raise RuntimeError(f"check-in flashes: ClubCRM said {flashes[0]}, the floor {flashes[1]}")
    return (f"ClubCRM and the floor showed the same text on {compared} member cards ({len(scanned)} of them "
            f"after a check-in, flashed alike: {flashes[0][0]!r})")


def timed(call: Callable, *args) -> float:
    start = time.perf_counter()
    call(*args)
    return (time.perf_counter() - start) * 1000


def one_client(product, floor, ops, samples: int, warmup: int) -> list[Series]:
    """Alternate ClubCRM and the floor request by request, one browser each."""
    out = []
    for label, (p_op, f_op) in ops:
        series = Series(label, goal_of(label), 1)
        for i in range(warmup + samples):
            pair = [(product, p_op, series.product), (floor, f_op, series.floor)]
            for browser, op, times in (pair if i % 2 else pair[::-1]):
                took = timed(op, browser, i)
                if i >= warmup:
                    times.append(took)
        out.append(series)
    return out


def goal_of(label: str) -> float | None:
    return GOALS["search"] if label.startswith("search") else GOALS.get(label)


def run_clients(browsers: list, op: Callable, per_client: int, offset: int) -> tuple[list[float], float]:
    """Each browser sends PER_CLIENT requests of OP at once (one thread each); return latencies and req/s."""
    times: list[list[float]] = [[] for _ in browsers]
    errors: list[BaseException] = []
    start_line = threading.Barrier(len(browsers) + 1)

    def client(n: int) -> None:
        try:
            start_line.wait()
            for k in range(per_client):
                times[n].append(timed(op, browsers[n], offset + n * per_client + k))
        except BaseException as error:   # reported by the caller, with the rest of the round
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(browsers))]
    for thread in threads:
        thread.start()
    start_line.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    flat = [t for ts in times for t in ts]
    return flat, len(flat) / wall


ROUNDS = 4


def shares(samples: int, warmup: int, clients: int) -> tuple[int, int]:
    """Requests per client in a warm-up round and in each of the ROUNDS timed rounds of many_clients."""
    return max(1, warmup // clients), max(1, samples // (clients * ROUNDS))


def many_clients(products: list, floors: list, ops, samples: int, warmup: int) -> list[Series]:
    """ROUNDS rounds per operation, ClubCRM's and the floor's alternating, each with every browser busy."""
    out = []
    clients = len(products)
    warm, per_client = shares(samples, warmup, clients)
    for label, (p_op, f_op) in ops:
        series = Series(label, goal_of(label), clients)
        run_clients(products, p_op, warm, 10**6)   # warm-up, untimed
        run_clients(floors, f_op, warm, 10**6)
        for r in range(ROUNDS):
            pair = [(products, p_op, series.product, series.product_rps),
                    (floors, f_op, series.floor, series.floor_rps)]
            for browsers, op, times, rps in (pair if r % 2 else pair[::-1]):
                took, rate = run_clients(browsers, op, per_client, r * clients * per_client)
                times.extend(took)
                rps.append(rate)
        out.append(series)
    return out


def statement_counts(url: str, people: list, email: str, password: str) -> dict[str, tuple[int, int]]:
    """SQL statements per request of ClubCRM and of the floor, each app in this process on the same database
    (before_cursor_execute on its engine); a search by name, a scan and the card it leads to, each app checking in
    a member of its own from PEOPLE (a second check-in of one member would be a repeat, which writes less)."""
    from urllib.parse import urlencode

    from sqlalchemy import event

    from benchmarks import floor_app
    from benchmarks.http_desk_client import CSRF, name_query
    from clubcrm import create_app
    from clubcrm.extensions import db

    product = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "count", "WTF_CSRF_ENABLED": False})
    with product.app_context():
        product_engine = db.engine
    floor = floor_app.create_app(url, "count")
    counts: dict[str, list[int]] = {}
    for app, engine, column in ((product, product_engine, 0), (floor, floor.extensions["floor_engine"], 1)):
        person = people[column]
        client = app.test_client()
        found = CSRF.search(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": email, "password": password,
                                               "csrf_token": found.group(1) if found else ""})
        if response.status_code != 302:
            raise RuntimeError(f"statement counts: login {response.status_code}")
        found = CSRF.search(client.get("/").get_data(as_text=True))
        token = found.group(1) if found else ""
        seen: list[str] = []

        def record(_c, _cur, statement, _p, _ctx, _many, seen=seen):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            for label, method, path, data in (
                    ("search: name", "GET", "/?" + urlencode({"q": name_query(0, person)}), None),
                    ("scan (POST)", "POST", "/scan", {"q": person.card, "csrf_token": token}),
                    ("card page", "GET", f"/members/{person.id}", None)):
                seen.clear()
                client.open(path, method=method, data=data)
                counts.setdefault(label, [0, 0])[column] = len(seen)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    with product.app_context():
        db.session.remove()
        db.engine.dispose()
    floor.extensions["floor_engine"].dispose()
    return {label: (p, f) for label, (p, f) in counts.items()}


def profile_requests(url: str, people: list, searched: list, email: str, password: str,
                     top: int = 25) -> dict[str, str]:
    """cProfile ClubCRM in this process (Flask's test client, CSRF off), name searches and scan -> card over
    PEOPLE (members a check-in accepts), for where a missed goal's time goes: the top of each by cumulative time."""
    import cProfile
    import io
    import pstats

    from benchmarks.http_desk_client import name_query
    from clubcrm import create_app
    from clubcrm.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "profile", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    if client.post("/login", data={"email": email, "password": password}).status_code != 302:
        raise RuntimeError("profile: login refused")
    out = {}
    calls = {"search: name": lambda i: client.get("/", query_string={"q": name_query(i, searched[i % len(searched)])}),
             "scan -> card": lambda i: client.post("/scan", data={"q": people[i].card}, follow_redirects=True)}
    for label, call in calls.items():
        call(0)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(1, len(people)):
            call(i)
        profiler.disable()
        text_ = io.StringIO()
        pstats.Stats(profiler, stream=text_).sort_stats("cumulative").print_stats(top)
        out[f"{label} ({len(people) - 1} requests)"] = text_.getvalue()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


def run(engine: str, url: str, club_id: int, samples: int, warmup: int, clients: int = 8,
        email: str = "desk@bench.club", password: str = "bench-password", workers: int = 2,
        profile: bool = False) -> Result:
    """Measure the desk over HTTP on the database at URL (club CLUB_ID, desk login EMAIL)."""
    import os

    from benchmarks.gunicorn_run import serve_clubcrm, serve_floor
    from benchmarks.http_desk_client import Browser, desk_people

    result = Result(engine)
    people, ready = desk_people(url, club_id)
    searched = people[: max(50, samples + warmup + clients)]
    # Disjoint members for each series' check-ins (ClubCRM's and the floor's, at 1 and at N clients) and two more
    # for the statement counts.
    warm, per_client = shares(samples, warmup, clients)
    quarter = max(samples + warmup, clients * (warm + ROUNDS * per_client))
    profiled = 51 if profile else 0
    if len(ready) < 4 * quarter + 4 + profiled:
        raise RuntimeError(f"only {len(ready)} members of club {club_id} can check in now; "
                           f"{4 * quarter + 4 + profiled} needed: lower --samples")
    pools = [ready[k * quarter: (k + 1) * quarter] for k in range(4)]
    # Two more check in for the cards' comparison (ClubCRM's one, the floor's the other).
    carded = ready[4 * quarter + profiled: 4 * quarter + profiled + 2]
    extra_cards = card_members(url, club_id)
    with serve_clubcrm(url, workers) as product_server, serve_floor(url, workers) as floor_server:
        p_browsers = [Browser(product_server.url).login(email, password) for _ in range(clients)]
        f_browsers = [Browser(floor_server.url).login(email, password) for _ in range(clients)]
        try:
            # Both apps list the same members (so the floor does the same work): checked on every search kind.
            for label, op in search_ops(searched[:10]):
                for i in range(10):
                    mine, floor = op(p_browsers[0], i), op(f_browsers[0], i)
                    if mine != floor:
                        raise RuntimeError(f"{label} #{i}: ClubCRM lists {mine}, the floor {floor}")
            result.checks.append("ClubCRM and the floor listed the same members, in the same order, for 30 "
                                 "searches (10 of each kind)")
            # And their result pages read the same (states, days left, phones as people read them, and the
            # chain's guests a card or phone finds at other clubs).
            from benchmarks.http_desk_client import name_query, typed_phone

            queries = [query(i, person) for i, person in enumerate(searched[:10])
                       for query in (name_query, lambda _i, p: typed_phone(p.phone), lambda _i, p: p.card)]
            guests = 0
            for text in queries:
                path = "/?" + urlencode({"q": text})
                pages = [b.request("GET", path)[2] for b in (p_browsers[0], f_browsers[0])]
                mine, floor = (visible(page) for page in pages)
                if mine != floor:
                    raise RuntimeError(f"search {path}: the floor shows other text than ClubCRM "
                                       f"{first_difference(mine, floor)}")
                guests += 'id="guests"' in pages[0]
            result.checks.append(f"ClubCRM and the floor showed the same text on {len(queries)} search result pages "
                                 f"(name, phone and card; {guests} of them listed guests from other clubs)")
            # Both apps' cards show the same text (the floor renders what ClubCRM's card does).
            result.checks.append(same_cards(p_browsers[0], f_browsers[0], searched[:6], carded, extra_cards))
            for n, (clients_p, clients_f) in enumerate(((p_browsers[:1], f_browsers[:1]), (p_browsers, f_browsers))):
                refused: dict[str, list[str]] = {"product": [], "floor": []}
                ops = [(label, (op, op)) for label, op in search_ops(searched)]
                ops.append(("scan -> card", (scan_op(Pool(pools[2 * n]), refused["product"]),
                                             scan_op(Pool(pools[2 * n + 1]), refused["floor"]))))
                if len(clients_p) == 1:
                    result.series += one_client(clients_p[0], clients_f[0], ops, samples, warmup)
                else:
                    result.series += many_clients(clients_p, clients_f, ops, samples, warmup)
                result.load.append(os.getloadavg()[0])
                for who, ids in refused.items():
                    if ids:
                        raise RuntimeError(f"{who}: {len(ids)} check-ins not accepted, e.g. members {ids[:5]}")
            result.checks.append("every check-in of either app was accepted and its card page said so")
        finally:
            for browser in p_browsers + f_browsers:
                browser.close()
    result.statements = statement_counts(url, ready[-2:], email, password)
    if profile:
        result.profiles = profile_requests(url, ready[4 * quarter: 4 * quarter + profiled], searched, email, password)
    return result


def series_table(result: Result) -> int:
    """Print one engine's table of series (ClubCRM against the floor) and its checks; return how many goals are
    missed (also the member page's report, benchmarks/member_page_http.py)."""
    print()
    print(f"[{result.engine}]  load average (1 min) after the 1-client and the many-client runs: "
          + ", ".join(f"{x:.2f}" for x in result.load))
    header = (f"{'operation':<20} {'clients':>7}  {'ClubCRM p50':>11} {'p95':>7} {'req/s':>7}  "
              f"{'floor p50':>9} {'p95':>7} {'req/s':>7}  {'p50 x':>6} {'p95 x':>6} {'rps x':>6}  goal")
    print(header)
    print("-" * len(header))
    missed = 0
    for s in result.series:
        p_rps, f_rps = s.rps(s.product_rps, s.product), s.rps(s.floor_rps, s.floor)
        ratios = [s.ratio()] + ([s.p95_ratio(), f_rps / p_rps] if s.clients > 1 else [])
        ok = s.goal is None or all(r <= s.goal for r in ratios)
        missed += not ok
        verdict = "" if s.goal is None else f"<={s.goal:g}x {'ok' if ok else 'MISSED'}"
        print(f"{s.operation:<20} {s.clients:>7}  {statistics.median(s.product):11.1f} "
              f"{percentile(s.product, 95):7.1f} {p_rps:7.0f}  {statistics.median(s.floor):9.1f} "
              f"{percentile(s.floor, 95):7.1f} {f_rps:7.0f}  {s.ratio():5.2f}x {s.p95_ratio():5.2f}x "
              f"{f_rps / p_rps:5.2f}x  {verdict}")
    for check in result.checks:
        print(f"  {check}")
    return missed


def report(results: list[Result], title: str) -> int:
    """Print the desk tables; return how many goals are missed."""
    print()
    print(title)
    print("ClubCRM: gunicorn -c gunicorn.conf.py, 2 sync workers, CLUBCRM_ENV=production; floor: "
          "benchmarks/floor_app.py on the same settings. Milliseconds per request as the client sees it "
          "(scan -> card: the POST and the card page it redirects to); req/s: at 1 client one over the mean "
          "latency, at N clients the rounds' median throughput. Ratio: ClubCRM / floor (throughput: floor / ClubCRM).")
    missed = 0
    for result in results:
        missed += series_table(result)
        if result.statements:
            print("  SQL statements per request (ClubCRM / floor): " + "; ".join(
                f"{label} {p} / {f}" for label, (p, f) in result.statements.items()))
        for label, text_ in result.profiles.items():
            print(f"  cProfile of ClubCRM in process (test client), {label}:")
            print("\n".join("    " + line for line in text_.strip().splitlines()))
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.desk_http", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a loaded database (postgresql://... or sqlite:///...)")
    parser.add_argument("--club-id", type=int, required=True)
    parser.add_argument("--email", default="desk@bench.club", help="a desk (or manager) login of that club")
    parser.add_argument("--password", default="bench-password")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200, help="requests per operation and client count")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each app")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile 50 searches and 50 scan -> card of ClubCRM in process")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    engine = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    result = run(engine, sqlalchemy_url(args.url), args.club_id, args.samples, args.warmup, args.clients,
                 args.email, args.password, args.workers, args.profile)
    missed = report([result], f"ClubCRM desk over HTTP: club {args.club_id} of {args.url.rsplit('@', 1)[-1]}; "
                              f"{args.samples} samples per operation after {args.warmup} warm-up")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
