"""The member page as members meet it, over real HTTP: GET /m/<token> (the link in a lifecycle SMS) on ClubCRM under
gunicorn (2 sync workers, gunicorn.conf.py, the production config) against the floor, a plain Flask route on the same
gunicorn settings doing the same SQL and rendering the same page (benchmarks/floor_app.py, `member_page`).

The club is the desk's (benchmarks/desk_data.py); `mint` adds what the page reads, with bulk inserts: classes and
trial sessions 9 to 20 days ahead with rooms, a full class and a cancelled one tomorrow, a few bookings and waitlist
places of sampled members; and for LINKS members (those with upcoming bookings, packages, a freeze today, leads in an
open cycle, the rest at random) an SMS touchpoint (a renewal offer, some answered; a class or trial invitation
offering a session, some beyond the page's two weeks; a silence nudge; a lead's trial invitation), its message and a
member_link row with the SHA-256 of a fresh token, expiring in 30 days on the real clock (the servers run on it).

Before the timing, both apps must show the same page for every token: the text of <header> and <main> (tags, so CSRF
tokens, left out), and the sessions and bookings their forms act on, in order. Then the tokens are opened in turn by
a fresh visitor each time (no cookies: a tap on a link in an SMS), ClubCRM and the floor alternating request by request
(who goes first alternates too), after warm-up; at --clients clients in rounds as desk_http's. Goal: ClubCRM within
1.5x the floor (median; at N clients also p95 and throughput).

Standalone, on a desk club someone already loaded (club 1 of `python -m benchmarks --workdir DIR`, say):

    python -m benchmarks.member_page_http --url sqlite:///DIR/bench_desk_http.db [--club-id 1] [--links 200]
        [--clients 8] [--samples 200] [--warmup 20]

`python -m benchmarks --only member_page` generates the desk club on both engines and runs this.
"""
import argparse
import base64
import hashlib
import html
import os
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.desk_http import Result, first_difference, many_clients, one_client, series_table
from benchmarks.http_desk_client import sqlalchemy_url

GOAL = 1.5
LINKS = 200
LINK_DAYS = 30
# Shares of the sampled members: upcoming bookings, packages, frozen today, leads in an open cycle, no current
# membership (expired, cancelled, not started); the rest have a current membership, at random.
SHARES = (("booked", 0.25), ("packages", 0.2), ("frozen", 0.05), ("lead", 0.06), ("not current", 0.06))
# The touchpoint whose SMS carried a member's link, in turn (leads: a trial invitation, every other one offering
# a trial session).
CARRIERS = ("renewal_45", "class_invite", "silence_sms", "trial_invite", "renewal_45", None)
ROOMS = ("Studio 1", "Studio 2")


@dataclass
class Link:
    token: str
    member_id: int
    kind: str        # which pool the member came from
    carrier: str     # the rule of the touchpoint whose SMS carried it ("none": a message of no touchpoint)


@dataclass
class Minted:
    links: list[Link] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def token_of(rng: random.Random) -> str:
    """A token of the shape member_links.new_token makes (8 random bytes, base64url, 11 characters)."""
    return base64.urlsafe_b64encode(rng.randbytes(8)).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """As member_links.hash_token stores it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def mint(url: str, club_id: int, now: datetime, links: int = LINKS, seed: int = 20260310) -> Minted:
    """Add future sessions, bookings and LINKS member links (touchpoint, message, member_link) to the loaded club
    CLUB_ID at URL (bulk inserts, one transaction); return the tokens with what each member is."""
    from sqlalchemy import create_engine, func, insert, select, text

    from clubcrm.models import (
        Booking, Club, ClubSession, Freeze, LeadCycle, Member, MemberLink, Membership, Message, Package, Rule,
        Touchpoint,
    )

    rng = random.Random(seed)
    engine = create_engine(sqlalchemy_url(url))
    out = Minted()
    try:
        with engine.begin() as conn:
            tz_name = conn.scalar(select(Club.timezone).where(Club.id == club_id))
            tz = ZoneInfo(tz_name)
            today = now.astimezone(tz).date()
            rules = {key: (rule_id, tool_id) for key, rule_id, tool_id in conn.execute(
                select(Rule.key, Rule.id, Rule.tool_id).where(Rule.club_id == club_id))}
            trainer = conn.scalar(text("SELECT min(id) FROM staff WHERE club_id = :c"), {"c": club_id})
            next_id = {table.name: (conn.scalar(select(func.max(table.c.id))) or 0) + 1 for table in (
                ClubSession.__table__, Booking.__table__, Touchpoint.__table__, Message.__table__,
                MemberLink.__table__)}

            def new_id(table: str) -> int:
                next_id[table] += 1
                return next_id[table] - 1

            # Who is who: the newest membership of each member, those covering today, bookings to come, packages,
            # freezes today, leads with an open cycle.
            newest = dict(conn.execute(select(Membership.member_id, func.max(Membership.id))
                                       .where(Membership.club_id == club_id).group_by(Membership.member_id)).all())
            current = sorted(m for (m,) in conn.execute(
                select(Membership.member_id).distinct().where(
                    Membership.club_id == club_id, Membership.starts_on <= today, Membership.ends_on >= today,
                    Membership.cancelled_on.is_(None))))
            booked = sorted(m for (m,) in conn.execute(
                select(Booking.member_id).distinct().join(ClubSession, ClubSession.id == Booking.session_id)
                .where(ClubSession.club_id == club_id, ClubSession.starts_at > now, Booking.status == "booked")))
            packaged = sorted(m for (m,) in conn.execute(
                select(Package.member_id).distinct().where(Package.club_id == club_id)))
            frozen = sorted(m for (m,) in conn.execute(
                select(Membership.member_id).distinct().join(Freeze, Freeze.membership_id == Membership.id)
                .where(Membership.club_id == club_id, Freeze.starts_on <= today, Freeze.ends_on >= today)))
            cycles = dict(conn.execute(
                select(LeadCycle.member_id, func.max(LeadCycle.id)).join(Member, Member.id == LeadCycle.member_id)
                .where(LeadCycle.club_id == club_id, LeadCycle.ended_at.is_(None), Member.converted_at.is_(None),
                       Member.erased_at.is_(None)).group_by(LeadCycle.member_id)).all())
            phones = dict(conn.execute(select(Member.id, Member.phone).where(Member.club_id == club_id)).all())
            covered = set(current)
            pools = {"booked": booked, "packages": packaged, "frozen": frozen, "lead": sorted(cycles),
                     "not current": sorted(m for m in newest if m not in covered)}
            chosen: dict[int, str] = {}
            for kind, share in SHARES:
                pool = [m for m in pools[kind] if m not in chosen]
                for member_id in rng.sample(pool, min(len(pool), max(1, round(share * links)))):
                    chosen[member_id] = kind
            rest = [m for m in current if m not in chosen]
            for member_id in rng.sample(rest, min(len(rest), max(0, links - len(chosen)))):
                chosen[member_id] = "current"
            members = list(chosen.items())[:links]

            # Sessions 9 to 20 days ahead (the desk club's end 8 days ahead): classes with rooms, a trial session a
            # day, a full class and a cancelled one in the page's two weeks.
            sessions, bookings = [], []
            created = now - timedelta(days=7)

            def session(day: date, hour: int, kind: str, title: str, capacity: int, room: str | None,
                        cancelled: datetime | None = None) -> int:
                sid = new_id("club_session")
                sessions.append({"id": sid, "club_id": club_id, "kind": kind, "title": title, "activity": title,
                                 "starts_at": _utc(day, hour, tz), "ends_at": _utc(day, hour + 1, tz),
                                 "capacity": capacity, "trainer_id": trainer, "room": room, "cancelled_at": cancelled,
                                 "created_at": created})
                return sid

            ahead: dict[str, list[int]] = {"class": [], "trial": []}
            for n in range(9, 21):
                day = today + timedelta(days=n)
                ahead["class"].append(session(day, 17, "class", "Spinning", 20, ROOMS[1]))
                ahead["class"].append(session(day, 18, "class", "Yoga", 20, ROOMS[0]))
                ahead["trial"].append(session(day, 16, "trial", "Trial session", 4, ROOMS[0]))
            # Tomorrow at 6, before the club's first class: first among the Yoga goers' sessions, full.
            full = session(today + timedelta(days=1), 6, "class", "Yoga", 2, ROOMS[0])
            session(today + timedelta(days=1), 5, "class", "Yoga", 20, ROOMS[0], cancelled=now)
            others = [m for m in booked if m not in chosen][:2] or [m for m in current if m not in chosen][:2]
            for member_id in others:
                bookings.append({"id": new_id("booking"), "session_id": full, "member_id": member_id,
                                 "status": "booked", "source": "desk", "created_at": now})
            soon = ahead["class"][:8]   # days 9 to 12
            for n, (member_id, kind) in enumerate(members):
                if kind != "lead" and n % 5 == 0:
                    bookings.append({"id": new_id("booking"), "session_id": soon[n % len(soon)],
                                     "member_id": member_id, "status": "waitlist" if n % 3 == 0 else "booked",
                                     "source": "page", "created_at": now})
            touchpoints, messages, rows = [], [], []
            carriers = Counter()
            for n, (member_id, kind) in enumerate(members):
                if kind == "lead":
                    carrier = "lead_trial_invite"
                    offered = ahead["trial"][n % len(ahead["trial"])] if n % 2 else None
                else:
                    carrier = CARRIERS[n % len(CARRIERS)]
                    offered = None
                    if carrier == "class_invite":
                        offered = ahead["class"][(n * 7) % len(ahead["class"])]   # some beyond two weeks
                    elif carrier == "trial_invite":
                        offered = ahead["trial"][(n * 5) % len(ahead["trial"])]
                carriers[carrier or "none"] += 1
                touchpoint_id = None
                cycle = {"membership_id": newest.get(member_id), "lead_cycle_id": cycles.get(member_id)
                         if kind == "lead" else None}
                if kind == "lead":
                    cycle["membership_id"] = None
                if carrier is not None:
                    rule_id, tool_id = rules[carrier]
                    touchpoint_id = new_id("touchpoint")
                    touchpoints.append({
                        "id": touchpoint_id, "club_id": club_id, "member_id": member_id, **cycle, "tool_id": tool_id,
                        "rule_id": rule_id, "occurrence": 10**6 + touchpoint_id, "stage": "lead" if kind == "lead"
                        else "active", "channel": "sms", "status": "sent", "facts": {}, "due_on": today,
                        "planned_at": now, "session_id": offered,
                        "answer": "call_me" if carrier == "renewal_45" and n % 4 == 0 else None})
                message_id = new_id("message")
                messages.append({
                    "id": message_id, "club_id": club_id, "member_id": member_id, "touchpoint_id": touchpoint_id,
                    **cycle, "rule_id": rules[carrier][0] if carrier else None,
                    "idempotency_key": f"member-page-bench:{message_id}", "to_phone": phones.get(member_id) or "",
                    "body": "Hei! Katso sivusi: https://bench.club/m/***********", "locale": "fi",
                    "encoding": "GSM-7", "segments": 1, "status": "delivered", "due_at": now, "attempts": 1,
                    "sent_at": now, "delivered_at": now, "created_at": now})
                token = token_of(rng)
                rows.append({"id": new_id("member_link"), "club_id": club_id, "member_id": member_id,
                             "touchpoint_id": touchpoint_id, "message_id": message_id, "token_hash": hash_token(token),
                             "created_at": now, "expires_at": now + timedelta(days=LINK_DAYS)})
                out.links.append(Link(token, member_id, kind, carrier or "none"))
            for table, values in ((ClubSession.__table__, sessions), (Booking.__table__, bookings),
                                  (Touchpoint.__table__, touchpoints), (Message.__table__, messages),
                                  (MemberLink.__table__, rows)):
                if values:
                    conn.execute(insert(table), values)
            if engine.dialect.name == "postgresql":
                for table in next_id:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))
                conn.execute(text("ANALYZE club_session, booking, touchpoint, message, member_link"))
        out.counts = {"links": len(out.links), "sessions": len(sessions), "bookings": len(bookings),
                      **{f"members {k}": v for k, v in sorted(Counter(k for _m, k in members).items())},
                      **{f"carried by {k}": v for k, v in sorted(carriers.items())}}
    finally:
        engine.dispose()
    return out


# --- what a page shows --------------------------------------------------------------------------------------

PART = re.compile(r"<(header|main)\b[^>]*>(.*?)</\1>", re.S)
BOOK = re.compile(r'action="/m/[A-Za-z0-9_-]{11}/book/(\d+)"')
CANCEL = re.compile(r'action="/m/[A-Za-z0-9_-]{11}/cancel/(\d+)"')


@dataclass(frozen=True)
class Facts:
    """What a member page shows: its text (header and main, tags left out, whitespace collapsed), and the sessions
    it offers and the bookings it can cancel (by id, in order)."""

    text: str
    sessions: tuple[int, ...]
    cancels: tuple[int, ...]


def facts(page: str) -> Facts:
    parts = " ".join(body for _tag, body in PART.findall(page))
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", parts)).split())
    return Facts(words, tuple(int(s) for s in BOOK.findall(page)), tuple(int(b) for b in CANCEL.findall(page)))


def open_page(browser, token: str) -> str:
    """GET the page of TOKEN as a fresh visitor (no cookies) and return it (a 200 is required)."""
    browser.cookies.clear()
    status, _loc, page = browser.request("GET", f"/m/{token}")
    if status != 200:
        raise RuntimeError(f"/m/{token[:3]}...: {status}")
    return page


def same_pages(product, floor, links: list[Link]) -> list[str]:
    """Both apps show the same facts on the page of every link; return the check's lines."""
    shown = Counter()
    for link in links:
        page = open_page(product, link.token)
        mine, plain = facts(page), facts(open_page(floor, link.token))
        if mine != plain:
            if mine.text != plain.text:
                raise RuntimeError(f"member {link.member_id} ({link.kind}, {link.carrier}): the floor's page shows "
                                   f"other text than ClubCRM's {first_difference(mine.text, plain.text)}")
            raise RuntimeError(f"member {link.member_id}: sessions {mine.sessions} / {plain.sessions}, cancels "
                               f"{mine.cancels} / {plain.cancels} (ClubCRM / floor)")
        # What ClubCRM's page holds, by its classes (whatever the member's language).
        shown["sessions"] += bool(mine.sessions)
        shown["sessions listed"] += len(mine.sessions)
        shown["bookings"] += bool(mine.cancels) or 'class="slot"' in page.split('id="bookings-title"')[1][:400]
        shown["offered"] += 'class="slot offered"' in page
        shown["full"] += 'class="places full"' in page
        shown["packages"] += 'class="packages"' in page
        shown["renewal"] += 'id="renewal"' in page
        shown["frozen"] += 'class="note frozen"' in page
    return [f"ClubCRM and the floor showed the same page (the text of header and main; the sessions offered and the "
            f"bookings cancellable, in order) for all {len(links)} tokens: {shown['sessions']} pages listed sessions "
            f"({shown['sessions listed']} in all; {shown['offered']} with the session their SMS offered, "
            f"{shown['full']} with a full one), {shown['bookings']} listed bookings, {shown['packages']} packages, "
            f"{shown['renewal']} the renewal question, {shown['frozen']} a freeze"]


def statement_counts(url: str, token: str) -> tuple[tuple[int, int], dict[str, list[str]]]:
    """SQL statements of one member page request of ClubCRM and of the floor (before_cursor_execute, each app in
    this process on the same database), and the statements themselves."""
    from sqlalchemy import event

    from benchmarks import floor_app
    from clubcrm import create_app
    from clubcrm.extensions import db

    product = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "count"})
    with product.app_context():
        product_engine = db.engine
    floor = floor_app.create_app(url, "count")
    seen: dict[str, list[str]] = {}
    apps = (("ClubCRM", product, product_engine), ("floor", floor, floor.extensions["floor_engine"]))
    for label, app, engine in apps:
        client = app.test_client()
        client.get(f"/m/{token}")   # warm: the first request of an app loads more than a page needs
        statements: list[str] = []

        def record(_c, _cur, statement, _p, _ctx, _many, statements=statements):
            statements.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(f"/m/{token}")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise RuntimeError(f"statement counts: {label} answered {response.status_code}")
        seen[label] = statements
    with product.app_context():
        db.session.remove()
        db.engine.dispose()
    floor.extensions["floor_engine"].dispose()
    return (len(seen["ClubCRM"]), len(seen["floor"])), seen


def run(engine: str, url: str, club_id: int, samples: int, warmup: int, clients: int = 8, links: int = LINKS,
        workers: int = 2, now: datetime | None = None, seed: int = 20260310, minted: Minted | None = None) -> Result:
    """Mint LINKS links in the desk club CLUB_ID at URL (unless MINTED already holds them) and measure the page."""
    from benchmarks.gunicorn_run import serve_clubcrm, serve_floor
    from benchmarks.http_desk_client import Browser

    now = now or datetime.now(UTC)
    minted = minted or mint(url, club_id, now, links, seed)
    result = Result(engine)
    result.checks.append("links: " + ", ".join(f"{k} {v:,}" for k, v in minted.counts.items()))
    tokens = minted.links
    with_touchpoint = next(link for link in tokens if link.carrier == "class_invite")
    with serve_clubcrm(url, workers) as product_server, serve_floor(url, workers) as floor_server:
        p_browsers = [Browser(product_server.url) for _ in range(clients)]
        f_browsers = [Browser(floor_server.url) for _ in range(clients)]
        try:
            result.checks += same_pages(p_browsers[0], f_browsers[0], tokens)

            def op(browser, i: int) -> None:
                open_page(browser, tokens[i % len(tokens)].token)

            ops = [("member page", (op, op))]
            result.series += one_client(p_browsers[0], f_browsers[0], ops, samples, warmup)
            result.load.append(os.getloadavg()[0])
            if clients > 1:
                result.series += many_clients(p_browsers, f_browsers, ops, samples, warmup)
                result.load.append(os.getloadavg()[0])
        finally:
            for browser in p_browsers + f_browsers:
                browser.close()
    for series in result.series:
        series.goal = GOAL
    counts, statements = statement_counts(url, with_touchpoint.token)
    result.statements = {"member page (a link with a touchpoint)": counts}
    result.profiles = {label: "\n".join(f"- {s[:160]}{'...' if len(s) > 160 else ''}" for s in found)
                       for label, found in statements.items()}
    return result


def report(results: list[Result], title: str) -> int:
    """Print the member page's tables; return how many goals are missed."""
    print()
    print(title)
    print("ClubCRM: gunicorn -c gunicorn.conf.py, 2 sync workers, CLUBCRM_ENV=production; floor: "
          "benchmarks/floor_app.py's /m/<token> on the same settings. Milliseconds per GET /m/<token> as the client "
          "sees it, a fresh visitor each time (no cookies), the tokens in turn; req/s: at 1 client one over the mean "
          "latency, at N clients the rounds' median throughput. Ratio: ClubCRM / floor (throughput: floor / ClubCRM).")
    missed = 0
    for result in results:
        missed += series_table(result)
        for label, (p, f) in result.statements.items():
            print(f"  SQL statements per request, {label} (ClubCRM / floor): {p} / {f}")
        for label, listing in result.profiles.items():
            print(f"  {label}'s statements:")
            print("\n".join("    " + line for line in listing.splitlines()))
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.member_page_http", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a loaded desk club (postgresql://... or sqlite:///...)")
    parser.add_argument("--club-id", type=int, default=1)
    parser.add_argument("--links", type=int, default=LINKS, help="members given a link (default 200)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200, help="requests per app and client count")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each app")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    engine = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    result = run(engine, sqlalchemy_url(args.url), args.club_id, args.samples, args.warmup, args.clients, args.links,
                 args.workers)
    missed = report([result], f"ClubCRM member page over HTTP: club {args.club_id} of {args.url.rsplit('@', 1)[-1]}; "
                              f"{args.samples} samples after {args.warmup} warm-up")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
