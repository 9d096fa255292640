"""No request a user can make returns 500: walk every route with bad path values and bad form values,
as a manager, an owner without a club, a desk and an anonymous visitor; and the login lock.

Requests go through the conftest's client (each request in a context of their own); the test's own
session is committed before each request so that it holds no snapshot or locks.
"""
import html
import logging
import re
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField
from wtforms.fields.core import UnboundField

from blueprints.forms import auth as auth_forms
from blueprints.forms import clubs as club_forms
from blueprints.forms import leads as lead_forms
from blueprints.forms import lifecycle as lifecycle_forms
from blueprints.forms import members as member_forms
from blueprints.forms import sales as sales_forms
from blueprints.forms import sessions as session_forms
from blueprints.forms import settings as settings_forms
from blueprints.forms import tasks as task_forms
from blueprints.forms.api_tokens import TokenForm
from blueprints.forms.data import EraseForm
from blueprints.forms.imports import PreviewForm, UploadForm
from blueprints.forms.outbox import RetryForm
from blueprints.forms.setup import SetupForm
from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LeadCycle, Message, Rule, Touchpoint
from clubcrm.services import member_links, sales
from tests.web import ERROR, Web
from tests.conftest import NOW, TODAY, make_app
from tests.lifecycle import no_holdouts, run_pass

PASSWORD = "secret-pass"
LONG = "x" * 10_000
# Bad values by the kind of field they are typed into; every field also gets COMMON.
COMMON = ["", "   ", LONG, "\x00", "Ωmega 😀", "'; DROP TABLE member; --"]
TEXT = ["/\r\nX-Injected: 1", "//evil.example", "<script>alert(1)</script>", "²"]
NUMBER = ["abc", "-1", "99999999999999999999", str(2**31), str(2**63), "1e999999", "NaN", "sNaN", "-sNaN7",
          "Infinity", "²"]
DATE = ["2026-02-30", "yesterday", "0001-01-01", "9999-12-31"]
KINDS = {"text": TEXT, "number": NUMBER, "date": DATE, "choice": ["xx"], "bool": ["y"]}
# Sent to every field of every form at once, and as every query parameter; SHORT for the cheaper walks.
SAMPLE = ["", "   ", LONG, "\x00", "Ωmega 😀", "abc", "2026-02-30", "-1", str(2**63), "sNaN",
          "/\r\nX-Injected: 1"]
SHORT = ["", LONG, "\x00", "abc", str(2**63), "/\r\nX-Injected: 1"]
# Values for a path variable: an int converter gets numbers, a string converter gets text.
INT_EDGES = [0, -1, 2**31, 2**63]
TEXT_EDGES = ["bogus", "\x00", "Ωmega 😀", "x" * 2000, ".."]
PATH_ARG = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")

# Which form each POST view reads, with its prefix; views reading raw request values list them.
FORMS = {
    "auth.login": (auth_forms.LoginForm, ""),
    "auth.change_password": (auth_forms.PasswordForm, ""),
    "members.new": (member_forms.NewLeadForm, ""),
    "members.mark_lost": (member_forms.LostForm, ""),
    "members.edit": (member_forms.MemberForm, ""),
    "sales.sell": (sales_forms.SellForm, ""),
    "sales.sell_package": (sales_forms.PackageSaleForm, ""),
    "sales.freeze": (sales_forms.FreezeForm, ""),
    "sales.cancel": (sales_forms.CancelForm, ""),
    "sales.redeem": (sales_forms.UnitsForm, "redeem"),
    "sales.grant": (sales_forms.UnitsForm, "grant"),
    "settings.club": (settings_forms.ClubForm, ""),
    "settings.member_page": (settings_forms.MemberPageForm, ""),
    "settings.opening_hours": (settings_forms.OpeningHoursForm, ""),
    "settings.add_plan": (settings_forms.PlanForm, ""),
    "settings.add_service": (settings_forms.ServiceForm, ""),
    "settings.add_staff": (settings_forms.StaffForm, ""),
    "settings.add_lost_reason": (settings_forms.LostReasonForm, ""),
    "settings.sms_test": (settings_forms.SmsTestForm, ""),
    "settings.plan_price": (settings_forms.PlanPriceForm, ""),
    "settings.reset_staff_password": (settings_forms.StaffPasswordForm, ""),
    "clubs.add": (club_forms.NewClubForm, ""),
    "clubs.save": (club_forms.EditClubForm, ""),
    "clubs.close": (club_forms.CloseClubForm, ""),
    "sessions.new": (session_forms.ScheduleForm, ""),
    "sessions.edit": (session_forms.EditSessionForm, ""),
    "tasks.call_outcome": (task_forms.CallForm, ""),
    "sessions.book": (session_forms.BookForm, ""),
    "lifecycle.budget": (lifecycle_forms.BudgetForm, ""),
    "lifecycle.tool": (lifecycle_forms.ToolForm, ""),
    "lifecycle.measurement": (lifecycle_forms.MeasurementForm, ""),
    "lifecycle.rule": (lifecycle_forms.RuleForm, ""),
    "tasks.outcome": (task_forms.OutcomeForm, ""),
    "leads.outcome": (lead_forms.LeadOutcomeForm, ""),
    "leads.lost": (member_forms.LostForm, ""),
    "leads.assign": (lead_forms.AssignForm, ""),
    "leads.merge_form": (lead_forms.MergeForm, ""),
    "members.log_contact": (task_forms.ContactForm, ""),
    "members.send_sms": (task_forms.SmsForm, ""),
    "members.let_in": (sales_forms.OverrideForm, ""),
    "outbox.retry": (RetryForm, ""),
    "data.erase": (EraseForm, ""),
    "api_tokens.create": (TokenForm, ""),
    "imports.index": (UploadForm, ""),
    "imports.update": (PreviewForm, ""),
    # 404 here (clubs exist); tests/test_setup.py walks it before setup.
    "setup.form": (SetupForm, ""),
}
RAW_FIELDS = {"desk.scan": {"q": "text"}, "members.new": {"use_member": "number"},
              "auth.set_locale": {"locale": "choice", "next": "text"},
              "auth.choose_club": {"club_id": "number"},
              # A file field: text sent in its place is no photo, refused with a message (tests/test_photos.py).
              "photos.upload": {"photo": "text"},
              "twilio_hooks.status": {"MessageSid": "text", "MessageStatus": "text", "ErrorCode": "text"},
              "twilio_hooks.inbound": {"MessageSid": "text", "From": "text", "To": "text", "Body": "text"},
              # The member page (no login: the token in the path is the key).
              "member_page.renewal": {"answer": "choice"}, "member_page.sms": {"sms": "choice"},
              "member_page.language": {"locale": "choice"}}
# Twilio's webhooks take no CSRF token: an unsigned request is refused with 403 instead.
SIGNED = {"twilio_hooks.status", "twilio_hooks.inbound"}
QUERY_FIELDS = ["q", "partial", "next", "start", "end", "club", "plan", "stage", "source", "staff", "keep", "drop"]
NO_FIELDS = {"auth.logout", "auth.end_device", "auth.log_out_everywhere", "members.check_in", "desk.guest_check_in",
             "sales.end_freeze", "members.cancel_sms", "photos.delete", "settings.set_trainer",
             "settings.toggle", "settings.toggle_staff", "sessions.cancel", "sessions.cancel_booking",
             "sessions.attend", "api_tokens.revoke", "clubs.reopen", "checklist.dismiss", "reports.recompute",
             # JSON with a bearer token, not forms (a form gets 401): tests/test_api_schemathesis.py fuzzes them.
             "api.create_lead", "api.create_checkin",
             "member_page.viewed", "member_page.book", "member_page.cancel"}
# Run last: they end the session, cancel the contract or stop selling the plan the others use.
LAST = ["sales.cancel", "settings.toggle", "settings.toggle_staff", "auth.end_device", "auth.log_out_everywhere",
        "auth.logout"]


def form_fields(form_class: type[FlaskForm], prefix: str = "") -> dict[str, str]:
    """The names a form's fields take in a POST, with the kind of value each expects."""
    fields = {}
    for name in sorted(dir(form_class)):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        cls = unbound.field_class
        kind = ("number" if issubclass(cls, IntegerField | DecimalField)
                or issubclass(cls, SelectField) and "coerce" in unbound.kwargs else
                "choice" if issubclass(cls, SelectField) else "date" if issubclass(cls, DateField) else
                "bool" if issubclass(cls, BooleanField) else "text")
        fields[f"{prefix}-{name}" if prefix else name] = kind
    return fields


def fields_of(endpoint: str) -> dict[str, str]:
    return {**(form_fields(*FORMS[endpoint]) if endpoint in FORMS else {}), **RAW_FIELDS.get(endpoint, {})}


ALL_FORMS = [c for m in (auth_forms, member_forms, sales_forms, settings_forms, lifecycle_forms, task_forms,
                          club_forms, lead_forms)
             for c in vars(m).values()
             if isinstance(c, type) and issubclass(c, FlaskForm) and c is not FlaskForm]
# Every field name any view reads: each form's fields (also unprefixed), raw fields, query parameters.
UNION = sorted({name for c, p in FORMS.values() for name in form_fields(c, p)}
               | {name for c in ALL_FORMS for name in form_fields(c)}
               | {n for fields in RAW_FIELDS.values() for n in fields} | set(QUERY_FIELDS) | {"csrf_token"})


def world(make) -> SimpleNamespace:
    """A club with a member holding a membership and a package, and another club with its own."""
    other = make.club(name="Other Club")
    member = make.member(first_name="Walk", last_name="Er", phone="+358402009001", card_code="WALK-1")
    plan = make.plan(name="Walk plan", duration_days=30)
    membership = make.membership(member, plan)
    service = make.service(name="Walk PT", package_units=10)
    make.plan(name="Retired", active=False)
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    stranger = make.member(club=other, phone="+358402009002", card_code="WALK-2")
    # An open lead of each club, for the lead list's buttons.
    lead = make.member(first_name="Walk", last_name="Lead", phone="+358402009003", card_code="WALK-3")
    other_lead = make.member(club=other, phone="+358402009004", card_code="WALK-4")
    cycles = {m: c for m, c in db.session.execute(select(LeadCycle.member_id, LeadCycle.id)
                                                     .where(LeadCycle.member_id.in_([lead.id, other_lead.id])))}
    make.membership(stranger)
    # A login of each club for the switch on/off route (the walking logins must stay switched on).
    spare, other_spare = make.staff("desk", name="Spare Desk"), make.staff("desk", club=other)
    # The lifecycle pass seeds both clubs' rules and gives the member (no SMS consent) a welcome call.
    no_holdouts()
    run_pass()
    task = db.session.scalar(select(Touchpoint).where(Touchpoint.member_id == member.id,
                                                      Touchpoint.channel == "task"))
    other_task = db.session.scalar(select(Touchpoint).where(Touchpoint.member_id == stranger.id))
    welcome = db.session.scalar(select(Rule).where(Rule.club_id == member.club_id, Rule.key == "welcome"))
    other_rule = db.session.scalar(select(Rule).where(Rule.club_id == other.id, Rule.key == "welcome"))
    # A failed SMS in each club, for the outbox's retry.
    messages = [Message(club_id=who.club_id, member_id=who.id, idempotency_key=f"walk:{who.id}", to_phone=who.phone,
                        body="Walk", locale="en", encoding="GSM-7", segments=1, status="failed", due_at=NOW)
                for who in (member, stranger)]
    with unit_of_work():
        db.session.add_all(messages)
        db.session.flush()
        token = member_links.mint(messages[0])   # the walked member's page link
    return SimpleNamespace(token=token, club=member.club_id, member=member.id, plan=plan.id, membership=membership.id,
                           service=service.id, stranger=stranger.id, other_plan=make.plan(club=other).id,
                           card="WALK-1", phone="+358402009001", task=task.id, other_task=other_task.id,
                           rule=welcome.id, rule_texts=dict(welcome.texts), tool=welcome.tool_id,
                           other_rule=other_rule.id, other_tool=other_rule.tool_id,
                           message=messages[0].id, other_message=messages[1].id, staff=spare.id,
                           other_staff=other_spare.id, cycle=cycles[lead.id], other_cycle=cycles[other_lead.id])


def baselines(ids: SimpleNamespace) -> dict[str, dict[str, str]]:
    """A valid submission of each form, so that one bad field at a time reaches the services."""
    lead = {"first_name": "Walk", "last_name": "Er", "phone": "", "email": "", "card_code": "",
            "birth_date": "", "locale": "en", "interest": "", "notes": ""}
    return {
        "auth.login": {"email": "nobody@example.com", "password": "wrong-pass"},
        "auth.set_locale": {"locale": "en", "next": "/"},
        # Never the right current password: the walk must not change it (and so log itself out).
        "auth.change_password": {"current_password": "not-the-password", "new_password": "a-fine-new-one",
                                 "repeat_password": "a-fine-new-one"},
        "auth.choose_club": {"club_id": str(ids.club)},
        "desk.scan": {"q": ids.card},
        "members.new": lead,
        "members.edit": {**lead, "phone": ids.phone, "card_code": ids.card},
        "sales.sell": {"plan_id": str(ids.plan), "starts_on": ""},
        "sales.sell_package": {"service_id": str(ids.service)},
        "sales.freeze": {"membership_id": str(ids.membership), "starts_on": str(TODAY + timedelta(days=1)),
                         "ends_on": str(TODAY + timedelta(days=3)), "reason": "walk"},
        "sales.cancel": {"membership_id": str(ids.membership), "reason": "walk"},
        "sales.redeem": {"redeem-service_id": str(ids.service), "redeem-units": "1", "redeem-reason": ""},
        "sales.grant": {"grant-service_id": str(ids.service), "grant-units": "1", "grant-reason": "walk"},
        "settings.club": {"name": "Test Club", "timezone": "Europe/Helsinki", "currency": "EUR",
                          "country": "FI", "default_locale": "en"},
        "settings.member_page": {"member_page_enabled": "y", "booking_cancel_minutes": "120"},
        "settings.opening_hours": {**{f"opens_{day}": "06:00" for day in range(7)},
                                   **{f"closes_{day}": "22:00" for day in range(7)}},
        "settings.add_plan": {"name": "Walk plan 2", "duration_days": "30", "visit_limit": "",
                              "price": "10.00"},
        "settings.add_service": {"name": "Walk svc", "package_units": "5", "price": "10", "valid_days": ""},
        "settings.add_staff": {"name": "Walker", "email": "walker@example.com", "role": "desk",
                               "password": "long-enough"},
        "settings.reset_staff_password": {"password": "long-enough-again"},
        "clubs.add": {"name": "Walk Club", "timezone": "Europe/Helsinki", "currency": "EUR", "country": "FI",
                      "default_locale": "en", "phone": ""},
        "clubs.save": {"name": "Test Club", "timezone": "Europe/Helsinki", "currency": "EUR", "country": "FI",
                       "default_locale": "en", "phone": "", "sms_window_start": "09:00", "sms_window_end": "20:00",
                       "sms_day_cap": "1", "sms_week_cap": "3", "sms_from": "", "sms_messaging_service_sid": ""},
        # Far ahead: the walk goes on selling and checking in at the walked club.
        "clubs.close": {"closed_on": str(TODAY + timedelta(days=3000))},
        "lifecycle.budget": {"touch_budget_min": "10", "touch_budget_max": "15", "sms_gap_days": "3"},
        "lifecycle.tool": {"enabled": "y", "holdout_pct": "10"},
        "lifecycle.measurement": {"programme_holdout_pct": "5", "call_minutes": "10", "staff_hour_cost": "20.00"},
        "lifecycle.rule": {"enabled": "y", "channel": "sms", "fallback": "task", "priority": "10", "days": "0",
                           "window_days": "2", "threshold": "", "season_from": "", "season_to": "",
                           **{f"text_{locale}": text for locale, text in ids.rule_texts.items()}},
        "tasks.outcome": {"outcome": "reached", "note": "x", "next": "/"},
        "leads.outcome": {"outcome": "no_answer"},
        "leads.lost": {"reason": "price"},
        "leads.assign": {"staff_id": str(ids.staff)},
        # Never confirmed: the walked members must stay two.
        "leads.merge_form": {"keep": ids.card, "drop": "WALK-3", "confirm": ""},
        "members.log_contact": {"outcome": "reached", "note": "x"},
        "members.send_sms": {"body": "Hello from the desk"},
        "members.let_in": {"approver_email": "nobody@example.com", "password": "wrong", "reason": "walk"},
        "settings.sms_test": {"phone": "+358401234567"},
        "settings.plan_price": {"price": "59.00"},
        "outbox.retry": {"confirm": "y"},
        "member_page.renewal": {"answer": "call_me"},
        "member_page.sms": {"sms": "start"},
        "member_page.language": {"locale": "en"},
        "data.erase": {"confirmation": "not yet"},   # never ERASE: the walked member must stay
        "setup.form": {"club_name": "Walk", "country": "FI", "timezone": "Europe/Helsinki", "currency": "EUR",
                       "locale": "en", "owner_email": "walk-owner@example.com", "owner_password": "long-enough",
                       "owner_password_repeat": "long-enough", "setup_code": "x"},
    }


def path_variants(rule, ids: SimpleNamespace) -> list[str]:
    """The rule's URL with real values, then with each path variable in turn set to a bad value."""
    args = PATH_ARG.findall(rule.rule)
    real, edges = {}, {}
    for converter, name in args:
        if converter.startswith(("int", "float")):
            real[name] = {"member_id": ids.member, "item_id": ids.plan, "active": 1, "touchpoint_id": ids.task,
                          "rule_id": ids.rule, "tool_id": ids.tool, "message_id": ids.message,
                          "staff_id": ids.staff, "club_id": ids.club, "cycle_id": ids.cycle}.get(name, 1)
            edges[name] = INT_EDGES + {"member_id": [ids.stranger], "item_id": [ids.other_plan],
                                       "touchpoint_id": [ids.other_task], "rule_id": [ids.other_rule],
                                       "tool_id": [ids.other_tool],
                                       "message_id": [ids.other_message],
                                       "staff_id": [ids.other_staff],
                                       "cycle_id": [ids.other_cycle]}.get(name, [])
        else:
            real[name] = {"kind": "plans", "name": "renewals", "table": "tools", "item": "plans",
                          "token": ids.token}.get(name, "x")
            edges[name] = TEXT_EDGES + (["services"] if name == "kind" else [])

    def build(values: dict) -> str:
        return PATH_ARG.sub(lambda m: quote(str(values[m.group(2)]), safe=""), rule.rule)

    urls = [build(real)]
    for name in real:
        urls += [build({**real, name: value}) for value in edges[name]]
    return urls


def short(value) -> str:
    """A readable repr of request data, with long strings cut."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:20] + "…") + f"({len(value)} chars)"
    if isinstance(value, dict) and len(value) > 8 and len({repr(v) for v in value.values()}) == 1:
        return f"{{every one of {len(value)} fields: {short(next(iter(value.values())))}}}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(short(v) for v in value) + "]"
    return repr(value)


class Walker:
    """Send requests; remember every answer of 500 or more with the exception the app logged."""

    def __init__(self, web: Web, caplog) -> None:
        self.web, self.caplog = web, caplog
        self.failures: list[tuple[str, str, int]] = []
        self.sent = 0

    def hit(self, method: str, url: str, endpoint: str, data=None, query=None) -> None:
        seen = len(self.caplog.records)
        response = self.web.open(method, url, data=data, query_string=query)
        self.sent += 1
        if response.status_code >= 500:
            logged = [r.exc_info[1] for r in self.caplog.records[seen:] if r.exc_info]
            cause = f"{type(logged[0]).__name__}: {str(logged[0]).splitlines()[0][:100]}" if logged else "?"
            detail = f"{response.status_code} {method} {short(url)} query={short(query)} data={short(data)}"
            self.failures.append((f"{method} {endpoint}: {cause}", detail, len(detail)))

    def report(self, who: str, elapsed: float) -> str:
        """One line per endpoint and cause with its count, then the shortest request that caused it."""
        kinds = Counter(kind for kind, _, _ in self.failures)
        lines = [f"{len(self.failures)} of {self.sent} requests as {who} answered 500 or more "
                 f"({elapsed:.0f} s):"]
        for kind, count in sorted(kinds.items()):
            example = min((f for f in self.failures if f[0] == kind), key=lambda f: f[2])[1]
            lines += [f"  {count:4} × {kind}", f"         e.g. {example}"]
        return "\n".join(lines)


def rules_in_order(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return sorted(rules, key=lambda r: (LAST.index(r.endpoint) if r.endpoint in LAST else -1, r.rule))


def walk(app, web: Web, caplog, ids: SimpleNamespace, who: str, mutate: set[str] | None = None,
         values: list[str] = SAMPLE) -> None:
    """Walk every route and method: bad path values, bad query values, every field bad at once, and
    (for the endpoints in MUTATE, all if None) one field at a time bad in an otherwise valid form."""
    caplog.set_level(logging.ERROR)
    # Alembic's fileConfig (migrations/env.py) disables loggers that exist when tests migrate;
    # the walk needs the app's "Unhandled error" records to name the cause of each 500.
    app.logger.disabled = False
    walker = Walker(web, caplog)
    base = baselines(ids)
    started = time.monotonic()
    for rule in rules_in_order(app):
        endpoint = rule.endpoint
        urls = path_variants(rule, ids)
        own = base.get(endpoint, {})
        for method in sorted(rule.methods & {"GET", "POST"}):
            for url in urls:  # every path variant, with a plain request
                walker.hit(method, url, endpoint, data=dict(own) if method == "POST" else None)
            url = urls[0]
            if method == "GET":
                for value in values:
                    walker.hit("GET", url, endpoint, query={name: value for name in QUERY_FIELDS})
                walker.hit("GET", url, endpoint, query=[("q", "a"), ("q", "\x00"), ("partial", "1")])
                continue
            fields = fields_of(endpoint)
            for value in values:  # every field of every form at once
                walker.hit("POST", url, endpoint, data={name: value for name in UNION})
            # duplicate keys: a good value then a bad one, and the other way round
            walker.hit("POST", url, endpoint, data={name: [own.get(name, "1"), "\x00"] for name in UNION})
            walker.hit("POST", url, endpoint, data={name: [LONG, own.get(name, "1")] for name in UNION})
            if mutate is None or endpoint in mutate:
                for name, kind in fields.items():  # one bad field at a time in an otherwise valid form
                    for value in COMMON + KINDS[kind]:
                        walker.hit("POST", url, endpoint, data={**own, name: value})
    assert not walker.failures, walker.report(who, time.monotonic() - started)


def test_every_post_route_is_walked_with_its_own_fields(app):
    """A new POST view must say here which form it reads, or the walk would send it only the union."""
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert posts <= set(FORMS) | set(RAW_FIELDS) | NO_FIELDS, posts - set(FORMS) - set(RAW_FIELDS) - NO_FIELDS
    for form_class, prefix in FORMS.values():
        assert form_fields(form_class, prefix), form_class


def test_no_route_answers_500_to_a_manager(app, make, web, login_as, caplog):
    ids = world(make)
    login_as("manager")
    walk(app, web, caplog, ids, "manager")


def test_no_route_answers_500_to_an_owner_without_a_club(app, make, web, login_as, caplog):
    ids = world(make)
    login_as("owner")
    walk(app, web, caplog, ids, "owner without a club",
         mutate={"auth.choose_club", "clubs.add", "clubs.save", "clubs.close"}, values=SHORT)


def test_no_route_answers_500_to_a_desk(app, make, web, login_as, caplog):
    ids = world(make)
    login_as("desk")
    walk(app, web, caplog, ids, "desk", mutate={"desk.scan"}, values=SHORT)


def test_no_route_answers_500_to_an_anonymous_visitor(app, make, web, caplog):
    ids = world(make)
    walk(app, web, caplog, ids, "anonymous", mutate={"auth.login", "auth.set_locale"})


# One request per kind of crash the walk has found, so that each shows up as its own failing test.
CRASHERS = {
    "member id over 32 bits": ("manager", "GET", "/members/2147483648", None),
    "member id over 64 bits": ("manager", "GET", "/members/9223372036854775808", None),
    "plan id over 32 bits": ("manager", "POST", "/members/{member}/sell", {"plan_id": "2147483648"}),
    "plan id over 64 bits": ("manager", "POST", "/members/{member}/sell", {"plan_id": str(2**63)}),
    "NUL in a search": ("desk", "GET", "/?q=%00", None),
    "NUL in a scan": ("desk", "POST", "/scan", {"q": "\x00"}),
    "NUL in a new lead's name": ("desk", "POST", "/members/new", {"first_name": "A\x00", "locale": "en"}),
    "NUL in a cancel reason": ("manager", "POST", "/members/{member}/cancel",
                               {"membership_id": "{membership}", "reason": "\x00"}),
    "NUL in a login email": (None, "POST", "/login", {"email": "a\x00@example.com", "password": "x"}),
    "signalling NaN price": ("manager", "POST", "/settings/plans",
                             {"name": "P", "duration_days": "30", "price": "sNaN"}),
    "superscript digit club id": ("owner", "POST", "/club", {"club_id": "²"}),
    "newline in next": (None, "POST", "/locale", {"locale": "en", "next": "/\r\nX-Injected: 1"}),
}


@pytest.mark.parametrize("case", CRASHERS)
def test_known_crasher_is_refused_not_500(make, web, login_as, case):
    ids = world(make)
    role, method, url, data = CRASHERS[case]
    if role:
        login_as(role)
    data = {k: v.format(**vars(ids)) for k, v in data.items()} if data else None
    response = web.open(method, url.format(**vars(ids)), data=data)
    assert response.status_code < 500, f"{case}: {method} {url} {data!r} -> {response.status_code}"


def test_a_post_without_csrf_token_is_400_not_500(database_url):
    """With CSRF on (as in production) a POST without a token is refused as a bad request."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        answers = {}
        for rule in app.url_map.iter_rules():
            if "POST" in rule.methods and rule.endpoint in SIGNED:
                assert client.post(rule.rule, data={"csrf_token": "forged", "q": "x"}).status_code == 403
            elif "POST" in rule.methods and rule.endpoint.startswith("api."):   # bearer tokens instead of CSRF
                assert client.post(rule.rule, data={"csrf_token": "forged", "q": "x"}).status_code == 401
            elif "POST" in rule.methods:
                url = PATH_ARG.sub("1", rule.rule)
                answers[url] = client.post(url, data={"csrf_token": "forged", "q": "x"}).status_code
        assert set(answers.values()) == {400}, answers
    finally:
        with app.app_context():
            db.engine.dispose()


# --- redirects after login and language switch stay on this site ---------------------------------


def off_site(location: str) -> bool:
    """Tell whether a browser would leave this site for LOCATION (it reads a backslash as a slash and
    drops tabs and newlines)."""
    seen = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "")
    return bool(urlsplit(seen).netloc) or seen.startswith("//")


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/",
                                    "/\t/evil.example/", "\\\\evil.example/", "/\r\nSet-Cookie: a=b"])
def test_next_never_leaves_the_site(make, web, target):
    staff = make.staff("desk", password=PASSWORD)
    response = web.post("/login?next=" + quote(target, safe=""), {"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    assert not off_site(response.location), response.location
    switched = web.post("/locale", {"locale": "en", "next": target})
    assert switched.status_code == 302, switched.status_code
    assert not off_site(switched.location), switched.location


# --- the login lock -----------------------------------------------------------------------------


def login_errors(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in ERROR.findall(response.text):
        found.setdefault(name, []).append(html.unescape(message.strip()))
    return found


def test_five_wrong_passwords_throttle_the_login_from_this_address_for_a_quarter_hour(make, web):
    staff = make.staff("desk", password=PASSWORD)
    for _ in range(5):
        response = web.post("/login", {"email": staff.email, "password": "wrong-password"})
        assert response.status_code == 422
        assert login_errors(response).get("password") == ["Wrong email or password."]
    for moment in (NOW, NOW + timedelta(minutes=14, seconds=59)):
        clock.set_now(moment)
        response = web.post("/login", {"email": staff.email.upper(), "password": PASSWORD})
        assert response.status_code == 422, response.status_code
        # The same answer as a wrong password: a throttled attempt tells nothing about the password.
        assert login_errors(response) == {"password": ["Wrong email or password."]}
        assert web.open("GET", "/").status_code == 302  # still not logged in
    clock.set_now(NOW + timedelta(minutes=15, seconds=1))
    response = web.post("/login", {"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    assert web.open("GET", "/").status_code == 200
