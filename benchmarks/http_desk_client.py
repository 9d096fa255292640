"""A staff browser over real HTTP for the benchmarks, and the desk's members picked from the database.

A Browser keeps one http.client connection (reopened when gunicorn's sync workers close it after each answer,
as they do), its cookies (the production config marks them Secure; a benchmark on loopback sends them anyway)
and the CSRF token of the last form it saw. Nothing in it is ClubCRM code: it talks to ClubCRM and the floor alike.
"""
import http.client
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MEMBER_LINK = re.compile(r'href="/members/(\d+)"')


class Refused(RuntimeError):
    """A request answered other than the benchmark expects (wrong status, member missing from a page)."""


class Browser:
    """One logged-in staff member's browser on BASE_URL."""

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """Send one request; return (status, Location, body)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "User-Agent": "clubcrm-bench"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed a kept connection between two requests: once more on a fresh one.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text_ = response.read().decode("utf-8", "replace")
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _sep, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or "expires=Thu, 01 Jan 1970" in cookie:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.will_close:
            self.conn.close()
        found = CSRF.search(text_)
        if found:
            self.csrf = found.group(1)
        return response.status, response.getheader("Location") or "", text_

    def login(self, email: str, password: str) -> "Browser":
        status, _loc, _body = self.request("GET", "/login")
        if status != 200 or not self.csrf:
            raise Refused(f"GET /login: {status}")
        status, _loc, body = self.request("POST", "/login", {"email": email, "password": password,
                                                            "csrf_token": self.csrf})
        if status != 302:
            raise Refused(f"login of {email}: {status} {body[:300]}")
        status, _loc, _body = self.request("GET", "/")   # the desk page: its forms' CSRF token
        if status != 200:
            raise Refused(f"GET / after login: {status}")
        return self

    def close(self) -> None:
        self.conn.close()

    # -- what the desk does --------------------------------------------------------------------------------
    def search(self, query: str, expect: int | None = None) -> list[int]:
        """The desk's search page for QUERY; return the members listed (EXPECT must be among them)."""
        status, _loc, body = self.request("GET", "/?q=" + quote(query))
        if status != 200:
            raise Refused(f"search {query!r}: {status}")
        found = [int(m) for m in MEMBER_LINK.findall(body)]
        if expect is not None and expect not in found and len(found) < 20:
            raise Refused(f"search {query!r} did not list member {expect}: {found}")
        return found

    def scan(self, card: str, member_id: int) -> tuple[float, float, str]:
        """Scan CARD at the desk and follow the redirect to the member card, fully rendered, as staff see it;
        return the milliseconds of the POST and of the card page, and the card page."""
        start = time.perf_counter()
        status, location, body = self.request("POST", "/scan", {"q": card, "csrf_token": self.csrf})
        posted = time.perf_counter()
        if status != 302 or not urlsplit(location).path.endswith(f"/members/{member_id}"):
            raise Refused(f"scan of {card}: {status} -> {location} {body[:200]}")
        status, _loc, page = self.request("GET", urlsplit(location).path)
        shown = time.perf_counter()
        if status != 200:
            raise Refused(f"card of {member_id} after the scan: {status}")
        return (posted - start) * 1000, (shown - posted) * 1000, page


def checked_in(page: str) -> bool:
    """The card page says the check-in went through (the flash of ClubCRM and of the floor alike)."""
    return "checked in." in page and "already checked in" not in page and "refused" not in page.lower()


def typed_phone(e164: str) -> str:
    """A Finnish mobile number as people type it: +358401234567 -> "040 123 4567" (others as stored)."""
    if not e164.startswith("+358"):
        return e164
    national = "0" + e164.removeprefix("+358")
    return f"{national[:3]} {national[3:6]} {national[6:]}"


@dataclass
class Person:
    id: int
    first: str
    last: str
    phone: str | None
    card: str | None


def sqlalchemy_url(url: str) -> str:
    """URL as SQLAlchemy reads it with the driver ClubCRM uses (postgresql:// means psycopg 3)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def desk_people(url: str, club_id: int, seed: int = 11) -> tuple[list[Person], list[Person]]:
    """CLUB_ID's members with a card and a phone, shuffled, and those of them a check-in will accept now (a
    membership covering today, not frozen today, no visit limit, no visit in the last hour)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            tz = conn.execute(text("SELECT timezone FROM club WHERE id = :c"), {"c": club_id}).scalar()
            if tz is None:
                raise SystemExit(f"no club {club_id} in the database")
            now = datetime.now(UTC)
            today = now.astimezone(ZoneInfo(tz)).date()
            sqlite = engine.dialect.name == "sqlite"
            day = today.isoformat() if sqlite else today
            since = (now - timedelta(hours=1)).replace(tzinfo=None).isoformat(" ") if sqlite else now - timedelta(
                hours=1)
            people = [Person(*row) for row in conn.execute(text(
                "SELECT id, first_name, last_name, phone, card_code FROM member WHERE club_id = :c "
                "AND phone IS NOT NULL AND card_code IS NOT NULL ORDER BY id"), {"c": club_id})]
            ready = {row[0] for row in conn.execute(text(
                "SELECT DISTINCT s.member_id FROM membership s WHERE s.club_id = :c AND s.starts_on <= :d "
                "AND s.ends_on >= :d AND s.cancelled_on IS NULL AND s.visit_limit IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM \"freeze\" f WHERE f.membership_id = s.id AND f.starts_on <= :d "
                "AND f.ends_on >= :d) "
                "AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.member_id = s.member_id AND v.checked_in_at >= :t)"),
                {"c": club_id, "d": day, "t": since})}
    finally:
        engine.dispose()
    rng = random.Random(seed)
    rng.shuffle(people)
    return people, [p for p in people if p.id in ready]


def name_query(i: int, person: Person) -> str:
    """How staff type a name: "Anna Virtane" (first name, most of the last) or "Virtanen A"."""
    return f"{person.first} {person.last[:-2]}" if i % 2 else f"{person.last} {person.first[:1]}"
