"""The floor under the desk: a plain Flask app, no ClubCRM code, that does what the desk's pages need with the
least machinery: the same SQL (hand-written from the statements ClubCRM sends for these pages, captured with
before_cursor_execute) and the same rows rendered with Jinja, served by the same gunicorn settings.

    gunicorn ... 'benchmarks.floor_app:create_app()'   (FLOOR_DATABASE_URL, FLOOR_SECRET_KEY from the environment)

Per request, as ClubCRM: a signed session cookie, one lookup of the logged-in staff (with their club), a CSRF
token on POSTs, and the nav's count of open tasks on every page, which has ClubCRM's header (scan box, nav, language
switcher, log-out) in the staff's language (ClubCRM's catalogs through plain Babel). Then
* GET /?q=   the search's one UNION of four indexed branches (card, phone, name key, reversed name key; at most
             20), the found members' memberships with their freezes, and other clubs' card holders (chain guests);
             each found member's row as ClubCRM's: state, days left, phone as people read it, card, a check-in form;
* POST /scan the card's holder, their memberships with plans and freezes, a row lock on the member, the repeat
             check (a visit in the last 300 s), the visit INSERT and today's bookings marked attended, one
             transaction; 302 to the card with the outcome flashed;
* GET /members/<id>  the member with memberships, plans and freezes; the last 10 visits; packages; the member's
             open tasks; the last 20 staff contacts.
It checks no role, writes no audit and keeps no login-session row: that bookkeeping is what ClubCRM adds.
"""
import hmac
import os
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from functools import lru_cache
from pathlib import Path

import phonenumbers
from babel.support import Translations
from flask import Flask, abort, g, redirect, render_template, request, session
from jinja2 import DictLoader
from sqlalchemy import create_engine, event, text

STAFF = text("SELECT staff.id, staff.club_id, staff.name, staff.role, staff.active, staff.locale, "
             "club.name AS club_name, club.timezone, club.country, club.currency, club.default_locale "
             "FROM staff LEFT OUTER JOIN club ON club.id = staff.club_id WHERE staff.id = :id")
LOGIN = text("SELECT id, password_hash FROM staff WHERE email = :email AND active")
TASK_COUNT = text("SELECT count(*) FROM (SELECT touchpoint.id FROM touchpoint WHERE touchpoint.club_id = :club "
                  "AND touchpoint.channel = 'task' AND touchpoint.status = 'planned' AND touchpoint.due_on <= :today "
                  "LIMIT 100) AS due")
_BRANCH = "SELECT id FROM (SELECT member.id FROM member WHERE member.club_id = :club AND {} {}) AS b{}"
SEARCH = text(
    "SELECT member.id, member.first_name, member.last_name, member.phone, member.card_code, member.name_key "
    "FROM member WHERE member.id IN ("
    + " UNION ALL ".join(_BRANCH.format(cond, order, n) for n, (cond, order) in enumerate((
        ("member.card_code = :card", ""), ("member.phone = :phone", ""),
        ("member.name_key >= :key AND member.name_key < :key_end", "ORDER BY member.name_key, member.id LIMIT 20"),
        ("member.name_key_rev >= :key AND member.name_key_rev < :key_end",
         "ORDER BY member.name_key_rev, member.id LIMIT 20"))))
    + ") ORDER BY member.name_key, member.id LIMIT 20")
MEMBERSHIPS_OF = ("SELECT membership.id, membership.member_id, membership.plan_id, membership.starts_on, "
                  "membership.ends_on, membership.visit_limit, membership.cancelled_on, "
                  "\"freeze\".starts_on AS f_start, \"freeze\".ends_on AS f_end FROM membership "
                  "LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
                  "WHERE membership.member_id IN ({})")
GUESTS = text("SELECT member.id, member.first_name, member.last_name FROM member WHERE member.club_id != :club "
              "AND member.card_code = :card ORDER BY member.id")
BY_CARD = text("SELECT member.id, member.club_id, member.first_name, member.last_name FROM member "
               "WHERE member.card_code = :card")
CONTRACTS = text("SELECT membership.id, membership.starts_on, membership.ends_on, membership.visit_limit, "
                 "membership.cancelled_on, plan.name AS plan, \"freeze\".starts_on AS f_start, "
                 "\"freeze\".ends_on AS f_end FROM membership JOIN plan ON plan.id = membership.plan_id "
                 "LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
                 "WHERE membership.member_id = :member ORDER BY membership.starts_on DESC, membership.id DESC")
LOCK = text("UPDATE member SET id = member.id WHERE member.id = :member")
REPEAT = text("SELECT visit.id FROM visit WHERE visit.member_id = :member AND visit.checked_in_at >= :since "
              "ORDER BY visit.checked_in_at DESC LIMIT 1")
ADD_VISIT = text("INSERT INTO visit (club_id, member_id, membership_id, checked_in_at, source, staff_id) "
                 "VALUES (:club, :member, :membership, :at, 'desk', :staff)")
ATTENDED = text("UPDATE booking SET status = 'attended' WHERE booking.member_id = :member AND booking.status = "
                "'booked' AND booking.session_id IN (SELECT club_session.id FROM club_session WHERE "
                "club_session.club_id = :club AND club_session.cancelled_at IS NULL AND club_session.starts_at >= "
                ":day_start AND club_session.starts_at < :day_end)")
CARD = text("SELECT member.id, member.club_id, member.first_name, member.last_name, member.phone, member.email, "
            "member.card_code, member.birth_date, member.locale, member.sms_consent, member.notes, member.created_at, "
            "membership.id AS membership_id, membership.starts_on, membership.ends_on, membership.visit_limit, "
            "membership.cancelled_on, plan.name AS plan, \"freeze\".starts_on AS f_start, \"freeze\".ends_on AS f_end "
            "FROM member LEFT OUTER JOIN membership ON membership.member_id = member.id LEFT OUTER JOIN plan ON "
            "plan.id = membership.plan_id LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
            "WHERE member.id = :member ORDER BY membership.starts_on DESC, membership.id DESC")
VISITS = text("SELECT visit.id, visit.checked_in_at, visit.source, club.name AS elsewhere FROM visit LEFT OUTER JOIN "
              "club ON club.id = visit.club_id AND visit.club_id != :club WHERE visit.member_id = :member "
              "ORDER BY visit.checked_in_at DESC, visit.id DESC LIMIT 10")
PACKAGES = text("SELECT service.name, package.balance, package.expires_on FROM package JOIN service ON "
                "service.id = package.service_id WHERE package.member_id = :member ORDER BY service.name, package.id")
TASKS = text("SELECT touchpoint.id, touchpoint.task_kind, touchpoint.due_on, rule.key AS rule, club_session.title "
             "FROM touchpoint JOIN rule ON rule.id = touchpoint.rule_id LEFT OUTER JOIN club_session ON "
             "club_session.id = touchpoint.session_id WHERE touchpoint.member_id = :member AND touchpoint.channel = "
             "'task' AND touchpoint.status = 'planned' AND touchpoint.due_on <= :today "
             "ORDER BY touchpoint.due_on, touchpoint.id LIMIT 30")
CONTACTS = text("SELECT staff_contact.outcome, staff_contact.note, staff_contact.created_at, staff.name AS staff "
                "FROM staff_contact LEFT OUTER JOIN staff ON staff.id = staff_contact.staff_id WHERE "
                "staff_contact.member_id = :member ORDER BY staff_contact.created_at DESC, staff_contact.id DESC "
                "LIMIT 20")
REPEAT_SECONDS = 300
CATALOGS = Path(__file__).resolve().parent.parent / "clubcrm" / "translations"
LOCALE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский", "fi": "Suomi", "sl": "Slovenščina",
                "sk": "Slovenčina"}

# The desk's page as ClubCRM renders it for a desk login (templates/base.html, desk/index.html, desk/_results.html):
# the header with the scan box, the nav with the task count, the language switcher and the log-out form; each found
# member's row with its state, days left, phone as people read it, card code and a check-in form. Strings go
# through the staff's language's catalog (ClubCRM's own .mo files, read with plain Babel).
TEMPLATES = {
    "base.html": """<!doctype html><html lang="{{ locale }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{% block title %}{% endblock %}</title>
<link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/css/app.css">
<script src="/static/js/desk.js" defer></script><script src="/static/js/autosubmit.js" defer></script></head><body>
<header class="top"><a class="brand" href="/">ClubCRM</a>
<form class="scan" method="post" action="/scan" role="search"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="search" name="q" id="q" value="{{ query|default('') }}" autocomplete="off"
 placeholder="{{ _('Name, phone or card — scan to check in') }}" aria-label="{{ _('Find a member') }}" data-live="/"
 autofocus></form>
<nav><a href="/tasks/" id="nav-today">{{ _("Today") }}{% if due %}
<span class="badge count">{{ due if due < 100 else "99+" }}</span>{% endif %}</a>
<a href="/members/new">{{ _("New lead") }}</a><a href="/sessions/">{{ _("Sessions") }}</a>
<a href="/api-tokens/" id="nav-api-tokens">{{ _("API tokens") }}</a></nav>
<form class="lang" method="post" action="/locale"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ request.full_path }}">
<select name="locale" aria-label="{{ _('Language') }}" data-autosubmit>
{% for code, name in locales %}<option value="{{ code }}" {% if code == locale %}selected{% endif %}>{{ name }}</option>
{% endfor %}
</select><noscript><button>{{ _("Switch") }}</button></noscript></form>
<form class="logout" method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<a class="who" href="/devices" id="nav-devices" title="{{ _('Signed-in devices') }}">
{{ staff.name }} · {{ _(staff.role) }}</a>
<button class="link">{{ _("Log out") }}</button></form></header>
<main>{% for category, message in flashes %}
<div class="flash {{ category }}" role="status">{{ message }}</div>{% endfor %}
{% block main %}{% endblock %}</main></body></html>""",
    "desk.html": """{% extends "base.html" %}{% block title %}{{ _("Desk") }} · {{ staff.club_name }}{% endblock %}
{% block main %}<h1>{{ staff.club_name }}</h1>
<p class="hint">{{ _("Type a name, a phone number or a card code. A scanned card checks the member in at once.") }}</p>
<div id="results">{% if query %}
{% if guests %}<table class="results" id="guests"><thead><tr><th>{{ _("Guest from another club") }}</th>
<th>{{ _("Status") }}</th><th>{{ _("Club") }}</th><th>{{ _("Card") }}</th><th></th></tr></thead><tbody>
{% for g in guests %}<tr><td><a href="/members/{{ g.id }}/guest">{{ g.first_name }} {{ g.last_name }}</a></td>
<td></td><td></td><td>{{ g.card_code or "" }}</td><td></td></tr>{% endfor %}</tbody></table>{% endif %}
{% if found %}<table class="results"><thead><tr><th>{{ _("Name") }}</th><th>{{ _("Status") }}</th>
<th>{{ _("Phone") }}</th>
<th>{{ _("Card") }}</th><th></th></tr></thead><tbody>
{% for m, state, days_left in found %}
<tr><td><a href="/members/{{ m.id }}">{{ m.first_name }} {{ m.last_name }}</a></td>
<td><span class="badge stage-{{ state }}">{{ _(state) }}</span>
{% if days_left is not none %}<small class="hint">{{ _("%(days)s days left", days=days_left) }}</small>{% endif %}</td>
<td>{{ phone(m.phone) }}</td><td>{{ m.card_code or "" }}</td>
<td><form method="post" action="/members/{{ m.id }}/checkin"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="small">{{ _("Check in") }}</button></form></td></tr>{% endfor %}</tbody></table>
{% elif not guests %}<p class="empty">{{ _("Nobody matches “%(query)s”.", query=query) }}
<a href="/members/new">{{ _("Register a new lead") }}</a></p>{% endif %}
{% endif %}</div>{% endblock %}""",
    "card.html": """{% extends "base.html" %}{% block title %}{{ m.first_name }} {{ m.last_name }}{% endblock %}
{% block main %}<h1>{{ m.first_name }} {{ m.last_name }}</h1><dl><dt>Phone</dt><dd>{{ m.phone or "" }}</dd>
<dt>Email</dt><dd>{{ m.email or "" }}</dd><dt>Card</dt><dd>{{ m.card_code or "" }}</dd>
<dt>Born</dt><dd>{{ m.birth_date }}</dd><dt>SMS</dt><dd>{{ "yes" if m.sms_consent else "no" }}</dd></dl>
<form method="post" action="/members/{{ m.id }}/checkin"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button>Check in</button></form>
<h2>Memberships</h2><table><tbody>{% for c in contracts %}<tr><td>{{ c.plan }}</td><td>{{ c.starts_on }}</td>
<td>{{ c.ends_on }}</td><td>{{ c.cancelled_on or "" }}</td><td>{% if c.f_start %}frozen {{ c.f_start }}–{{ c.f_end }}
{% endif %}</td></tr>{% endfor %}</tbody></table>
<h2>Visits</h2><ul>{% for v in visits %}<li>{{ v.checked_in_at }} {{ v.source }} {{ v.elsewhere or "" }}</li>
{% endfor %}</ul>
<h2>Packages</h2><ul>{% for p in packages %}<li>{{ p.name }}: {{ p.balance }} until {{ p.expires_on }}</li>
{% endfor %}</ul>
<h2>Tasks</h2><ul>{% for t in tasks %}<li>{{ t.rule }} {{ t.task_kind }} due {{ t.due_on }} {{ t.title or "" }}</li>
{% endfor %}</ul>
<h2>Contacts</h2><ul>{% for c in contacts %}
<li>{{ c.created_at }} {{ c.staff }}: {{ c.outcome }} {{ c.note or "" }}</li>
{% endfor %}</ul>{% endblock %}""",
    "login.html": """<!doctype html><html><body><form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input name="email"><input name="password" type="password">
<button>Log in</button></form></body></html>""",
}


def _e164(raw: str, country: str) -> str | None:
    """RAW as an E.164 number if it reads as a valid one (the same library and rule as ClubCRM's search)."""
    if sum(ch.isdigit() for ch in raw) < 6:
        return None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fold(value: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", " ".join(value.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _instant(moment: datetime, sqlite: bool):
    """A UTC instant as the database column takes it (naive text on SQLite, as SQLAlchemy writes it)."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else moment


def _standing(rows, today: date) -> tuple[str, int | None]:
    """Where a member stands today, from their memberships (with freezes), and the days left of the current one."""
    for r in rows:
        starts, ends = _day(r.starts_on), _day(r.ends_on)
        if starts <= today <= ends and r.cancelled_on is None:
            if r.f_start is not None and _day(r.f_start) <= today <= _day(r.f_end):
                return "frozen", (ends - today).days
            return "active", (ends - today).days
    return ("lead" if not rows else "expired"), None


def _phone(e164: str | None) -> str:
    """A stored number as people read it (the same library and format as ClubCRM's desk)."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@lru_cache(maxsize=16)
def _catalog(locale: str) -> Translations:
    """ClubCRM's compiled catalog of LOCALE, read once."""
    return Translations.load(str(CATALOGS), [locale])


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def create_app(database_url: str | None = None, secret_key: str | None = None) -> Flask:
    """The floor app on DATABASE_URL (FLOOR_DATABASE_URL by default)."""
    url = database_url or os.environ["FLOOR_DATABASE_URL"]
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    sqlite = url.startswith("sqlite")
    # As ClubCRM connects: SQLite in WAL with a busy timeout, PostgreSQL without JIT.
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {"options": "-c jit=off"})
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL", "synchronous=NORMAL",
                           "cache_size=-65536", "mmap_size=1073741824"):
                conn.execute(f"PRAGMA {pragma}")
    app = Flask("floor")
    app.secret_key = secret_key or os.environ.get("FLOOR_SECRET_KEY") or secrets.token_hex(32)
    app.jinja_loader = DictLoader(TEMPLATES)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(lambda s: _catalog(g.locale).ugettext(s),
                                            lambda s, p, n: _catalog(g.locale).ungettext(s, p, n), newstyle=True)
    app.jinja_env.globals.update(phone=_phone, locales=tuple(LOCALE_NAMES.items()))
    app.extensions["floor_engine"] = engine   # for the bench's statement counts

    def logged_in(conn):
        """The logged-in staff (one lookup), or a redirect to the login."""
        staff_id = session.get("staff")
        staff = conn.execute(STAFF, {"id": staff_id}).first() if staff_id else None
        if staff is None or not staff.active:
            abort(redirect("/login"))
        return staff

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_hex(20)
        return session["csrf"]

    def check_csrf() -> None:
        if not hmac.compare_digest(request.form.get("csrf_token", ""), session.get("csrf", "")):
            abort(400)

    def page(conn, template: str, staff, today: date, **context) -> str:
        due = conn.execute(TASK_COUNT, {"club": staff.club_id, "today": today}).scalar()
        # The staff's language (or the club's), as ClubCRM picks it for a browser that names none.
        g.locale = staff.locale if staff.locale in LOCALE_NAMES else staff.default_locale or "en"
        return render_template(template, staff=staff, due=due, csrf=csrf_token(), locale=g.locale,
                               flashes=session.pop("flashes", []), **context)

    def today_of(staff):
        """The staff's club's today, as the database takes a day (ISO text on SQLite)."""
        today = datetime.now(ZoneInfo(staff.timezone)).date()
        return today.isoformat() if sqlite else today

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            from werkzeug.security import check_password_hash

            check_csrf()
            with engine.connect() as conn:
                row = conn.execute(LOGIN, {"email": request.form.get("email", "")}).first()
            if row is None or not check_password_hash(row.password_hash, request.form.get("password", "")):
                return "refused", 422
            session["staff"] = row.id
            return redirect("/")
        return render_template("login.html", csrf=csrf_token())

    @app.get("/")
    def desk():
        query = " ".join(request.args.get("q", "")[:100].split())
        with engine.connect() as conn:
            staff = logged_in(conn)
            today = today_of(staff)
            found, guests = [], []
            if query:
                key, card = _fold(query), query.strip().upper()
                members = conn.execute(SEARCH, {"club": staff.club_id, "card": card,
                                                "phone": _e164(query, staff.country), "key": key,
                                                "key_end": key + "\U0010ffff"}).all()
                contracts: dict[int, list] = {}
                if members:
                    marks = ", ".join(f":m{n}" for n in range(len(members)))
                    for row in conn.execute(text(MEMBERSHIPS_OF.format(marks)),
                                            {f"m{n}": m.id for n, m in enumerate(members)}):
                        contracts.setdefault(row.member_id, []).append(row)
                found = sorted(((m, *_standing(contracts.get(m.id, []), _day(today))) for m in members),
                               key=lambda f: 0 if f[0].card_code == card else 1)
                guests = conn.execute(GUESTS, {"club": staff.club_id, "card": card}).all()
            return page(conn, "desk.html", staff, today, query=query, found=found, guests=guests)

    @app.post("/scan")
    def scan():
        check_csrf()
        query = request.form.get("q", "").strip()[:100].upper()
        with engine.begin() as conn:
            staff = logged_in(conn)
            member = conn.execute(BY_CARD, {"card": query}).first()
            if member is None or member.club_id != staff.club_id:
                return redirect(f"/?q={query}")
            tz = ZoneInfo(staff.timezone)
            now = datetime.now(UTC)
            today = now.astimezone(tz).date()
            contracts = conn.execute(CONTRACTS, {"member": member.id}).all()
            current = next((c for c in contracts if _day(c.starts_on) <= today <= _day(c.ends_on)
                            and c.cancelled_on is None
                            and not (c.f_start is not None and _day(c.f_start) <= today <= _day(c.f_end))), None)
            name = f"{member.first_name} {member.last_name}"
            if current is None:
                session.setdefault("flashes", []).append(("danger", f"Check-in refused: {name} has no membership"))
                return redirect(f"/members/{member.id}")
            conn.execute(LOCK, {"member": member.id})
            since = now - timedelta(seconds=REPEAT_SECONDS)
            if conn.execute(REPEAT, {"member": member.id, "since": _instant(since, sqlite)}).first() is not None:
                session.setdefault("flashes", []).append(("info", f"{name} is already checked in."))
                return redirect(f"/members/{member.id}")
            conn.execute(ADD_VISIT, {"club": staff.club_id, "member": member.id, "membership": current.id,
                                     "at": _instant(now, sqlite), "staff": staff.id})
            day_start = datetime(today.year, today.month, today.day, tzinfo=tz).astimezone(UTC)
            conn.execute(ATTENDED, {"member": member.id, "club": staff.club_id,
                                    "day_start": _instant(day_start, sqlite),
                                    "day_end": _instant(day_start + timedelta(days=1), sqlite)})
        session.setdefault("flashes", []).append(("success", f"{name} checked in."))
        session.modified = True
        return redirect(f"/members/{member.id}")

    @app.get("/members/<int:member_id>")
    def card(member_id: int):
        with engine.connect() as conn:
            staff = logged_in(conn)
            today = today_of(staff)
            rows = conn.execute(CARD, {"member": member_id}).all()
            if not rows or rows[0].club_id != staff.club_id:
                abort(404)
            contracts = [r for r in rows if r.membership_id is not None]
            return page(conn, "card.html", staff, today, m=rows[0], contracts=contracts,
                        visits=conn.execute(VISITS, {"club": staff.club_id, "member": member_id}).all(),
                        packages=conn.execute(PACKAGES, {"member": member_id}).all(),
                        tasks=conn.execute(TASKS, {"member": member_id, "today": today}).all(),
                        contacts=conn.execute(CONTACTS, {"member": member_id}).all())

    return app
