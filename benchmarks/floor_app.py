"""The floor under the desk: a plain Flask app, no ClubCRM code, that does what the desk's pages need with the
least machinery: the same SQL (hand-written from the statements ClubCRM sends for these pages, captured with
before_cursor_execute) and the same rows rendered with Jinja, served by the same gunicorn settings.

    gunicorn ... 'benchmarks.floor_app:create_app()'   (FLOOR_DATABASE_URL, FLOOR_SECRET_KEY from the environment)

Per request, as ClubCRM: a signed session cookie, one lookup of the logged-in staff (with their club), a CSRF
token on POSTs, and the nav's count of what Today owes (open tasks and desk calls) on every page, which has ClubCRM's
header (scan box, nav, language switcher, log-out) in the staff's language (ClubCRM's catalogs through plain Babel;
dates, instants in the club's zone and money through plain Babel too). Then
* GET /?q=   the search's one UNION of four indexed branches (card, phone, name key, reversed name key; at most
             20), the found members' memberships with their freezes, and other clubs' card holders (chain guests);
             each found member's row as ClubCRM's: state, days left, phone as people read it, card, a check-in form;
* POST /scan the card's holder, their memberships with plans and freezes, a row lock on the member, the repeat
             check (a visit in the last 300 s), the visits counted on a visit-count membership, the visit INSERT and
             today's bookings marked attended, one transaction; 302 to the card with the outcome flashed (refused in
             ClubCRM's words: expired, frozen, not started, cancelled, no membership, all visits used);
* GET /members/<id>  the member with memberships, plans, freezes and whether the club sells packages; the last 10
             visits with other clubs' names (and the visits made on visit-count memberships); packages with their
             services; the newest 30 touchpoints with the open tasks due by today (tool, rule, channel, status,
             facts, the offered session) in one statement; the last 20 staff contacts. Rendered as ClubCRM's card
             shows it to the same login, text for text (benchmarks/desk_http.py compares them): the standing and the
             stage, the check-in button or why not, the alerts, what to do now (the call's script in the member's
             language and the clerk's, the outcome buttons), the membership and its history, packages, visits,
             retention contacts with why each fired, staff contacts, and the sections ClubCRM fetches when opened.
* GET /m/<token>  the member page (no login): the link by its token's SHA-256 with its member, club, touchpoint and
             the touchpoint's tool in one statement; the member's memberships with plans and freezes; the titles and
             activities of the sessions they took part in; their packages; their upcoming bookings; the sessions that
             fit them (ClubCRM's conditions, the offered one first, at most 8) with their places taken. Rendered in the
             member's language as ClubCRM's page shows it, text for text (benchmarks/member_page_http.py compares
             them): membership, balances, the renewal question, bookings with their cancel deadline, sessions, SMS and
             language; a CSRF token in the session, as ClubCRM's forms carry one.
It checks no role, writes no audit and keeps no login-session row: that bookkeeping is what ClubCRM adds.
"""
import hashlib
import hmac
import re
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import phonenumbers
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import Translations
from flask import Flask, abort, g, redirect, render_template, request, session
from jinja2 import DictLoader
from sqlalchemy import create_engine, event, text

STAFF = text("SELECT staff.id, staff.club_id, staff.name, staff.role, staff.active, staff.locale, "
             "club.name AS club_name, club.timezone, club.country, club.currency, club.default_locale "
             "FROM staff LEFT OUTER JOIN club ON club.id = staff.club_id WHERE staff.id = :id")
LOGIN = text("SELECT id, password_hash FROM staff WHERE email = :email AND active")
# What Today owes, as ClubCRM's badge counts it: open tasks and open calls about sessions due by today (at
# most 100 of each).
TASK_COUNT = text("SELECT (SELECT count(*) FROM (SELECT touchpoint.id FROM touchpoint WHERE touchpoint.club_id = :club "
                  "AND touchpoint.channel = 'task' AND touchpoint.status = 'planned' AND touchpoint.due_on <= :today "
                  "LIMIT 100) AS due) + (SELECT count(*) FROM (SELECT desk_call.id FROM desk_call WHERE "
                  "desk_call.club_id = :club AND desk_call.done_at IS NULL AND desk_call.due_on <= :today "
                  "LIMIT 100) AS calls)")
_BRANCH = "SELECT id FROM (SELECT member.id FROM member WHERE member.club_id = :club AND {} {}) AS b{}"
SEARCH = text(
    "SELECT member.id, member.first_name, member.last_name, member.phone, member.card_code, member.name_key, "
    "member.converted_at "
    "FROM member WHERE member.id IN ("
    + " UNION ALL ".join(_BRANCH.format(cond, order, n) for n, (cond, order) in enumerate((
        ("member.card_code = :card", ""), ("member.phone = :phone", ""),
        ("member.name_key >= :key AND member.name_key < :key_end", "ORDER BY member.name_key, member.id LIMIT 20"),
        ("member.name_key_rev >= :key AND member.name_key_rev < :key_end",
         "ORDER BY member.name_key_rev, member.id LIMIT 20"))))
    + ") ORDER BY member.name_key, member.id LIMIT 20")
MEMBERSHIPS_OF = ("SELECT membership.id, membership.member_id, membership.starts_on, membership.ends_on, "
                  "membership.cancelled_on, \"freeze\".id AS freeze_id, \"freeze\".starts_on AS f_start, "
                  "\"freeze\".ends_on AS f_end FROM membership "
                  "LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
                  "WHERE membership.member_id IN ({}) ORDER BY membership.ends_on DESC, membership.id DESC, "
                  "\"freeze\".id")
GUESTS = text("SELECT member.id, member.first_name, member.last_name, member.card_code, member.converted_at, "
              "member.erased_at, club.name AS home, club.timezone FROM member JOIN club ON club.id = member.club_id "
              "WHERE member.club_id != :club AND (member.card_code = :card OR member.phone = :phone) "
              "ORDER BY member.id")
GUEST_CONTRACTS = text("SELECT membership.id, membership.starts_on, membership.ends_on, membership.cancelled_on, "
                       "\"freeze\".id AS freeze_id, \"freeze\".starts_on AS f_start, \"freeze\".ends_on AS f_end "
                       "FROM membership LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
                       "WHERE membership.member_id = :member AND membership.chain_wide "
                       "ORDER BY membership.ends_on DESC, membership.id DESC, \"freeze\".id")
BY_CARD = text("SELECT member.id, member.club_id, member.first_name, member.last_name FROM member "
               "WHERE member.card_code = :card")
CONTRACTS = text("SELECT membership.id, membership.starts_on, membership.ends_on, membership.visit_limit, "
                 "membership.cancelled_on, plan.name AS plan, \"freeze\".starts_on AS f_start, "
                 "\"freeze\".ends_on AS f_end FROM membership JOIN plan ON plan.id = membership.plan_id "
                 "LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
                 "WHERE membership.member_id = :member ORDER BY membership.ends_on DESC, membership.id DESC, "
                 "\"freeze\".starts_on")
USED = text("SELECT count(*) FROM visit WHERE visit.membership_id = :membership")
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
            "member.card_code, member.birth_date, member.locale, member.sms_consent, member.notes, "
            "member.converted_at, member.erased_at, member.photo_at, member.sms_opted_out_at, member.phone_invalid_at, "
            "EXISTS (SELECT 1 FROM service WHERE service.club_id = member.club_id AND service.active) "
            "AS sells_packages, (SELECT club.member_page_enabled FROM club WHERE club.id = member.club_id) AS page_on, "
            "membership.id AS membership_id, membership.starts_on, membership.ends_on, "
            "membership.visit_limit, membership.cancelled_on, membership.cancel_reason, membership.renews_id, "
            "membership.price_minor, membership.currency, plan.name AS plan, \"freeze\".id AS freeze_id, "
            "\"freeze\".starts_on AS f_start, \"freeze\".ends_on AS f_end "
            "FROM member LEFT OUTER JOIN membership ON membership.member_id = member.id LEFT OUTER JOIN plan ON "
            "plan.id = membership.plan_id LEFT OUTER JOIN \"freeze\" ON \"freeze\".membership_id = membership.id "
            "WHERE member.id = :member ORDER BY membership.ends_on DESC, membership.id DESC, \"freeze\".starts_on")


@lru_cache(maxsize=8)
def visits_statement(tallies: int):
    """The last 10 visits with the other clubs' names, and (as ClubCRM) the visits made on each of TALLIES
    visit-count memberships (:counted_0 ...) riding along as uncorrelated subqueries."""
    counts = "".join(f", (SELECT count(*) FROM visit AS counted WHERE counted.membership_id = :counted_{n}) "
                     f"AS used_{n}" for n in range(tallies))
    return text(f"SELECT visit.id, visit.checked_in_at, club.name AS elsewhere{counts} FROM visit LEFT OUTER JOIN "
                "club ON club.id = visit.club_id AND visit.club_id != :club WHERE visit.member_id = :member "
                "ORDER BY visit.checked_in_at DESC, visit.id DESC LIMIT 10")


PACKAGES = text("SELECT service.name, package.balance, package.expires_on FROM package JOIN service ON "
                "service.id = package.service_id WHERE package.member_id = :member ORDER BY service.name, package.id")
# The member's newest 30 touchpoints of every status and their open tasks due by today, in one statement.
TOUCHPOINTS = text(
    "SELECT touchpoint.id, touchpoint.club_id, touchpoint.channel, touchpoint.status, touchpoint.skip_reason, "
    "touchpoint.outcome, touchpoint.task_kind, touchpoint.due_on, touchpoint.due_at, touchpoint.facts, "
    "touchpoint.opened_at, touchpoint.answer, tool.key AS tool, "
    "rule.key AS rule, rule.priority, rule.texts, club_session.id AS session_id, club_session.title, "
    "club_session.starts_at FROM touchpoint JOIN tool ON tool.id = touchpoint.tool_id JOIN rule ON "
    "rule.id = touchpoint.rule_id LEFT OUTER JOIN club_session ON club_session.id = touchpoint.session_id "
    "WHERE touchpoint.member_id = :member AND (touchpoint.id IN (SELECT newest.id FROM touchpoint AS newest "
    "WHERE newest.member_id = :member ORDER BY newest.due_on DESC, newest.id DESC LIMIT 30) "
    "OR (touchpoint.club_id = :club AND touchpoint.channel = 'task' AND touchpoint.status = 'planned' "
    "AND touchpoint.due_on <= :today))")
CONTACTS = text("SELECT staff_contact.outcome, staff_contact.note, staff_contact.created_at, staff.name AS staff "
                "FROM staff_contact LEFT OUTER JOIN staff ON staff.id = staff_contact.staff_id WHERE "
                "staff_contact.member_id = :member ORDER BY staff_contact.created_at DESC, staff_contact.id DESC "
                "LIMIT 20")
# The member's page activity (the card's "Member page" panel): the last 10 events with their sessions and tools.
PAGE_EVENTS = text(
    "SELECT member_page_event.created_at, member_page_event.kind, club_session.title, club_session.starts_at, "
    "tool.key AS tool FROM member_page_event LEFT OUTER JOIN club_session ON club_session.id = "
    "member_page_event.session_id LEFT OUTER JOIN touchpoint ON touchpoint.id = member_page_event.touchpoint_id "
    "LEFT OUTER JOIN tool ON tool.id = touchpoint.tool_id WHERE member_page_event.member_id = :member "
    "ORDER BY member_page_event.created_at DESC, member_page_event.id DESC LIMIT 10")
# The member page (clubcrm/services/member_links.py find, clubcrm/services/member_page.py view): the link by its
# token's hash with its member, club, touchpoint and the touchpoint's tool (as ClubCRM's find loads them).
MP_LINK = text(
    "SELECT member_link.expires_at, member.id AS member_id, member.first_name, member.locale, member.converted_at, "
    "member.erased_at, member.phone, member.sms_consent, member.sms_opted_out_at, member.phone_invalid_at, "
    "club.id AS club_id, club.name AS club_name, club.phone AS club_phone, club.timezone, club.default_locale, "
    "club.member_page_enabled, club.closed_on, club.booking_cancel_minutes, touchpoint.id AS touchpoint_id, "
    "touchpoint.session_id AS offered_id, touchpoint.answer, tool.key AS tool FROM member_link "
    "JOIN member ON member.id = member_link.member_id JOIN club ON club.id = member_link.club_id "
    "LEFT OUTER JOIN touchpoint ON touchpoint.id = member_link.touchpoint_id "
    "LEFT OUTER JOIN tool ON tool.id = touchpoint.tool_id WHERE member_link.token_hash = :digest")
# The titles and activities of the sessions the member took part in (which classes fit them).
MP_TOOK_PART = text("SELECT DISTINCT club_session.title, club_session.activity FROM club_session JOIN booking ON "
                    "booking.session_id = club_session.id WHERE booking.member_id = :member AND booking.status IN "
                    "('booked', 'attended') AND club_session.club_id = :club AND club_session.starts_at <= :now")
MP_BOOKINGS = text("SELECT booking.id, booking.status, club_session.title, club_session.starts_at, "
                   "club_session.ends_at FROM booking JOIN club_session ON club_session.id = booking.session_id "
                   "WHERE booking.member_id = :member AND booking.status IN ('booked', 'waitlist') AND "
                   "club_session.club_id = :club AND club_session.cancelled_at IS NULL AND "
                   "club_session.starts_at > :now ORDER BY club_session.starts_at, booking.id")
MP_TOKEN = re.compile(r"[A-Za-z0-9_-]{11}")
MP_AHEAD_DAYS, MP_MAX_SESSIONS = 14, 8
MP_LOCALES = ("en", "de", "ru", "fi", "sl", "sk")


@lru_cache(maxsize=64)
def member_page_sessions(trials: bool, lead: bool, titles: int, activities: int, offered: bool, frozen: bool):
    """The sessions that fit the member, as ClubCRM's statement asks for them (member_page._fitting and view): the
    club's, to come, not cancelled, not held by the member, the offered one at any time (a lead: a trial one) or within
    14 days one of the kinds that fit, after a freeze; with the places taken (a grouped count over the same
    conditions), the offered one first, at most 8. TITLES and ACTIVITIES: how many of each are bound (:t0, :a0...)."""
    kinds = []
    if trials:
        kinds.append("club_session.kind = 'trial'")
    if not lead:
        kinds.append("club_session.kind = 'event'")
        if titles:
            kinds.append("club_session.kind = 'class' AND club_session.title IN ("
                         + ", ".join(f":t{n}" for n in range(titles)) + ")")
        if activities:
            kinds.append("club_session.kind = 'class' AND club_session.activity IN ("
                         + ", ".join(f":a{n}" for n in range(activities)) + ")")
    soon = ("club_session.starts_at < :soon AND (" + " OR ".join(f"({k})" for k in kinds) + ")") if kinds else "1 = 0"
    chosen = ("club_session.id = :offered" + (" AND club_session.kind = 'trial'" if lead else "")) if offered \
        else "1 = 0"
    conditions = ("club_session.club_id = :club AND club_session.cancelled_at IS NULL AND "
                  "club_session.starts_at > :now AND club_session.id NOT IN (SELECT booking.session_id FROM booking "
                  "WHERE booking.member_id = :member AND booking.status IN ('booked', 'waitlist', 'attended', "
                  "'no_show')) "
                  f"AND (({chosen}) OR ({soon}))" + (" AND club_session.starts_at >= :thaw" if frozen else ""))
    return text(
        "SELECT club_session.id, club_session.kind, club_session.title, club_session.starts_at, club_session.ends_at, "
        f"club_session.room, club_session.capacity, coalesce(taken.taken, 0) AS taken, CASE WHEN {chosen} THEN 0 "
        "ELSE 1 END AS rank FROM club_session LEFT OUTER JOIN (SELECT booking.session_id AS session_id, count(*) AS "
        "taken FROM booking WHERE booking.status IN ('booked', 'attended', 'no_show') AND booking.session_id IN "
        f"(SELECT club_session.id FROM club_session WHERE {conditions}) GROUP BY booking.session_id) AS taken ON "
        f"taken.session_id = club_session.id WHERE {conditions} ORDER BY rank, club_session.starts_at, club_session.id "
        f"LIMIT {MP_MAX_SESSIONS}")


# The card's words for them (clubcrm/services/cards.py's msgids, copied as data).
PAGE_EVENT_TEXTS = {
    "opened": "Opened their page", "booked": "Booked a session", "waitlisted": "Joined a waiting list",
    "cancelled": "Cancelled a booking", "call_me": "Asked for a call about renewing",
    "at_desk": "Said they will renew at the desk", "sms_stop": "Stopped SMS", "sms_start": "Restarted SMS",
    "language": "Changed their language",
}
SESSION_EVENT_TEXTS = {"booked": "Booked %(session)s", "waitlisted": "Joined the waiting list of %(session)s",
                       "cancelled": "Cancelled the booking of %(session)s"}
REPEAT_SECONDS = 300
CATALOGS = Path(__file__).resolve().parent.parent / "clubcrm" / "translations"
LOCALE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский", "fi": "Suomi", "sl": "Slovenščina",
                "sk": "Slovenčina"}
# What the card names its codes by (the English msgids of ClubCRM's catalogs, copied as data: clubcrm/labels.py and
# clubcrm/lifecycle/labels.py); each goes through the staff's catalog when shown.
STATE_NAMES = {"future": "starts later", "none": "no membership"}   # the rest are their own msgid
STAGE_NAMES = {"lead": "lead", "adaptation": "adaptation", "active": "active use", "pre_renewal": "before renewal",
               "frozen": "frozen", "lapsed": "lapsed", "lost": "lost"}
TOOL_NAMES = {
    "welcome": "Welcome", "first_visit_call": "First-visit call", "trial_session": "Trial session",
    "adaptation_check": "Adaptation check", "class_invitation": "Class and event invitation",
    "silence": "Silence nudge", "milestone": "Visit milestones", "birthday": "Birthday greeting",
    "seasonal": "Seasonal promotion", "package_offer": "Package offer", "renewal_offer": "Renewal offer",
    "freeze_end": "Freeze ending", "win_back": "Win-back", "club_news": "Club news", "reply": "Members' replies",
    "lead_first_call": "Lead: first call", "lead_trial_invite": "Lead: trial invitation",
    "lead_follow_up": "Lead: follow-up calls", "lead_trial_reminder": "Lead: trial reminder",
    "lead_post_trial": "Lead: call after the trial", "lead_last_offer": "Lead: last offer"}
RULE_NAMES = {
    "welcome": "Welcome message after the start", "no_first_visit": "No first visit: staff call",
    "trial_invite": "Trial session invitation in weeks 1–2", "adaptation_14": "Adaptation check at day 14",
    "adaptation_30": "Adaptation check at day 30", "class_invite": "Gym-only member: class or event invitation",
    "silence_sms": "No visits for a while: SMS", "silence_call": "No visits for longer: staff call",
    "milestone_10": "10th visit", "milestone_50": "50th visit", "milestone_100": "100th visit",
    "birthday": "Birthday", "season_newyear": "New year campaign", "season_spring": "Spring campaign",
    "season_autumn": "Autumn campaign", "low_balance": "Package balance running low",
    "package_expiring": "Package expiring unused", "renewal_45": "Renewal offer", "renewal_14": "Renewal reminder",
    "renewal_call_3": "Renewal call", "freeze_ended": "Back from a freeze",
    "win_back_7": "Win-back a week after the end", "win_back_30": "Win-back call a month after the end",
    "keep_in_touch": "Keep in touch (club news)", "member_replied": "Member replied by SMS",
    "lead_first_call": "New lead: call within an opening hour",
    "lead_trial_invite": "New lead: trial session invitation",
    "lead_follow_up_2": "Lead not reached: call on day 2", "lead_follow_up_5": "Lead not reached: call on day 5",
    "lead_follow_up_10": "Lead not reached: call on day 10",
    "lead_trial_reminder": "Lead's trial session tomorrow: reminder",
    "lead_post_trial": "Lead attended a trial: call the day after",
    "lead_last_offer": "Lead's cycle about to close: last offer"}
FACT_NAMES = {
    "days_since_start": "days since the start", "visits_cycle": "visits this membership",
    "trial_booked": "trial session booked", "days_since_class": "days since the last class",
    "visits_30": "visits in 30 days", "days_silent": "days without a visit", "last_visit": "last visit",
    "birthday": "birthday", "season": "campaign window", "service": "service", "balance": "balance",
    "expires_on": "expires on", "days_to_end": "days until the membership ends", "ends_on": "membership ends on",
    "freeze_ended": "freeze ended on", "days_since_end": "days since the end",
    "contacts_in_cycle": "contacts this membership", "days_quiet": "days without a contact",
    "instead_of_sms": "a call instead of an SMS", "reply": "the member's SMS",
    "source": "where the lead came from", "reached": "reached by staff", "trial_on": "trial session day",
    "attended_on": "trial attended on", "days_left": "days left in the lead's cycle"}
CHANNEL_NAMES = {"sms": "SMS", "task": "staff task"}
STATUS_NAMES = {"planned": "planned", "held_out": "control group (not contacted)", "skipped": "skipped",
                "done": "done", "sent": "sent", "failed": "failed", "expired": "expired (nobody called)"}
SKIP_REASONS = {"no_consent": "no SMS consent", "budget": "contact budget used up",
                "sms_cap": "an SMS went out only days ago", "talked": "staff spoke with the member days ago",
                "club_closed": "club closed", "cancelled": "SMS cancelled by staff", "frozen": "membership frozen",
                "reached": "the lead was reached already", "lead_closed": "the lead's cycle closed"}
TASK_KIND_NAMES = {"call_back": "Call", "congratulate": "Congratulate", "invite": "Invite",
                   "offer_renewal": "Offer renewal"}
OUTCOME_NAMES = {"reached": "Reached", "no_answer": "No answer", "booked": "Booked a session",
                 "renewed": "Renewed", "declined": "Declined"}
NAMES = {"stage": STAGE_NAMES, "tool": TOOL_NAMES, "rule": RULE_NAMES, "channel": CHANNEL_NAMES,
         "status": STATUS_NAMES, "skip": SKIP_REASONS, "task": TASK_KIND_NAMES, "outcome": OUTCOME_NAMES}
# ClubCRM's settings the card reads (config.py): the renewal window, when an expiry is worth an alert, what a low
# package balance is; and the lifecycle's stage lengths (clubcrm/lifecycle/stages.py).
RENEWAL_BEFORE_DAYS, RENEWAL_AFTER_DAYS, EXPIRY_ALERT_DAYS, LOW_BALANCE_UNITS = 60, 30, 14, 2
ADAPTATION_DAYS, PRE_RENEWAL_DAYS, LAPSED_DAYS = 42, 45, 60

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
{% for g, state, days_left in guests %}<tr>
<td><a href="/members/{{ g.id }}/guest">{{ g.first_name }} {{ g.last_name }}</a></td>
<td><span class="badge stage-{{ state }}">{{ _(state_names.get(state, state)) }}</span>
{% if days_left is not none %}<small class="hint">{{ ngettext("%(num)d day left", "%(num)d days left", days_left) }}
</small>{% endif %}</td><td>{{ g.home }}</td><td>{{ g.card_code or "" }}</td>
<td><form method="post" action="/members/{{ g.id }}/guest/checkin">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="small">{{ _("Check in") }}</button></form></td></tr>{% endfor %}</tbody></table>{% endif %}
{% if found %}<table class="results"><thead><tr><th>{{ _("Name") }}</th><th>{{ _("Status") }}</th>
<th>{{ _("Phone") }}</th>
<th>{{ _("Card") }}</th><th></th></tr></thead><tbody>
{% for m, state, days_left in found %}
<tr><td><a href="/members/{{ m.id }}">{{ m.first_name }} {{ m.last_name }}</a></td>
<td><span class="badge stage-{{ state }}">{{ _(state_names.get(state, state)) }}</span>
{% if days_left is not none %}<small class="hint">{{ ngettext("%(num)d day left", "%(num)d days left", days_left) }}
</small>{% endif %}</td>
<td>{{ phone(m.phone) }}</td><td>{{ m.card_code or "" }}</td>
<td><form method="post" action="/members/{{ m.id }}/checkin"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="small">{{ _("Check in") }}</button></form></td></tr>{% endfor %}</tbody></table>
{% elif not guests %}<p class="empty">{{ _("Nobody matches “%(query)s”.", query=query) }}
<a href="/members/new">{{ _("Register a new lead") }}</a></p>{% endif %}
{% endif %}</div>{% endblock %}""",
    # The member card as ClubCRM renders it for a desk login (templates/members/card.html with members/_forms.html's
    # form_section and slot, tasks/_macros.html): the head with the standing, the stage and the check-in (or why
    # not), the photo form, the alerts, what to do now (open tasks with the call's script and outcome buttons), the
    # membership with its history, packages, last visits, retention contacts with why each fired, staff contacts,
    # and the collapsed sections ClubCRM fetches when opened (a "Show" link each).
    "card.html": """{% extends "base.html" %}{% block title %}{{ c.name }} · ClubCRM{% endblock %}
{% macro slot(url) %}<div class="lazy" data-src="{{ url }}?partial=1"><a href="{{ url }}">{{ _("Show") }}</a></div>
{% endmacro %}
{% macro section(name, label, opened=False) %}<details class="card-form" id="section-{{ name }}" data-form="{{ name }}"
{% if opened %}open{% endif %}><summary>{{ label }}</summary>{{ slot("/members/%d/forms/%s" % (m.id, name)) }}</details>
{% endmacro %}
{% macro why(tp) %}<ul class="why">{% for line in tp.why %}<li>{{ line }}</li>{% endfor %}</ul>{% endmacro %}
{% block main %}{% set erased = m.erased_at is not none %}<section class="member-head">
{% if m.photo_at %}<img class="member-photo" id="member-photo" src="/members/{{ m.id }}/photo.jpg"
 alt="{{ _('Photo of %(name)s', name=c.name) }}" width="120" height="120">
{% elif not erased %}<div class="member-photo empty" id="no-photo" aria-hidden="true">{{ m.first_name[:1] }}{{
 m.last_name[:1] }}</div>{% endif %}
<div><h1>{{ c.name }} <span class="badge stage-{{ c.state }}">{{ _(state_names.get(c.state, c.state)) }}</span></h1>
<p class="meta">{% if m.phone %}<span>{{ phone(m.phone) }}</span>{% endif %}
{% if m.card_code %}<span>{{ _("Card") }} {{ m.card_code }}</span>{% endif %}
{% if c.birth_date %}<span>{{ day(c.birth_date) }}</span>{% endif %}
<span>{{ locale_names.get(m.locale, m.locale) }}</span>
<span>{% if m.sms_consent %}{{ _("SMS: yes") }}{% else %}{{ _("SMS: no consent") }}{% endif %}</span>
<span id="stage">{{ _("Stage: %(stage)s", stage=name("stage", c.stage)) }}</span></p></div>
<div class="head-actions">{% if not erased and c.refusal is none %}
<form method="post" action="/members/{{ m.id }}/checkin"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="primary big" id="checkin">{{ _("Check in") }}</button></form>
{% elif not erased %}<div class="refusal" id="checkin-refused" data-code="{{ c.refusal[0] }}">
<p><strong>{{ _("No check-in") }}</strong> {{ c.refusal[1] }}</p>
{% if c.refusal[0] in ('no_membership', 'expired', 'cancelled', 'visit_limit') and c.can_sell %}
<a class="button primary" id="sell-and-check-in" href="/members/{{ m.id }}?sell=checkin#section-sell">{{
 _("Sell and check in") }}</a>{% endif %}
<a class="button" id="let-in-once" href="/members/{{ m.id }}?open=override#section-override">{{ _("Let in once") }}</a>
</div>{% endif %}
{% if not erased %}<a class="button" href="/members/{{ m.id }}/edit">{{ _("Edit") }}</a>{% endif %}</div></section>
{% if erased %}<p class="alert info" id="erased">{{ _("This member's personal data was erased on %(date)s. Their "
 "anonymous history stays for the reports.", date=day(m.erased_at)) }}</p>{% endif %}
{% if not erased %}<details class="card-form" id="section-photo">
<summary>{{ _("Change the photo") if m.photo_at else _("Add a photo") }}</summary>
<form method="post" action="/members/{{ m.id }}/photo" enctype="multipart/form-data" class="inline" id="photo-form">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label class="field"><span>{{ _("Photo file (JPEG, PNG or WebP)") }}</span>
<input type="file" name="photo" accept="image/jpeg,image/png,image/webp" id="photo-file"></label>
<button id="photo-upload">{{ _("Upload") }}</button>
<button type="button" id="camera-start" hidden>{{ _("Use the camera") }}</button></form>
<div class="camera" id="camera-box" hidden>
<video id="camera" autoplay playsinline muted width="320" height="240"></video>
<button type="button" class="primary" id="camera-snap">{{ _("Take the photo") }}</button>
<p class="error" id="camera-error" hidden>{{ _("The camera could not be opened.") }}</p></div>
{% if m.photo_at %}<form method="post" action="/members/{{ m.id }}/photo/delete" class="inline-button">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="small danger" id="photo-remove">{{ _("Remove the photo") }}</button></form>{% endif %}
</details>{% endif %}
{% if not erased and c.refusal is not none %}{{ section("override", _("Let in once, with a manager's approval")) }}
{% endif %}
{% if c.alerts %}<ul class="alerts">{% for level, text in c.alerts %}<li class="alert {{ level }}">{{ text }}</li>
{% endfor %}</ul>{% endif %}
{% if c.tasks %}<section class="card todo" id="todo"><h2>{{ _("What to do now") }}</h2><table class="tasks">
{% for tp in c.tasks %}<tr id="task-{{ tp.id }}" class="{{ 'overdue' if tp.overdue else '' }}">
<td class="due">{% if tp.due_at %}<span class="{{ 'overdue-word' if tp.overdue else 'due-at' }}">{{
 _("overdue since %(date)s", date=moment(tp.due_at)) if tp.overdue else _("by %(time)s", time=moment(tp.due_at))
 }}</span>{% elif tp.overdue %}<span class="overdue-word">{{ _("overdue since %(date)s", date=day(tp.due_on))
 }}</span>{% else %}{{ _("today") }}{% endif %}</td>
<td><strong>{{ name("task", tp.task_kind) }}</strong> <small class="rule">{{ name("rule", tp.rule) }}</small>
{% if tp.say %}<blockquote class="script" lang="{{ m.locale }}">{{ tp.say[0] }}</blockquote>{% if tp.clerk %}
<p class="script-translation" lang="{{ locale }}"><small>{{ _("In your language:") }}</small> {{ tp.clerk }}</p>
{% endif %}{% endif %}</td>
<td>{{ why(tp) }}</td>
<td>{% if tp.session %}<a href="/sessions/{{ tp.session.id }}">{{ tp.session.title }}</a>
<small>{{ moment(tp.session.starts_at) }}</small>{% endif %}</td>
<td><form method="post" action="/today/{{ tp.id }}/outcome" class="outcomes" id="outcomes-{{ tp.id }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="next" value="/members/{{ m.id }}">
<button type="submit" disabled hidden aria-hidden="true"></button>
<input type="text" name="note" maxlength="300" placeholder="{{ _('Note (optional)') }}" aria-label="{{ _('Note') }}">
{% for code in outcomes %}<button class="small outcome-{{ code }}" name="outcome" value="{{ code }}">{{
 name("outcome", code) }}</button>
{% endfor %}</form></td></tr>
{% endfor %}</table></section>{% endif %}
<div class="columns"><section class="card"><h2>{{ _("Membership") }}</h2>
{% set ms = c.membership %}{% if ms %}<dl class="facts"><dt>{{ _("Plan") }}</dt><dd id="plan-name">{{ ms.plan }}</dd>
<dt>{{ _("Period") }}</dt><dd>{{ day(ms.starts_on) }} – <span id="ends-on">{{ day(ms.ends_on) }}</span></dd>
{% if c.renewed_by %}<dt>{{ _("Renewed until") }}</dt><dd id="renewed-until">{{ day(c.renewed_by.ends_on) }}</dd>
{% endif %}
{% if c.days_left is not none %}<dt>{{ _("Days left") }}</dt><dd id="days-left">{{ c.days_left }}</dd>{% endif %}
{% if c.visits_left is not none %}<dt>{{ _("Visits left") }}</dt><dd id="visits-left">{{ _("%(left)s of %(limit)s",
 left=c.visits_left, limit=ms.visit_limit) }}</dd>{% endif %}
{% for f_id, f_start, f_end in ms.freezes if f_end >= day_today %}<dt>{{ _("Frozen") }}</dt>
<dd>{{ day(f_start) }} – {{ day(f_end) }}
<form method="post" action="/members/{{ m.id }}/freezes/{{ f_id }}/end" class="inline-button">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="small" id="end-freeze-{{ f_id }}">{{ _("End today") if f_start < day_today else _("Remove") }}</button>
</form></dd>
{% endfor %}</dl>
{% else %}<p class="empty">{{ _("No membership yet.") }}</p>{% endif %}
{% if not erased and c.can_sell %}{{ section("sell", _("Renew") if c.renewable else _("Sell a membership"),
 c.state in ('lead', 'expired', 'none', 'cancelled')) }}
{% else %}<p class="hint" id="covered">{{ _("Covered until %(date)s; a renewal can be sold from %(from)s.",
 date=day(c.latest_end), from=day(c.renewal_opens)) }}</p>{% endif %}
{% if not erased and c.open_contracts %}{{ section("freeze", _("Freeze")) }}
{% if manager %}{{ section("cancel", _("Cancel a membership")) }}{% endif %}{% endif %}
{% if c.contracts|length > 1 %}<h3>{{ _("History") }}</h3><table class="compact">
{% for h in c.contracts %}<tr><td>{{ h.plan }}</td><td>{{ day(h.starts_on) }} – {{ day(h.ends_on) }}</td>
<td>{{ money(h.price_minor, h.currency) }}</td>
<td>{% if h.renews_id %}{{ _("renewal") }}{% endif %}{% if h.cancelled_on %} {{ _("cancelled: %(reason)s",
 reason=h.cancel_reason) }}{% endif %}</td></tr>
{% endfor %}</table>{% endif %}</section>
<section class="card"><h2>{{ _("Packages") }}</h2>
{% if c.packages %}<table class="compact" id="balances">
{% for p in c.packages %}<tr><td>{{ p.name }}</td><td class="num balance">{{ p.balance }}</td>
<td>{% if p.expires_on and p.expires_on < day_today %}<span class="badge stage-expired">{{ _("expired on %(date)s",
 date=day(p.expires_on)) }}</span>{% elif p.expires_on %}{{ _("valid until %(date)s", date=day(p.expires_on))
 }}{% endif %}</td></tr>
{% endfor %}</table>{% else %}<p class="empty">{{ _("No packages.") }}</p>{% endif %}
{% if not erased and c.redeemable %}{{ section("redeem", _("Redeem")) }}{% endif %}
{% if not erased and c.sells_packages %}{{ section("package", _("Sell a package")) }}{% endif %}
{% if manager and not erased and c.sells_packages %}{{ section("grant", _("Grant free units")) }}{% endif %}
</section>
<section class="card"><h2>{{ _("Last visits") }}</h2>
{% if c.visits %}<ul class="plain" id="visits">{% for v in c.visits %}<li>{{ moment(v.checked_in_at) }}{%
 if v.elsewhere is not none %} <small class="hint visit-club">{{ _("at %(club)s", club=v.elsewhere) }}</small>{%
 endif %}</li>{% endfor %}</ul>
{% else %}<p class="empty">{{ _("No visits yet.") }}</p>{% endif %}
{% if m.converted_at is none and not erased %}<details class="panel" id="lead-panel" open><summary><h2>{{
 _("Lead") }}</h2></summary>
{{ slot("/members/%d/lead" % m.id) }}</details>{% endif %}
<details class="panel" id="bookings-panel" open><summary><h2>{{ _("Bookings") }}</h2></summary>
{{ slot("/members/%d/bookings" % m.id) }}</details>
<details class="audit-trail panel" id="audit-panel"><summary><h2>{{ _("Audit trail") }}</h2></summary>
{{ slot("/members/%d/audit" % m.id) }}</details>
{% if m.notes %}<h2>{{ _("Notes") }}</h2><p>{{ m.notes }}</p>{% endif %}</section></div>
<div class="columns"><section class="card" id="retention"><h2>{{ _("Retention contacts") }}</h2>
{% if c.touchpoints %}<table class="compact touchpoints"><thead><tr><th>{{ _("Date") }}</th><th>{{ _("Tool") }}</th>
<th>{{ _("Channel") }}</th><th>{{ _("Status") }}</th><th>{{ _("Why") }}</th></tr></thead>
{% for tp in c.touchpoints %}<tr id="touchpoint-{{ tp.id }}" data-status="{{ tp.status }}"><td>{{ day(tp.due_on) }}</td>
<td>{{ name("tool", tp.tool) }}<small class="rule">{{ name("rule", tp.rule) }}</small></td>
<td>{{ name("channel", tp.channel) }}</td>
<td>{{ name("status", tp.status) }}{% if tp.status == 'skipped' and tp.skip_reason %}: {{ name("skip", tp.skip_reason)
 }}{% endif %}{% if tp.outcome %} <small>{{ name("outcome", tp.outcome) }}</small>{% endif %}{% if tp.opened_at
 %} <small class="link-opened">{{ _("link opened %(when)s", when=moment(tp.opened_at)) }}</small>{% endif %}{%
 if tp.answer == 'call_me' %} <small class="page-answer">{{ _("asked for a call") }}</small>{% elif tp.answer ==
 'at_desk' %} <small class="page-answer">{{ _("will renew at the desk") }}</small>{% endif %}</td>
<td>{{ why(tp) }}</td></tr>
{% endfor %}</table>{% else %}<p class="empty">{{ _("No retention contacts yet.") }}</p>{% endif %}</section>
<section class="card" id="member-page"><h2>{{ _("Member page") }}</h2>
{% if not m.page_on %}<p class="hint" id="member-page-off">{{
 _("The member page is switched off for this club: texts go without a link.") }}</p>{% endif %}
{% if c.page_events %}<ul class="plain page-events">{% for e in c.page_events %}<li data-kind="{{ e.kind }}"><time>{{
 moment(e.at) }}</time> {{ e.text }}{% if e.starts_at %} <small>{{ moment(e.starts_at) }}</small>{% endif %}{%
 if e.kind == 'opened' and e.tool %} <small class="hint">{{ _("from the text of %(tool)s", tool=name("tool", e.tool))
 }}</small>{% endif %}</li>
{% endfor %}</ul>{% else %}<p class="empty">{{ _("The member has not used their page yet.") }}</p>{% endif %}
{% if not erased %}<p><a href="/members/{{ m.id }}/member-page" id="member-page-preview">{{
 _("See the page as the member does") }}</a></p>{% endif %}
</section>
<section class="card" id="contacts"><h2>{{ _("Staff contacts") }}</h2>
{% if c.contacts %}<ul class="plain contacts">{% for k in c.contacts %}<li><time>{{ moment(k.created_at) }}</time>
{{ name("outcome", k.outcome) }}{% if k.staff %} · {{ k.staff }}{% endif %}{% if k.note %}<small>{{ k.note
 }}</small>{% endif %}</li>
{% endfor %}</ul>{% else %}<p class="empty">{{ _("No contacts logged yet.") }}</p>{% endif %}
{% if not erased %}{{ section("contact", _("Log a contact")) }}{% endif %}</section>
<section class="card" id="sms"><h2>{{ _("SMS") }}</h2>
{% if m.phone_invalid_at %}<p class="alert danger" id="phone-invalid">{{ _("Twilio says this number is invalid") }}</p>
{% endif %}
{% if m.sms_opted_out_at %}<p class="alert warning" id="opted-out">{{ _("Opted out of SMS on %(date)s",
 date=day(m.sms_opted_out_at)) }}</p>{% endif %}
<details class="panel" id="messages-panel"><summary>{{ _("Messages") }}</summary>
{{ slot("/members/%d/messages" % m.id) }}</details>
{% if not erased and c.can_text %}{{ section("sms", _("Send an SMS")) }}{% endif %}
<details class="panel" id="consent-panel"><summary>{{ _("Consent history") }}</summary>
{{ slot("/members/%d/consents" % m.id) }}</details></section></div>
{% if manager and not erased %}<section class="card" id="gdpr"><h2>{{ _("Personal data (GDPR)") }}</h2>
<a class="button" id="gdpr-export" href="/members/{{ m.id }}/export">{{ _("Download the member's data (JSON)") }}</a>
<a class="button danger" id="gdpr-erase" href="/members/{{ m.id }}/erase">{{ _("Erase personal data…") }}</a>
</section>{% endif %}
<script src="/static/js/card_panels.js" defer></script><script src="/static/js/sms_counter.js" defer></script>
<script src="/static/js/photo.js" defer></script>{% endblock %}""",
    # The member page as ClubCRM renders it (templates/member_page/page.html and its parts), in the member's language.
    "member_page.html": """<!doctype html><html lang="{{ locale }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<title>{{ p.club_name }}</title><link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="/static/css/member.css"><script src="/static/js/member_page.js" defer></script></head>
<body class="member"><header class="club" data-viewed="/m/{{ token }}/viewed" data-csrf="{{ csrf }}">
<h1>{{ p.club_name }}</h1>{% if p.club_phone %}<a class="phone" href="tel:{{ p.club_phone|replace(' ', '') }}">{{
 p.club_phone }}</a>{% endif %}</header>
<main><section class="card membership"><p class="hello">{{ _("Hello, %(name)s!", name=p.first_name) }}</p>
<h2>{{ _("Your membership") }}</h2>
{% if v.state in ("active", "frozen") %}<p class="plan">{{ v.plan }}</p>
<p>{{ _("Valid until %(date)s", date=long(v.until)) }}</p>
<p class="days-left">{{ ngettext("%(num)s day left", "%(num)s days left", v.days_left) }}</p>
{% if v.frozen_until %}<p class="note frozen">{{ _("Frozen until %(date)s", date=long(v.frozen_until)) }}</p>{% endif %}
{% elif v.state == "future" %}<p class="plan">{{ v.plan }}</p>
<p>{{ _("Starts on %(date)s, valid until %(until)s", date=long(v.starts_on), until=long(v.until)) }}</p>
{% elif v.state in ("expired", "cancelled") and v.until %}<p class="plan">{{ v.plan }}</p>
<p class="note">{{ _("Ended on %(date)s", date=long(v.until)) }}</p>
{% else %}<p>{{ _("You have no membership yet. Come for a trial session!") }}</p>{% endif %}
{% if v.packages %}<h3>{{ _("Your packages") }}</h3><ul class="packages">{% for k in v.packages %}
<li><span class="name">{{ k.name }}</span> <span class="balance">{{ ngettext("%(num)s left", "%(num)s left", k.balance)
 }}</span> {% if k.expires_on %}<span class="expiry">{% if k.expired %}{{ _("Expired on %(date)s",
 date=long(k.expires_on)) }}{% else %}{{ _("Valid until %(date)s", date=long(k.expires_on)) }}{% endif %}</span>{%
 endif %}</li>{% endfor %}</ul>{% endif %}</section>
{% if v.renewal_offer %}<section class="card part renewal" id="renewal"><h2>{{ _("Renewing your membership") }}</h2>
{% if p.answer == 'call_me' %}<p class="answered">{{ _("You asked the club to call you about renewing.") }}</p>
{% elif p.answer == 'at_desk' %}<p class="answered">{{ _("You said you will renew at the desk.") }}</p>
{% else %}<p>{{ _("How would you like to renew?") }}</p>{% endif %}
<form method="post" action="/m/{{ token }}/renewal" class="answers">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="answer" name="answer" value="call_me">{{ _("Call me about renewing") }}</button>
<button class="answer" name="answer" value="at_desk">{{ _("I'll renew at the desk") }}</button></form></section>
{% endif %}
<section class="card bookings"><h2>{{ _("Your bookings") }}</h2>
{% if v.bookings %}<ul class="slots">{% for b in v.bookings %}<li class="slot"><p class="title">{{ b.title }}</p>
<p class="when">{{ b.when }}</p>
<p class="status {{ b.status }}">{{ _("You are on the waitlist") if b.status == "waitlist" else _("You are booked")
 }}</p>
{% if b.can_cancel %}<form method="post" action="/m/{{ token }}/cancel/{{ b.id }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><button type="submit" class="button secondary">{{
 _("Cancel booking") if b.status == "booked" else _("Leave the waitlist") }}</button></form>
<p class="hint">{{ _("You can cancel until %(deadline)s.", deadline=b.cancel_until) }}</p>
{% else %}<p class="hint">{{ _("To cancel now, please call the club.") }}</p>{% endif %}</li>{% endfor %}</ul>
{% else %}<p class="empty">{{ _("You have no bookings.") }}</p>{% endif %}</section>
<section class="card sessions"><h2>{{ _("Sessions for you") }}</h2>
{% if v.sessions %}<ul class="slots">{% for s in v.sessions %}<li class="slot{% if s.offered %} offered{% endif %}">
{% if s.offered %}<p class="badge">{{ _("Offered to you") }}</p>{% endif %}
<p class="title">{{ s.title }}{% if s.kind == "trial" %} <span class="kind">{{ _("trial session") }}</span>{% endif
 %}</p>
<p class="when">{{ s.when }}{% if s.room %} · {{ s.room }}{% endif %}</p>
<p class="places">{% if s.free <= 0 %}{{ _("Full: you can join the waitlist") }}{% else %}{{
 ngettext("%(num)s place free", "%(num)s places free", s.free) }}{% endif %}</p>
<form method="post" action="/m/{{ token }}/book/{{ s.id }}"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button type="submit" class="button">{{ _("Join the waitlist") if s.free <= 0 else _("Book a place") }}</button></form>
</li>{% endfor %}</ul>
{% else %}<p class="empty">{{ _("No sessions for you to book in the next two weeks.") }}</p>{% endif %}</section>
<section class="card part messages" id="messages"><h2>{{ _("Messages") }}</h2>
{% if p.sms_consent and p.phone and p.sms_opted_out_at is none and p.phone_invalid_at is none %}
<p class="sms-state on">{{ _("You get SMS from the club.") }}</p>
<form method="post" action="/m/{{ token }}/sms" class="sms">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="sms-stop" name="sms" value="stop">{{ _("Stop SMS") }}</button></form>
{% elif p.sms_opted_out_at and p.sms_consent and p.phone %}<p class="sms-state off">{{
 _("You stopped SMS from the club.") }}</p><form method="post" action="/m/{{ token }}/sms" class="sms">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="sms-start" name="sms" value="start">{{ _("Get SMS again") }}</button></form>
{% else %}<p class="sms-state off">{{ _("The club sends you no SMS. To get them, please ask at the desk.") }}</p>
{% endif %}
<h3>{{ _("Language") }}</h3><form method="post" action="/m/{{ token }}/language" class="languages">
<input type="hidden" name="csrf_token" value="{{ csrf }}">{% for code in mp_locales %}
<button class="language{{ ' current' if code == locale else '' }}" name="locale" value="{{ code }}" lang="{{ code }}">{{
 locale_names[code] }}</button>{% endfor %}</form></section></main></body></html>""",
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


def _standing(member, rows, today: date) -> tuple[str, int | None]:
    """Where a found member stands today (as the card says it), from their memberships' rows (newest end first,
    with freezes), and the days left of the current one."""
    contracts: list[Contract] = []
    for r in rows:
        if not contracts or contracts[-1].id != r.id:
            contracts.append(Contract(r.id, _day(r.starts_on), _day(r.ends_on), None,
                                      r.cancelled_on and _day(r.cancelled_on), None, None, None, None, ""))
        if r.freeze_id is not None:
            contracts[-1].freezes.append((r.freeze_id, _day(r.f_start), _day(r.f_end)))
    state, membership, _freeze = _where(member.converted_at is None, contracts, today)
    return state, (membership.ends_on - today).days if state in ("active", "frozen") else None


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


def _instant_of(value) -> datetime | None:
    """A stored instant as an aware UTC datetime (SQLite hands back naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _json(value) -> dict:
    """A JSON column's value as a dict (SQLite hands back its text, psycopg the decoded value)."""
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}


def _(msgid: str, **values) -> str:
    """MSGID in the staff's language (g.locale), with VALUES filled in as Babel's gettext does."""
    translated = _catalog(g.locale).ugettext(msgid)
    return translated % values if values else translated


def _n(singular: str, plural: str, num: int, **values) -> str:
    return _catalog(g.locale).ungettext(singular, plural, num) % {"num": num, **values}


def _name(table: str, code: str | None) -> str:
    """A lifecycle code's name in the staff's language (the code itself when unknown)."""
    return _(NAMES[table][code]) if code in NAMES[table] else (code or "")


@lru_cache(maxsize=8192)
def _date_text(value: date, locale: str) -> str:
    """A day in LOCALE, Babel's medium form, without Russian's trailing year word (as ClubCRM writes dates)."""
    written = babel_dates.format_date(value, "medium", locale=locale)
    if locale.startswith("ru") and written.endswith("г.") and written[-3:-2].isspace():
        return written[:-3]
    return written


@lru_cache(maxsize=8192)
def _long(value: date | None, locale: str) -> str:
    """A day in LOCALE, Babel's long form, without Russian's trailing year word (the member page's dates)."""
    if value is None:
        return ""
    written = babel_dates.format_date(value, "long", locale=locale)
    if locale.startswith("ru") and written.endswith("г.") and written[-3:-2].isspace():
        return written[:-3]
    return written


def _when(starts_at: datetime, ends_at: datetime | None, tz: str, locale: str) -> str:
    """A session's day and time in the club's zone and LOCALE, as the member page writes it."""
    zone = ZoneInfo(tz)
    start = starts_at.astimezone(zone)
    day = babel_dates.format_skeleton("MMMEd", start, locale=locale)
    if ends_at is None:
        return f"{day}, {babel_dates.format_time(start, 'short', locale=locale)}"
    end = ends_at.astimezone(zone)
    hm = "hm" if "a" in babel_dates.get_time_format("short", locale=locale).pattern else "Hm"
    return f"{day}, {babel_dates.format_interval(start.time(), end.time(), hm, locale=locale)}"


def _date(value) -> str:
    """A day in the staff's language; an instant (a datetime, or SQLite's text of one) as its day in the club's
    zone, as Babel writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10):
        local = _instant_of(value).astimezone(ZoneInfo(g.tz))
        return babel_dates.format_date(local.date(), "medium", locale=g.locale)
    return _date_text(_day(value), g.locale)


def _moment(value) -> str:
    """An instant in the club's zone: the day as _date writes it and the short time."""
    local = _instant_of(value).astimezone(ZoneInfo(g.tz))
    return f"{_date_text(local.date(), g.locale)}, {babel_dates.format_time(local, 'short', locale=g.locale)}"


def _money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    major = Decimal(minor).scaleb(-babel_numbers.get_currency_precision(currency))
    return babel_numbers.format_currency(major, currency, locale=g.locale)


def _fact_value(value, key: str) -> str:
    if key == "instead_of_sms":
        return _name("skip", value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return _date(date.fromisoformat(value))
        except ValueError:
            pass
    return str(value)


def _why(facts: dict) -> list[str]:
    """Why a touchpoint fired: its facts as "label: value", leaving out those without a value."""
    return [f"{_(FACT_NAMES[key]) if key in FACT_NAMES else key}: {_fact_value(value, key)}"
            for key, value in facts.items() if value is not None and value != ""]


@dataclass
class Contract:
    """One membership of the card's member, with its plan's name and its freezes (by first day)."""

    id: int
    starts_on: date
    ends_on: date
    visit_limit: int | None
    cancelled_on: date | None
    cancel_reason: str | None
    renews_id: int | None
    price_minor: int | None
    currency: str
    plan: str
    freezes: list = field(default_factory=list)


def _live(c: Contract, today: date) -> bool:
    return c.cancelled_on is None or c.cancelled_on > today


def _where(is_lead: bool, contracts: list[Contract], today: date) -> tuple[str, Contract | None, tuple | None]:
    """Where the member stands today (state, the membership it is about, the freeze covering today), from the
    memberships newest end first: lead, active, frozen, expired, cancelled, future or none."""
    if not contracts:
        return ("lead" if is_lead else "none"), None, None
    current = [c for c in contracts if c.starts_on <= today <= c.ends_on and _live(c, today)]
    if current:
        membership = max(current, key=lambda c: c.starts_on)
        freeze = next((f for f in membership.freezes if f[1] <= today <= f[2]), None)
        return ("frozen" if freeze else "active"), membership, freeze
    future = [c for c in contracts if c.starts_on > today and _live(c, today)]
    if future:
        return "future", min(future, key=lambda c: c.starts_on), None
    return ("expired" if _live(contracts[0], today) else "cancelled"), contracts[0], None


def _last_day(c: Contract) -> date:
    if c.cancelled_on is not None and c.cancelled_on <= c.ends_on:
        return max(c.starts_on, c.cancelled_on - timedelta(days=1))
    return c.ends_on


def _stage(is_lead: bool, contracts: list[Contract], today: date) -> str:
    """The member's lifecycle stage today: lead, adaptation, active, pre_renewal, frozen, lapsed or lost."""
    if not contracts:
        return "lead" if is_lead else "lost"
    first_start = min(c.starts_on for c in contracts)
    live = [c for c in contracts if not (c.cancelled_on is not None and c.cancelled_on <= c.starts_on)]
    current = [c for c in live if c.starts_on <= today <= _last_day(c)]
    if current:
        cycle = max(current, key=lambda c: (c.starts_on, c.id))
        first = cycle.starts_on == first_start and cycle.renews_id is None
        renewed = any(c.starts_on > cycle.starts_on for c in live)
        if any(f[1] <= today <= f[2] for f in cycle.freezes):
            return "frozen"
        length = (_last_day(cycle) - cycle.starts_on).days + 1
        if not renewed and (_last_day(cycle) - today).days < min(PRE_RENEWAL_DAYS, length // 3):
            return "pre_renewal"
        if first and (today - cycle.starts_on).days < ADAPTATION_DAYS:
            return "adaptation"
        return "active"
    if any(c.starts_on > today for c in live):
        return "active"
    ended = [c for c in contracts if c.starts_on <= today]
    if not ended:
        return "lost"
    cycle = max(ended, key=lambda c: (_last_day(c), c.id))
    return "lapsed" if (today - _last_day(cycle)).days <= LAPSED_DAYS else "lost"


def _refusal(name: str, state: str, membership: Contract | None, freeze, visits_left: int | None):
    """Why a check-in would be refused today, as (code, message), or None (ClubCRM's refusal texts)."""
    if state in ("lead", "none"):
        return "no_membership", _("%(name)s has no membership.", name=name)
    if state == "future":
        return "not_started", _("The membership starts on %(date)s.", date=_date(membership.starts_on))
    if state == "expired":
        return "expired", _("The membership expired on %(date)s.", date=_date(membership.ends_on))
    if state == "cancelled":
        return "cancelled", _("The membership was cancelled on %(date)s.", date=_date(membership.cancelled_on))
    if state == "frozen":
        return "frozen", _("The membership is frozen until %(date)s.", date=_date(freeze[2]))
    if visits_left == 0 and membership is not None and membership.visit_limit is not None:
        return "visit_limit", _n("The %(num)d visit of this membership is used.",
                                 "All %(num)d visits of this membership are used.", membership.visit_limit)
    return None


def _birthday(birth: date | None, today: date) -> bool:
    if birth is None:
        return False
    if (birth.month, birth.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birth.month, birth.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def _script(texts: dict, locale: str, first_name: str, staff, facts: dict, session) -> tuple[str, str] | None:
    """A rule's text for the member (in LOCALE, else the club's language) with its placeholders filled: what to say
    on the call, and the language it is in; None when the rule has no text."""
    if not texts.get(locale):
        locale = staff.default_locale
    written = texts.get(locale)
    if not written:
        return None

    def day_of(iso):
        return _date_text(date.fromisoformat(iso), locale) if iso else ""

    values = {"first_name": first_name, "club": staff.club_name, "end_date": day_of(facts.get("ends_on")),
              "expires_on": day_of(facts.get("expires_on")), "days": facts.get("days_silent", ""),
              "visits": facts.get("visits_cycle", ""), "service": facts.get("service", ""),
              "balance": facts.get("balance", ""), "session": session.title if session else "",
              "when": babel_dates.format_datetime(_instant_of(session.starts_at), "short",
                                                  tzinfo=ZoneInfo(staff.timezone), locale=locale) if session else ""}
    try:
        return written.format(**values), locale
    except (KeyError, IndexError, ValueError):
        return written, locale


def _contracts(rows) -> list[Contract]:
    """The card's member's memberships (newest end first) with their freezes, from the card's rows."""
    contracts: list[Contract] = []
    for r in rows:
        if r.membership_id is None:
            continue
        if not contracts or contracts[-1].id != r.membership_id:
            contracts.append(Contract(r.membership_id, _day(r.starts_on), _day(r.ends_on), r.visit_limit,
                                      r.cancelled_on and _day(r.cancelled_on), r.cancel_reason, r.renews_id,
                                      r.price_minor, r.currency, r.plan))
        if r.freeze_id is not None:
            contracts[-1].freezes.append((r.freeze_id, _day(r.f_start), _day(r.f_end)))
    return contracts


def _latest_live(contracts: list[Contract], today: date) -> Contract | None:
    live = [c for c in contracts if _live(c, today)]
    return max(live, key=lambda c: (c.ends_on, c.id)) if live else None


def _counted(m, contracts: list[Contract], today: date) -> list[int]:
    """The visit-count memberships whose visits the card counts: the current one and the one a renewal follows."""
    _state, membership, _freeze = _where(m.converted_at is None, contracts, today)
    last = _latest_live(contracts, today)
    return sorted({c.id for c in (membership, last) if c is not None and c.visit_limit is not None})


def _card(m, contracts, visits, packages, touchpoints, contacts, staff, today: date) -> SimpleNamespace:
    """What the member card shows, from its rows, as ClubCRM's card works it out."""
    is_lead = m.converted_at is None
    state, membership, freeze = _where(is_lead, contracts, today)
    last = _latest_live(contracts, today)
    counted = _counted(m, contracts, today)
    used = ({membership_id: visits[0]._mapping[f"used_{n}"] for n, membership_id in enumerate(counted)} if visits
            else dict.fromkeys(counted, 0))
    renewable = last if last is not None and (
        last.ends_on - timedelta(days=RENEWAL_BEFORE_DAYS) <= today <= last.ends_on + timedelta(
            days=RENEWAL_AFTER_DAYS)) else None
    covering = None if last is None or last.ends_on < today or renewable is not None else last
    if covering is not None and covering.visit_limit is not None and used.get(covering.id, 0) >= covering.visit_limit:
        covering = None
    renewed_by = visits_left = None
    if membership is not None:
        renewed_by = next((c for c in contracts if c.renews_id == membership.id and _live(c, today)), None)
        if membership.visit_limit is not None:
            visits_left = max(membership.visit_limit - used.get(membership.id, 0), 0)
    name = f"{m.first_name} {m.last_name}".strip()
    packages = [SimpleNamespace(name=p.name, balance=p.balance, expires_on=p.expires_on and _day(p.expires_on))
                for p in packages]
    tps = [SimpleNamespace(id=t.id, club_id=t.club_id, channel=t.channel, status=t.status,
                           skip_reason=t.skip_reason, outcome=t.outcome, task_kind=t.task_kind,
                           due_on=_day(t.due_on), due_at=_instant_of(t.due_at), facts=_json(t.facts),
                           opened_at=_instant_of(t.opened_at), answer=t.answer, tool=t.tool, rule=t.rule,
                           priority=t.priority, texts=t.texts,
                           session=SimpleNamespace(id=t.session_id, title=t.title, starts_at=t.starts_at)
                           if t.session_id is not None else None) for t in touchpoints]
    for t in tps:
        t.why = _why(t.facts)
    history = sorted(tps, key=lambda t: (t.due_on, t.id), reverse=True)[:30]
    tasks = sorted((t for t in tps if t.club_id == m.club_id and t.channel == "task" and t.status == "planned"
                    and t.due_on <= today), key=lambda t: (t.due_on, t.priority, t.id))
    member_locale = m.locale if m.locale in LOCALE_NAMES else staff.default_locale
    now = datetime.now(UTC)
    for t in tasks:
        t.overdue = t.due_at < now if t.due_at is not None else t.due_on < today
        texts = _json(t.texts)
        t.say = _script(texts, member_locale, m.first_name, staff, t.facts, t.session)
        t.clerk = None
        if member_locale != g.locale and texts.get(g.locale):
            clerk = _script(texts, g.locale, m.first_name, staff, t.facts, t.session)
            t.clerk = clerk[0] if clerk and clerk[1] == g.locale else None
    card = SimpleNamespace(
        m=m, name=name, birth_date=m.birth_date and _day(m.birth_date), state=state, membership=membership,
        freeze=freeze, days_left=(membership.ends_on - today).days if state in ("active", "frozen") else None,
        contracts=contracts, stage=_stage(is_lead, contracts, today), renewable=renewable,
        can_sell=covering is None, renewed_by=renewed_by, visits_left=visits_left,
        refusal=_refusal(name, state, membership, freeze, visits_left),
        latest_end=last.ends_on if last else None,
        renewal_opens=last.ends_on - timedelta(days=RENEWAL_BEFORE_DAYS) if last else None,
        open_contracts=[c for c in contracts if _live(c, today) and c.ends_on >= today],
        redeemable=[p for p in packages if p.balance > 0 and (p.expires_on is None or p.expires_on >= today)],
        packages=packages, visits=visits, tasks=tasks, touchpoints=history, contacts=contacts,
        sells_packages=bool(m.sells_packages),
        can_text=bool(m.sms_consent and m.phone and m.sms_opted_out_at is None and m.phone_invalid_at is None))
    card.alerts = _alerts(card, today)
    return card


def _page_event(row) -> SimpleNamespace:
    """One line of the card's member page panel, in the staff's words."""
    if row.title and row.kind in SESSION_EVENT_TEXTS:
        words = _(SESSION_EVENT_TEXTS[row.kind], session=row.title)
    else:
        words = _(PAGE_EVENT_TEXTS[row.kind]) if row.kind in PAGE_EVENT_TEXTS else row.kind
    return SimpleNamespace(at=_instant_of(row.created_at), kind=row.kind, text=words,
                           starts_at=_instant_of(row.starts_at), tool=row.tool)


def _alerts(card, today: date) -> list[tuple[str, str]]:
    """What the desk should notice or do now, as (level, text)."""
    out: list[tuple[str, str]] = []
    if card.m.erased_at is not None:
        return out
    renewed = card.renewed_by is not None
    if card.state in ("active", "frozen") and not renewed:
        left = (card.membership.ends_on - today).days
        if left == 0:
            out.append(("danger", _("Membership ends today: offer a renewal.")))
        elif left <= EXPIRY_ALERT_DAYS:
            out.append(("warning", _n("Membership expires in %(num)d day: offer a renewal.",
                                      "Membership expires in %(num)d days: offer a renewal.", left)))
    if card.state == "frozen":
        out.append(("info", _("Frozen until %(date)s.", date=_date(card.freeze[2]))))
    if card.state == "expired" and not renewed:
        out.append(("danger", _("Expired on %(date)s: offer a renewal.", date=_date(card.membership.ends_on))))
    if card.state == "lead":
        out.append(("info", _("Lead: offer a trial visit or a first membership.")))
    if _birthday(card.birth_date, today):
        out.append(("info", _("Birthday today: congratulate %(name)s!", name=card.m.first_name)))
    for p in card.packages:
        if not (p.expires_on is not None and p.expires_on < today) and p.balance <= LOW_BALANCE_UNITS:
            out.append(("warning", _("%(service)s: %(units)s left — offer a new package.", service=p.name,
                                     units=p.balance)))
    return out


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
    app.jinja_env.globals.update(phone=_phone, locales=tuple(LOCALE_NAMES.items()), day=_date, moment=_moment,
                                 money=_money, name=_name, state_names=STATE_NAMES, locale_names=LOCALE_NAMES,
                                 outcomes=tuple(OUTCOME_NAMES))
    app.extensions["floor_engine"] = engine   # for the bench's statement counts

    def logged_in(conn):
        """The logged-in staff (one lookup), or a redirect to the login."""
        staff_id = session.get("staff")
        staff = conn.execute(STAFF, {"id": staff_id}).first() if staff_id else None
        if staff is None or not staff.active:
            abort(redirect("/login"))
        # The staff's language (or the club's), as ClubCRM picks it for a browser that names none; the club's zone.
        g.locale = staff.locale if staff.locale in LOCALE_NAMES else staff.default_locale or "en"
        g.tz = staff.timezone
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
                found = sorted(((m, *_standing(m, contracts.get(m.id, []), _day(today))) for m in members),
                               key=lambda f: 0 if f[0].card_code == card else 1)
                # Other clubs' chain members by exact card or phone, each with its chain-wide standing at home.
                for g in conn.execute(GUESTS, {"club": staff.club_id, "card": card,
                                               "phone": _e164(query, staff.country)}).all():
                    if g.erased_at is not None:
                        continue
                    home_today = datetime.now(ZoneInfo(g.timezone)).date()
                    rows = conn.execute(GUEST_CONTRACTS, {"member": g.id}).all()
                    state, days_left = _standing(g, rows, home_today)
                    if state in ("active", "frozen", "future"):
                        guests.append((g, state, days_left))
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
            contracts: list[Contract] = []
            for r in conn.execute(CONTRACTS, {"member": member.id}):
                if not contracts or contracts[-1].id != r.id:
                    contracts.append(Contract(r.id, _day(r.starts_on), _day(r.ends_on), r.visit_limit,
                                              r.cancelled_on and _day(r.cancelled_on), None, None, None, "", r.plan))
                if r.f_start is not None:
                    contracts[-1].freezes.append((None, _day(r.f_start), _day(r.f_end)))
            # Where the member stands today, and ClubCRM's words for a refusal.
            state, current, freeze = _where(False, contracts, today)
            name = f"{member.first_name} {member.last_name}".strip()
            refused = None if state == "active" else _refusal(name, state, current, freeze, None)
            if refused is not None:
                session.setdefault("flashes", []).append(
                    ("danger refusal", _("Check-in refused: %(reason)s", reason=refused[1])))
                return redirect(f"/members/{member.id}")
            conn.execute(LOCK, {"member": member.id})
            since = now - timedelta(seconds=REPEAT_SECONDS)
            if conn.execute(REPEAT, {"member": member.id, "since": _instant(since, sqlite)}).first() is not None:
                session.setdefault("flashes", []).append(("info", _("%(name)s is already checked in.", name=name)))
                return redirect(f"/members/{member.id}")
            if current.visit_limit is not None and conn.execute(
                    USED, {"membership": current.id}).scalar() >= current.visit_limit:
                refused = _refusal(name, state, current, None, 0)
                session.setdefault("flashes", []).append(
                    ("danger refusal", _("Check-in refused: %(reason)s", reason=refused[1])))
                return redirect(f"/members/{member.id}")
            conn.execute(ADD_VISIT, {"club": staff.club_id, "member": member.id, "membership": current.id,
                                     "at": _instant(now, sqlite), "staff": staff.id})
            day_start = datetime(today.year, today.month, today.day, tzinfo=tz).astimezone(UTC)
            conn.execute(ATTENDED, {"member": member.id, "club": staff.club_id,
                                    "day_start": _instant(day_start, sqlite),
                                    "day_end": _instant(day_start + timedelta(days=1), sqlite)})
        session.setdefault("flashes", []).append(("success", _("%(name)s checked in.", name=name)))
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
            day = _day(today)
            contracts = _contracts(rows)
            counted = _counted(rows[0], contracts, day)
            visits = conn.execute(visits_statement(len(counted)), {
                "club": staff.club_id, "member": member_id,
                **{f"counted_{n}": membership_id for n, membership_id in enumerate(counted)}}).all()
            packages = conn.execute(PACKAGES, {"member": member_id}).all()
            touchpoints = conn.execute(TOUCHPOINTS, {"member": member_id, "club": staff.club_id,
                                                     "today": today}).all()
            contacts = conn.execute(CONTACTS, {"member": member_id}).all()
            events = conn.execute(PAGE_EVENTS, {"member": member_id}).all()
            card_ = _card(rows[0], contracts, visits, packages, touchpoints, contacts, staff, day)
            card_.page_events = [_page_event(e) for e in events]
            return page(conn, "card.html", staff, today, m=rows[0], c=card_, day_today=day,
                        manager=staff.role in ("manager", "owner"))

    @app.get("/m/<token>")
    def member_page(token: str):
        digest = hashlib.sha256((token if MP_TOKEN.fullmatch(token) else "*" * 11).encode()).hexdigest()
        now = datetime.now(UTC)
        with engine.connect() as conn:
            p = conn.execute(MP_LINK, {"digest": digest}).first()
            if p is None:
                abort(404)
            tz = ZoneInfo(p.timezone)
            today = now.astimezone(tz).date()
            if (_instant_of(p.expires_at) <= now or p.erased_at is not None or not p.member_page_enabled
                    or (p.closed_on is not None and _day(p.closed_on) <= today)):
                abort(404)
            g.locale = p.locale if p.locale in MP_LOCALES else p.default_locale
            g.tz = p.timezone
            member, club = p.member_id, p.club_id
            at = _instant(now, sqlite)
            contracts: list[Contract] = []
            for r in conn.execute(CONTRACTS, {"member": member}):
                if not contracts or contracts[-1].id != r.id:
                    contracts.append(Contract(r.id, _day(r.starts_on), _day(r.ends_on), r.visit_limit,
                                              r.cancelled_on and _day(r.cancelled_on), None, None, None, "", r.plan))
                if r.f_start is not None:
                    contracts[-1].freezes.append((None, _day(r.f_start), _day(r.f_end)))
            lead = p.converted_at is None
            state, membership, freeze = _where(lead, contracts, today)
            frozen_until = freeze[2] if state == "frozen" else None
            first = state in ("active", "frozen", "future") and len(contracts) == 1
            took_part = conn.execute(MP_TOOK_PART, {"member": member, "club": club, "now": at}).all()
            titles = sorted({t for t, _a in took_part})
            activities = sorted({a for _t, a in took_part if a})
            packages = [SimpleNamespace(name=k.name, balance=k.balance, expires_on=k.expires_on and _day(k.expires_on))
                        for k in conn.execute(PACKAGES, {"member": member})]
            bookings = conn.execute(MP_BOOKINGS, {"member": member, "club": club, "now": at}).all()
            trials = lead or first
            offered = p.offered_id is not None
            values = {"club": club, "now": at, "member": member, "offered": p.offered_id,
                      "soon": _instant(now + timedelta(days=MP_AHEAD_DAYS), sqlite),
                      **{f"t{n}": t for n, t in enumerate(titles)}, **{f"a{n}": a for n, a in enumerate(activities)}}
            if frozen_until is not None:
                thaw = frozen_until + timedelta(days=1)
                values["thaw"] = _instant(datetime(thaw.year, thaw.month, thaw.day, tzinfo=tz).astimezone(UTC),
                                          sqlite)
            found = conn.execute(member_page_sessions(
                trials, lead, 0 if lead else len(titles), 0 if lead else len(activities), offered,
                frozen_until is not None), values).all()
        locale, cancel = g.locale, timedelta(minutes=p.booking_cancel_minutes)
        view = SimpleNamespace(
            state=state, plan=membership.plan if membership is not None else None,
            until=membership.ends_on if membership is not None else None,
            starts_on=membership.starts_on if state == "future" else None,
            days_left=(membership.ends_on - today).days if state in ("active", "frozen") else None,
            frozen_until=frozen_until, renewal_offer=p.tool == "renewal_offer",
            packages=[SimpleNamespace(name=k.name, balance=k.balance, expires_on=k.expires_on,
                                      expired=k.expires_on is not None and k.expires_on < today)
                      for k in packages if k.balance > 0 or k.expires_on is None or k.expires_on >= today],
            bookings=[SimpleNamespace(id=b.id, title=b.title, status=b.status,
                                      when=_when(_instant_of(b.starts_at), _instant_of(b.ends_at), p.timezone, locale),
                                      can_cancel=now < _instant_of(b.starts_at) - cancel,
                                      cancel_until=_when(_instant_of(b.starts_at) - cancel, None, p.timezone, locale))
                      for b in bookings],
            sessions=[SimpleNamespace(id=s.id, title=s.title, kind=s.kind, room=s.room, free=s.capacity - s.taken,
                                      offered=s.rank == 0,
                                      when=_when(_instant_of(s.starts_at), _instant_of(s.ends_at), p.timezone, locale))
                      for s in found])
        response = app.make_response(render_template("member_page.html", p=p, v=view, token=token, csrf=csrf_token(),
                                                     locale=locale, long=lambda d: _long(d, locale),
                                                     mp_locales=MP_LOCALES, locale_names=LOCALE_NAMES))
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
