"""The access matrix: every route and API endpoint, asked by every kind of login, against the table below.

The table is the spec of who may open what. A new route fails this test until it has a row, and a row whose
route is gone fails it too. Each request is made as six identities: nobody logged in, club A's desk and
manager, the owner (no club of their own: they see every club, working in club A, the first), and club B's
desk and manager asking for club A's ids ("staff of another club"). POSTs carry an empty form (JSON {} under
/api/v1): that must be refused with a 4xx or answered with a redirect, never a 500. All mismatches are
collected and reported in one assertion, so one failure shows the whole picture."""
import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import ApiToken, DeskCall, ImportJob, LeadCycle, LoginSession, Touchpoint
from clubcrm.models.sms import Message
from clubcrm.services import checkin, login_sessions, member_links, sales, sessions
from tests.conftest import NOW, TODAY
from tests.report_snapshots import compute_all
from tests.web import Web

IDENTITIES = ("anonymous", "desk", "manager", "owner", "desk_other", "manager_other")
API_PREFIX = "/api/v1"
PASSWORD = "secret-pass"
# Endpoints that anyone may open without a login: an anonymous redirect from them need not go to /login.
OPEN_ENDPOINTS = {"auth.login", "auth.set_locale", "setup.form",
                  # the member page: no login, a valid token is the key (its POSTs redirect back to the page)
                  "member_page.page", "member_page.viewed", "member_page.book", "member_page.cancel",
                  "member_page.renewal", "member_page.sms", "member_page.language"}
# Endpoints that end the login: the identity logs in again after asking them.
LOGS_OUT = {"auth.logout", "auth.log_out_everywhere"}

# (endpoint, method) -> expected status for (anonymous, desk, manager, owner, desk_other, manager_other).
# desk/manager/owner ask for club A's ids; desk_other/manager_other are club B's staff asking for the same
# URLs: 404 where an id of club A is looked up, their own club's page where the URL names no row. Anonymous
# gets 302 to the login page (401 under /api/v1). POSTs carry an empty form.
TABLE: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    #                                             anon desk  mgr  owner d_oth m_oth
    # --- log in / out, language, the owner's club switch (auth.py)
    ("auth.login", "GET"):                        (200, 302, 302, 302, 302, 302),
    ("auth.login", "POST"):                       (422, 302, 302, 302, 302, 302),
    ("auth.logout", "POST"):                      (302, 302, 302, 302, 302, 302),
    ("auth.choose_club", "POST"):                 (302, 302, 302, 302, 302, 302),
    ("auth.set_locale", "POST"):                  (302, 302, 302, 302, 302, 302),
    # --- one's own signed-in devices and password (auth.py): club A's desk ends a spare session of theirs; for
    # everyone else it is "not signed in" with the list again, as for an id that does not exist
    ("auth.devices", "GET"):                      (302, 200, 200, 200, 200, 200),
    ("auth.end_device", "POST"):                  (302, 302, 302, 302, 302, 302),
    ("auth.log_out_everywhere", "POST"):          (302, 302, 302, 302, 302, 302),
    ("auth.change_password", "GET"):              (302, 200, 200, 200, 200, 200),
    ("auth.change_password", "POST"):             (302, 422, 422, 422, 422, 422),
    # --- the first run (setup.py): open to anyone, but only while the database holds no club; here (clubs exist)
    # it is gone for everyone, a POST included (tests/test_setup.py covers the page before setup)
    ("setup.form", "GET"):                        (404, 404, 404, 404, 404, 404),
    ("setup.form", "POST"):                       (404, 404, 404, 404, 404, 404),
    # --- the desk (desk.py)
    ("desk.index", "GET"):                        (302, 200, 200, 200, 200, 200),
    ("desk.home_part", "GET"):                    (302, 200, 200, 200, 200, 200),
    ("desk.scan", "POST"):                        (302, 302, 302, 302, 302, 302),
    # the guest view of another club's chain member (club A's member has a home-only plan: 404 for club B; club
    # A's own staff are sent to the full card, or checked in as there). CHAIN_TABLE: a chain member.
    ("desk.guest", "GET"):                        (302, 302, 302, 302, 404, 404),
    ("desk.guest_check_in", "POST"):              (302, 302, 302, 302, 404, 404),
    # --- the getting-started checklist on the home page (checklist.py): a manager takes a step off their own
    # club's list (club B's manager off club B's: the URL names no row); desk staff never touch it
    ("checklist.dismiss", "POST"):                (302, 403, 302, 302, 403, 302),
    # --- members (members.py): a card of club A is not found for club B
    ("members.new", "GET"):                       (302, 200, 200, 200, 200, 200),
    ("members.new", "POST"):                      (302, 422, 422, 422, 422, 422),
    ("members.card", "GET"):                      (302, 200, 200, 200, 404, 404),
    ("members.edit", "GET"):                      (302, 200, 200, 200, 404, 404),
    # An empty POST saves the member unchanged: Flask-WTF reads an empty body as no form data at all, so the
    # form keeps the member's own values (obj=member). Harmless; a browser always sends the fields.
    ("members.edit", "POST"):                     (302, 302, 302, 302, 404, 404),
    ("members.check_in", "POST"):                 (302, 302, 302, 302, 404, 404),
    ("members.log_contact", "POST"):              (302, 422, 422, 422, 404, 404),
    ("members.send_sms", "POST"):                 (302, 422, 422, 422, 404, 404),
    ("members.let_in", "POST"):                   (302, 422, 422, 422, 404, 404),
    ("members.cancel_sms", "POST"):               (302, 302, 302, 302, 404, 404),
    ("photos.upload", "POST"):                    (302, 302, 302, 302, 404, 404),
    ("photos.delete", "POST"):                    (302, 302, 302, 302, 404, 404),
    ("photos.show", "GET"):                       (302, 404, 404, 404, 404, 404),
    # A reload of a card form's address: a plain redirect to the card, which itself answers 404 to club B
    # (the redirect reads no row, so it tells nothing about club A).
    ("members.back_from_contact", "GET"):         (302, 302, 302, 302, 302, 302),
    ("members.back_from_sms", "GET"):             (302, 302, 302, 302, 302, 302),
    # The card's panels and forms, fetched when opened: as the card itself; the cancel form is the manager's
    # (club B's manager asking for it: not found), as its POST (sales.cancel).
    ("members.audit_panel", "GET"):               (302, 200, 200, 200, 404, 404),
    ("members.bookings_panel", "GET"):            (302, 200, 200, 200, 404, 404),
    ("members.messages_panel", "GET"):            (302, 200, 200, 200, 404, 404),
    ("members.consent_panel", "GET"):             (302, 200, 200, 200, 404, 404),
    ("members.form", "GET"):                      (302, 403, 200, 200, 403, 404),
    # The lead panel (lead cycles, stage) and its "lost" form: an empty form names no reason
    # The staff's preview of the member's own page (nothing recorded): as the card
    ("members.page_preview", "GET"):              (302, 200, 200, 200, 404, 404),
    ("members.lead_panel", "GET"):                (302, 200, 200, 200, 404, 404),
    ("members.mark_lost", "POST"):                (302, 422, 422, 422, 404, 404),
    # --- the lead list (leads.py): desk and managers; a lead cycle of club A is not found for club B. Empty forms
    # name no outcome or reason (422); an empty assignment is "nobody", as it already is (back to the list). The
    # merge of two records is the manager's (club B's manager: their own club's page, naming no row)
    ("leads.index", "GET"):                       (302, 200, 200, 200, 200, 200),
    ("leads.outcome", "POST"):                    (302, 422, 422, 422, 404, 404),
    ("leads.lost", "POST"):                       (302, 422, 422, 422, 404, 404),
    ("leads.assign", "POST"):                     (302, 302, 302, 302, 404, 404),
    ("leads.merge_form", "GET"):                  (302, 403, 200, 200, 403, 200),
    ("leads.merge_form", "POST"):                 (302, 403, 422, 422, 403, 422),
    # --- sales on the card (sales.py): cancel and grant are the manager's
    ("sales.sell", "POST"):                       (302, 422, 422, 422, 404, 404),
    ("sales.sell_package", "POST"):               (302, 422, 422, 422, 404, 404),
    ("sales.freeze", "POST"):                     (302, 422, 422, 422, 404, 404),
    ("sales.end_freeze", "POST"):                 (302, 302, 302, 302, 404, 404),
    ("sales.cancel", "POST"):                     (302, 403, 422, 422, 403, 404),
    ("sales.redeem", "POST"):                     (302, 422, 422, 422, 404, 404),
    ("sales.grant", "POST"):                      (302, 403, 422, 422, 403, 404),
    ("sales.back_sell", "GET"):                   (302, 302, 302, 302, 302, 302),
    ("sales.back_packages_sell", "GET"):          (302, 302, 302, 302, 302, 302),
    ("sales.back_freeze", "GET"):                 (302, 302, 302, 302, 302, 302),
    ("sales.back_cancel", "GET"):                 (302, 302, 302, 302, 302, 302),
    ("sales.back_packages_redeem", "GET"):        (302, 302, 302, 302, 302, 302),
    ("sales.back_packages_grant", "GET"):         (302, 302, 302, 302, 302, 302),
    # --- sessions (sessions.py): scheduling, cancelling and the trainers' page are the manager's
    ("sessions.index", "GET"):                    (302, 200, 200, 200, 200, 200),
    ("sessions.show", "GET"):                     (302, 200, 200, 200, 404, 404),
    ("sessions.find", "GET"):                     (302, 200, 200, 200, 404, 404),
    ("sessions.book", "POST"):                    (302, 422, 422, 422, 404, 404),
    ("sessions.cancel_booking", "POST"):          (302, 302, 302, 302, 404, 404),
    ("sessions.attend", "POST"):                  (302, 302, 302, 302, 404, 404),
    ("sessions.cancel", "POST"):                  (302, 403, 302, 302, 403, 404),
    ("sessions.new", "GET"):                      (302, 403, 200, 200, 403, 200),
    ("sessions.edit", "GET"):                     (302, 403, 200, 200, 403, 404),
    # 409: sessions.cancel (walked before it, by path) has cancelled the session; tests/test_session_changes.py
    ("sessions.edit", "POST"):                    (302, 403, 409, 409, 403, 404),
    ("sessions.new", "POST"):                     (302, 403, 422, 422, 403, 422),
    ("sessions.trainers", "GET"):                 (302, 403, 200, 200, 403, 200),
    # --- the Today list (tasks.py)
    ("tasks.index", "GET"):                       (302, 200, 200, 200, 200, 200),
    ("tasks.outcome", "POST"):                    (302, 422, 422, 422, 404, 404),
    ("tasks.back_to_list", "GET"):                (302, 302, 302, 302, 302, 302),
    ("tasks.call_outcome", "POST"):               (302, 422, 422, 422, 404, 404),
    # --- settings (settings.py): managers only
    ("settings.index", "GET"):                    (302, 403, 200, 200, 403, 200),
    ("settings.club", "POST"):                    (302, 403, 422, 422, 403, 422),
    ("settings.member_page", "POST"):             (302, 403, 422, 422, 403, 422),
    # an empty form names no time: refused on its fields (tests/test_opening_hours.py)
    ("settings.opening_hours", "POST"):           (302, 403, 422, 422, 403, 422),
    ("settings.add_plan", "POST"):                (302, 403, 422, 422, 403, 422),
    ("settings.add_service", "POST"):             (302, 403, 422, 422, 403, 422),
    ("settings.add_staff", "POST"):               (302, 403, 422, 422, 403, 422),
    ("settings.add_lost_reason", "POST"):         (302, 403, 422, 422, 403, 422),
    ("settings.plan_price", "POST"):              (302, 403, 422, 422, 403, 422),
    ("settings.sms_test", "POST"):                (302, 403, 422, 422, 403, 422),
    ("settings.toggle", "POST"):                  (302, 403, 302, 302, 403, 404),
    ("settings.toggle_staff", "POST"):            (302, 403, 302, 302, 403, 404),
    # a new password for club A's trainer (an empty form: back to the settings with the reason), the trainer flag
    ("settings.reset_staff_password", "POST"):    (302, 403, 302, 302, 403, 404),
    ("settings.set_trainer", "POST"):             (302, 403, 302, 302, 403, 404),
    # --- Settings → Clubs (clubs.py): owners only; empty forms are refused, reopening an open club changes nothing
    ("clubs.index", "GET"):                       (302, 403, 403, 200, 403, 403),
    ("clubs.add", "POST"):                        (302, 403, 403, 422, 403, 403),
    ("clubs.edit", "GET"):                        (302, 403, 403, 200, 403, 403),
    ("clubs.save", "POST"):                       (302, 403, 403, 422, 403, 403),
    ("clubs.close", "POST"):                      (302, 403, 403, 422, 403, 403),
    ("clubs.reopen", "POST"):                     (302, 403, 403, 302, 403, 403),
    # --- lifecycle settings (lifecycle.py): managers only
    ("lifecycle.index", "GET"):                   (302, 403, 200, 200, 403, 200),
    ("lifecycle.back_to_page", "GET"):            (302, 403, 302, 302, 403, 302),
    ("lifecycle.budget", "POST"):                 (302, 403, 422, 422, 403, 422),
    ("lifecycle.measurement", "POST"):            (302, 403, 422, 422, 403, 422),
    ("lifecycle.tool", "POST"):                   (302, 403, 422, 422, 403, 404),
    ("lifecycle.rule", "GET"):                    (302, 403, 200, 200, 403, 404),
    ("lifecycle.rule", "POST"):                   (302, 403, 302, 302, 403, 404),   # unchanged, as members.edit
    # --- the SMS outbox (outbox.py): managers only; the message is 'unknown', so an unconfirmed retry is 422
    ("outbox.index", "GET"):                      (302, 403, 200, 200, 403, 200),
    ("outbox.back_to_list", "GET"):               (302, 403, 302, 302, 403, 302),
    ("outbox.retry", "POST"):                     (302, 403, 422, 422, 403, 404),
    # --- reports (reports.py): managers only; club B's manager sees club B's report
    # --- data: CSV exports, a member's data as JSON, erasure (data.py): managers only
    ("data.index", "GET"):                        (302, 403, 200, 200, 403, 200),
    ("data.download", "GET"):                     (302, 403, 200, 200, 403, 200),
    ("data.member_export", "GET"):                (302, 403, 200, 200, 403, 404),
    ("data.erase", "GET"):                        (302, 403, 200, 200, 403, 404),
    ("data.erase", "POST"):                       (302, 403, 422, 422, 403, 404),
    # --- API tokens (api_tokens.py): each login manages its own (managers: their club's); another club's
    # token is "no such token" with the list again, the same answer as for an id that does not exist
    ("api_tokens.index", "GET"):                  (302, 200, 200, 200, 200, 200),
    ("api_tokens.create", "POST"):                (302, 201, 201, 201, 201, 201),
    ("api_tokens.revoke", "POST"):                (302, 302, 302, 302, 302, 302),
    # --- the JSON API (api/): a bearer token, no cookie; 401 without one; JSON {} bodies. The owner works in
    # no club of its own and names none, so with two clubs it is asked which (422 club_id).
    ("api.openapi", "GET"):                       (200, 200, 200, 200, 200, 200),
    ("api.create_lead", "POST"):                  (401, 422, 422, 422, 422, 422),
    ("api.create_checkin", "POST"):               (401, 422, 422, 422, 422, 422),
    ("api.get_member", "GET"):                    (401, 200, 200, 200, 404, 404),
    ("api.search_members", "GET"):                (401, 422, 422, 422, 422, 422),   # no q: 422 on q
    ("api.renewals", "GET"):                      (401, 403, 200, 422, 403, 200),
    # --- member import (imports.py): managers only; a finished job of club A (an update of it redirects to it)
    ("imports.index", "GET"):                     (302, 403, 200, 200, 403, 200),
    ("imports.index", "POST"):                    (302, 403, 422, 422, 403, 422),
    ("imports.show", "GET"):                      (302, 403, 200, 200, 403, 404),
    ("imports.update", "POST"):                   (302, 403, 302, 302, 403, 404),
    ("imports.status", "GET"):                    (302, 403, 200, 200, 403, 404),
    ("imports.download_report", "GET"):           (302, 403, 200, 200, 403, 404),
    ("reports.index", "GET"):                     (302, 403, 302, 302, 403, 302),
    ("reports.page", "GET"):                      (302, 403, 200, 200, 403, 200),
    ("reports.overrides_page", "GET"):            (302, 403, 200, 200, 403, 200),
    ("reports.download", "GET"):                  (302, 403, 200, 200, 403, 200),
    # leads by source, counted when asked (no stored figures): managers and owners, each their own club's
    ("reports.lead_sources_page", "GET"):         (302, 403, 200, 200, 403, 200),
    ("reports.lead_sources_csv", "GET"):          (302, 403, 200, 200, 403, 200),
    # "recompute now": a manager asks the worker (club B's manager asks for their own club: the URL names no row)
    ("reports.recompute", "POST"):                (302, 403, 302, 302, 403, 302),
    # --- Twilio's webhooks (twilio_hooks.py): an unsigned request is refused, whoever sends it
    ("twilio_hooks.status", "POST"):              (403, 403, 403, 403, 403, 403),
    ("twilio_hooks.inbound", "POST"):             (403, 403, 403, 403, 403, 403),
    # --- the member page (member_page.py): no login, the token in the URL is the key. With a member's valid token
    # everyone gets the page (a logged-in staff member who opens a link sees what the member sees); an empty POST
    # is refused on the page (a flashed message, 302 back to it). Without a valid token: 404 for all (below).
    ("member_page.page", "GET"):                  (200, 200, 200, 200, 200, 200),
    ("member_page.viewed", "POST"):               (204, 204, 204, 204, 204, 204),
    ("member_page.book", "POST"):                 (302, 302, 302, 302, 302, 302),
    ("member_page.cancel", "POST"):               (302, 302, 302, 302, 302, 302),
    ("member_page.renewal", "POST"):              (302, 302, 302, 302, 302, 302),
    ("member_page.sms", "POST"):                  (302, 302, 302, 302, 302, 302),
    ("member_page.language", "POST"):             (302, 302, 302, 302, 302, 302),
    # --- the API (/api/v1/...): rows are added here as endpoints appear. Each identity asks with its own
    # bearer token and no cookie, anonymous with none (401); club B's tokens asking club A's ids get 404.
    # A POST/PUT/PATCH carries JSON {} (201/422...). Ids come from build_data's args (or ARG_ALIASES).
}


def build_data(make) -> dict:
    """Club A with one of everything a URL can name, club B with its own staff and member; return the
    staff by identity and the URL arguments (club A's ids)."""
    club_a = make.default_club          # created first: the owner works in it
    desk, manager = make.staff("desk"), make.staff("manager")
    owner = make.staff("owner")
    trainer = make.staff("desk", name="Tina Trainer", is_trainer=True)
    member = make.member(first_name="Alice", last_name="Avenue")
    lead = make.member(first_name="Lena", last_name="Lead")     # an open lead cycle for the lead list's routes
    plan = make.plan()
    service = make.service()
    membership = make.membership(member, plan=plan, staff=desk)
    with unit_of_work():
        sales.sell_package(desk, member, service.id, TODAY)
        checkin.check_in(desk, member)
        entry = sales.freeze(desk, member, membership.id, TODAY + timedelta(days=20), TODAY + timedelta(days=27),
                             TODAY)
        start = datetime(TODAY.year, TODAY.month, TODAY.day, 18, tzinfo=ZoneInfo(club_a.timezone))  # tonight
        session = sessions.schedule(manager, club_a, {
            "kind": "class", "title": "Yoga", "activity": "Yoga", "starts_at": start,
            "ends_at": start + timedelta(hours=1), "capacity": 10, "trainer_id": trainer.id})
        booking = sessions.book(desk, session, member)
        rule = next(r for r in engine.club_rules(club_a) if r.key == "no_first_visit")
        touchpoint = Touchpoint(club_id=club_a.id, member_id=member.id, membership_id=membership.id,
                                tool_id=rule.tool_id, rule_id=rule.id, stage="adaptation", channel="task",
                                status="planned", task_kind="call_back", due_on=TODAY)
        # 'unknown': a retry without the manager's confirmation is refused the same way every time.
        message = Message(club_id=club_a.id, member_id=member.id, idempotency_key="matrix:1", to_phone=member.phone,
                          body="Hello from the club", locale="en", encoding="GSM-7", segments=1, status="unknown",
                          due_at=NOW, created_at=NOW)
        call = DeskCall(club_id=club_a.id, member_id=member.id, session_id=session.id, reason="session_moved",
                        due_on=TODAY)
        db.session.add_all([touchpoint, message, call])
        # The member page's own session and booking (a member cancelling there must not change the rows above).
        page_session = sessions.schedule(manager, club_a, {
            "kind": "class", "title": "Pilates", "activity": "Pilates", "starts_at": start + timedelta(days=2),
            "ends_at": start + timedelta(days=2, hours=1), "capacity": 10, "trainer_id": trainer.id})
        page_booking = sessions.book(desk, sessions.schedule(manager, club_a, {
            "kind": "class", "title": "Spin", "activity": "Spin", "starts_at": start + timedelta(days=3),
            "ends_at": start + timedelta(days=3, hours=1), "capacity": 10, "trainer_id": trainer.id}), member)
        db.session.flush()
        token = member_links.mint(message)
    club_b = make.club(name="Other Club")
    desk_other, manager_other = make.staff("desk", club=club_b), make.staff("manager", club=club_b)
    make.member(club=club_b, first_name="Bob", last_name="Other")
    with unit_of_work():   # a token of club A's desk for the revoke route (the identities keep theirs)
        spare_token = ApiToken(staff_id=desk.id, token_hash="0" * 64, prefix="ccrm_spare", label="spare")
        job = ImportJob(club_id=club_a.id, staff_id=manager.id, filename="members.csv", status="done", mode="all",
                        total_rows=1, processed_rows=1, imported_rows=1, report=[],
                        mapping={"headers": ["Name"], "fields": ["full_name"], "encoding": "utf-8",
                                 "delimiter": ","})
        db.session.add_all([spare_token, job])
        spare_login = login_sessions.hash_token(login_sessions.start(desk, "spare browser", "192.0.2.1"))
    spare_login_id = db.session.scalar(select(LoginSession.id).where(LoginSession.token_hash == spare_login))
    staff = {"desk": desk, "manager": manager, "owner": owner, "desk_other": desk_other,
             "manager_other": manager_other}
    args = {
        "member_id": member.id, "session_id": session.id, "booking_id": booking.id,
        "touchpoint_id": touchpoint.id, "call_id": call.id, "message_id": message.id, "freeze_id": entry.id,
        "tool_id": rule.tool_id, "rule_id": rule.id, "kind": "plans", "item_id": plan.id, "active": 1,
        "export_kind": "visits", "token_id": spare_token.id, "job_id": job.id,
        "name": "renewals", "table": "renewals", "lead_table": "sources", "login_session_id": spare_login_id,
        "staff_id": trainer.id, "trainer": 1, "club_id": club_a.id, "item": "plans",
        # The API's ids (plan_id, service_id, ...) go here as its routes appear.
        "plan_id": plan.id, "service_id": service.id, "membership_id": membership.id,
        "form_name": "cancel",   # the member card's form fragments: the manager's one
        "token": token, "page_session_id": page_session.id, "page_booking_id": page_booking.id,
        "cycle_id": db.session.scalar(select(LeadCycle.id).where(LeadCycle.member_id == lead.id)),
    }
    compute_all()   # the report pages and the API read the figures the worker stored (without: "being computed")
    return {"staff": staff, "args": args}


def api_token(staff) -> str:
    """Give STAFF an API token (hashed as the API stores it) and return the token."""
    token = "ccrm_" + secrets.token_urlsafe(32)
    with unit_of_work():
        db.session.add(ApiToken(staff_id=staff.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                prefix=token[:12], label="access matrix"))
    return token


class Identity:
    """One kind of login: a test client with its session cookie for the pages, and a cookie-less client
    with a bearer token for the API (it must not lean on a login made through the pages)."""

    def __init__(self, app, name: str, staff) -> None:
        self.name, self.staff = name, staff
        self.web, self.api = Web(app.test_client()), Web(app.test_client())
        self.token = api_token(staff) if staff else None
        self.login()

    def login(self) -> None:
        if self.staff is None:
            return
        response = self.web.post("/login", data={"email": self.staff.email, "password": PASSWORD})
        assert response.status_code == 302, (self.name, response.status_code)

    def ask(self, method: str, url: str):
        """Make the request as this identity, with an empty form (JSON {} under /api/v1), redirects not followed."""
        has_body = method in ("POST", "PUT", "PATCH", "DELETE")
        if url.startswith(API_PREFIX + "/") or url == API_PREFIX:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            return self.api.open(method, url, headers=headers, follow_redirects=False,
                                 **({"json": {}} if has_body else {}))
        return self.web.open(method, url, follow_redirects=False, **({"data": {}} if has_body else {}))


# Where a route names an id by another name than build_data's args do ((endpoint, argument) -> args' name),
# e.g. an API route /api/v1/members/<id:id>: ("api.member", "id"): "member_id".
ARG_ALIASES: dict[tuple[str, str], str] = {("data.download", "kind"): "export_kind",
                                           ("reports.lead_sources_csv", "table"): "lead_table",
                                           ("member_page.book", "session_id"): "page_session_id",
                                           ("member_page.cancel", "booking_id"): "page_booking_id"}


def url_for_rule(rule, args: dict) -> str:
    """Fill RULE's arguments from ARGS (club A's ids); an argument the test does not know fails loudly."""
    names = {arg: ARG_ALIASES.get((rule.endpoint, arg), arg) for arg in rule.arguments}
    unknown = sorted(arg for arg, name in names.items() if name not in args)
    assert not unknown, (f"{rule.rule} ({rule.endpoint}) takes {unknown}: add club A's value to build_data's args "
                         f"(or an ARG_ALIASES entry)")
    return rule.build({arg: args[name] for arg, name in names.items()}, append_unknown=False)[1]


def walk(app) -> list[tuple[str, str, object]]:
    """Every (endpoint, method, rule) the app answers, but static files, HEAD and OPTIONS."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def test_every_route_answers_every_identity_as_the_table_says(app, make):
    data = build_data(make)
    identities = [Identity(app, name, data["staff"].get(name)) for name in IDENTITIES]
    routes = walk(app)
    mismatches = []
    seen = {(endpoint, method) for endpoint, method, _rule in routes}
    for key in sorted(seen - TABLE.keys()):
        mismatches.append(f"{key[0]} {key[1]}: not in the table (add the row with its expected statuses)")
    for key in sorted(TABLE.keys() - seen):
        mismatches.append(f"{key[0]} {key[1]}: in the table but no such route (remove the row)")
    for endpoint, method, rule in routes:
        expected = TABLE.get((endpoint, method))
        if expected is None:
            continue
        url = url_for_rule(rule, data["args"])
        for identity, want in zip(identities, expected, strict=True):
            response = identity.ask(method, url)
            got = response.status_code
            where = f"{method} {url} ({endpoint}) as {identity.name}"
            if got >= 500:
                mismatches.append(f"{where}: expected {want}, got {got} (a server error)")
            elif got != want:
                mismatches.append(f"{where}: expected {want}, got {got}")
            elif (identity.staff is None and got == 302 and endpoint not in OPEN_ENDPOINTS
                  and urlsplit(response.headers["Location"]).path != "/login"):
                mismatches.append(f"{where}: expected a redirect to /login, got one to {response.headers['Location']}")
            if endpoint in LOGS_OUT:
                identity.login()
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


def test_member_pages_open_for_a_valid_token_only(app, make):
    """Anonymous or logged in, a member page route with a token that opens nothing is 404 for everyone."""
    data = build_data(make)
    identities = [Identity(app, name, data["staff"].get(name)) for name in IDENTITIES]
    args = {**data["args"], "token": member_links.new_token()}
    app.config["MEMBER_PAGE_MISSES_PER_MINUTE"] = 1000
    mismatches = []
    for endpoint, method, rule in walk(app):
        if endpoint.startswith("member_page."):
            url = url_for_rule(rule, args)
            for identity in identities:
                got = identity.ask(method, url).status_code
                if got != 404:
                    mismatches.append(f"{method} {url} as {identity.name}: expected 404, got {got}")
    assert not mismatches, "\n".join(mismatches)


def test_the_table_covers_six_identities_and_only_known_statuses():
    allowed = {200, 201, 204, 302, 400, 401, 403, 404, 409, 422}
    for key, statuses in TABLE.items():
        assert len(statuses) == len(IDENTITIES), key
        assert set(statuses) <= allowed, key


# A chain member of club A (a plan valid in every club of the chain), asked for by club B's desk and manager:
# the guest view and its check-in open (the desk needs them), and every other page that loads a member by id —
# the card, notes and details (edit), contacts, SMS, sales, packages, freezes, the GDPR export and erasure, the
# API's member — stays "not found", exactly as for a home-only member. A route that loads a member by id fails
# this test until it has a row. (endpoint, method) -> (desk_other, manager_other).
CHAIN_TABLE: dict[tuple[str, str], tuple[int, int]] = {
    ("desk.guest", "GET"):                        (200, 200),
    ("desk.guest_check_in", "POST"):              (302, 302),
    ("members.card", "GET"):                      (404, 404),
    ("members.edit", "GET"):                      (404, 404),
    ("members.edit", "POST"):                     (404, 404),
    ("members.check_in", "POST"):                 (404, 404),
    ("members.log_contact", "POST"):              (404, 404),
    ("members.send_sms", "POST"):                 (404, 404),
    ("members.let_in", "POST"):                   (404, 404),
    ("members.cancel_sms", "POST"):               (404, 404),
    ("photos.upload", "POST"):                    (404, 404),
    ("photos.delete", "POST"):                    (404, 404),
    ("photos.show", "GET"):                       (404, 404),
    ("members.back_from_contact", "GET"):         (302, 302),   # to the card, which is 404
    ("members.back_from_sms", "GET"):             (302, 302),
    ("members.audit_panel", "GET"):               (404, 404),
    ("members.bookings_panel", "GET"):            (404, 404),
    ("members.messages_panel", "GET"):            (404, 404),
    ("members.consent_panel", "GET"):             (404, 404),
    ("members.form", "GET"):                      (403, 404),
    ("members.lead_panel", "GET"):                (404, 404),
    ("members.page_preview", "GET"):              (404, 404),
    ("members.mark_lost", "POST"):                (404, 404),
    ("sales.sell", "POST"):                       (404, 404),
    ("sales.sell_package", "POST"):               (404, 404),
    ("sales.freeze", "POST"):                     (404, 404),
    ("sales.end_freeze", "POST"):                 (404, 404),
    ("sales.cancel", "POST"):                     (403, 404),
    ("sales.redeem", "POST"):                     (404, 404),
    ("sales.grant", "POST"):                      (403, 404),
    ("sales.back_sell", "GET"):                   (302, 302),
    ("sales.back_packages_sell", "GET"):          (302, 302),
    ("sales.back_freeze", "GET"):                 (302, 302),
    ("sales.back_cancel", "GET"):                 (302, 302),
    ("sales.back_packages_redeem", "GET"):        (302, 302),
    ("sales.back_packages_grant", "GET"):         (302, 302),
    ("data.member_export", "GET"):                (403, 404),
    ("data.erase", "GET"):                        (403, 404),
    ("data.erase", "POST"):                       (403, 404),
    ("api.get_member", "GET"):                    (404, 404),
}


def test_another_clubs_chain_member_opens_only_the_guest_view(app, make):
    data = build_data(make)
    club_a = make.default_club
    carla = make.member(first_name="Carla", last_name="Chain", notes="Knee surgery in May",
                        email="carla.chain@example.org")
    make.membership(carla, plan=make.plan(club=club_a, chain_wide=True))
    args = {**data["args"], "member_id": carla.id}
    identities = [Identity(app, name, data["staff"][name]) for name in ("desk_other", "manager_other")]
    routes = [(endpoint, method, rule) for endpoint, method, rule in walk(app) if "member_id" in rule.arguments]
    mismatches = [f"{endpoint} {method}: not in CHAIN_TABLE" for endpoint, method, _rule in routes
                  if (endpoint, method) not in CHAIN_TABLE]
    mismatches += [f"{key}: in CHAIN_TABLE but no such route" for key in
                   CHAIN_TABLE.keys() - {(endpoint, method) for endpoint, method, _rule in routes}]
    for endpoint, method, rule in routes:
        for identity, want in zip(identities, CHAIN_TABLE.get((endpoint, method), ()), strict=False):
            response = identity.ask(method, url_for_rule(rule, args))
            page = response.get_data(as_text=True)
            if response.status_code != want:
                mismatches.append(f"{method} {rule.rule} as {identity.name}: expected {want}, got "
                                  f"{response.status_code}")
            elif response.status_code == 302 and endpoint != "desk.guest_check_in" and urlsplit(
                    response.headers["Location"]).path != f"/members/{carla.id}":
                mismatches.append(f"{method} {rule.rule} as {identity.name}: redirected elsewhere than the card")
            # Whatever opens shows nothing of the member's contacts or notes.
            if any(secret in page for secret in (carla.phone, carla.phone[4:], "Knee surgery", carla.email)):
                mismatches.append(f"{method} {rule.rule} as {identity.name}: shows the member's contacts or notes")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
