"""The staff side of the member page (issue 18): the per-tool report's opened share beside delivered, the at-risk
list's note on a renewal offer opened and not renewed, the card's "Member page" panel, and the manager's switch.

The page's own code (blueprints/member_page.py and its services) writes Touchpoint.opened_at and MemberPageEvent
rows; these tests write them directly."""
from datetime import date, timedelta

from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle.engine import club_rules
from clubcrm.models import AuditEvent, Club, ClubSession, MemberLink, MemberPageEvent, Message, Touchpoint
from clubcrm.reports import activity
from clubcrm.reports.scope import Scope
from clubcrm.reports.tools import tool_report
from clubcrm.services import gdpr
from tests.conftest import NOW, TODAY
from tests.report_snapshots import compute_all, until_computed
from tests.test_api import bearer, issue
from tests.test_member_page import count, link, member_with
from tests.test_reports_http import csv_rows, table_values

START, END = date(2026, 3, 1), date(2026, 3, 31)
QUERY = f"start={START.isoformat()}&end={END.isoformat()}"


def rules_of(club) -> dict:
    with unit_of_work():
        return {r.key: r for r in club_rules(club)}


def offer(membership, rule, *, opened: bool = False, message_status: str | None = "delivered", occurrence: int = 0,
          due_on: date = TODAY) -> Touchpoint:
    """A touchpoint of RULE for MEMBERSHIP's cycle, with its SMS in MESSAGE_STATUS (None: no SMS); OPENED: the
    member opened their page from its link."""
    with unit_of_work():
        point = Touchpoint(club_id=membership.club_id, member_id=membership.member_id, membership_id=membership.id,
                           tool_id=rule.tool_id, rule_id=rule.id, occurrence=occurrence, stage="pre_renewal",
                           channel=rule.channel, status="sent" if message_status else "planned", due_on=due_on,
                           facts={}, opened_at=NOW - timedelta(hours=1) if opened else None)
        db.session.add(point)
        db.session.flush()
        if message_status:
            db.session.add(Message(club_id=membership.club_id, member_id=membership.member_id,
                                   touchpoint_id=point.id, idempotency_key=f"offer:{point.id}", to_phone="+358401",
                                   body="Renew?", locale="en", encoding="GSM-7", segments=1, status=message_status,
                                   due_at=NOW - timedelta(days=1), sent_at=NOW - timedelta(days=1)))
    return point


def members_with_memberships(make, n: int, days_before: int = 20, days: int = 26) -> list:
    """N members each with a membership that began DAYS_BEFORE days before TODAY and lasts DAYS days."""
    plan = make.plan(name="Month", duration_days=days)
    started = TODAY - timedelta(days=days_before)
    return [make.membership(make.member(), plan, today=started, starts_on=started) for _ in range(n)]


# --- the per-tool report -----------------------------------------------------------------------------------------


def test_the_per_tool_report_counts_the_delivered_sms_whose_link_was_opened(make, web, login_as):
    club = make.default_club
    rule = rules_of(club)["renewal_45"]
    ms = members_with_memberships(make, 6)
    # Four delivered, one of them opened; one sent but not delivered (opened: not a delivered one); one opened
    # touchpoint whose SMS never went (counts nothing).
    offer(ms[0], rule, opened=True)
    for m in ms[1:4]:
        offer(m, rule)
    offer(ms[4], rule, opened=True, message_status="undelivered")
    offer(ms[5], rule, opened=True, message_status=None)
    report = tool_report(Scope((club.id,), START, END, TODAY))
    item = {t.tool: t for t in report.tools}["renewal_offer"]
    assert (item.sent, item.delivered, item.opened) == (5, 4, 1)
    assert item.opened_share == 0.25
    silent = {t.tool: t for t in report.tools}["birthday"]
    assert (silent.delivered, silent.opened, silent.opened_share) == (0, 0, None)

    # The page's activity table and its CSV show them beside delivered (from the worker's stored table).
    login_as("manager")
    compute_all()
    page = until_computed(web.get, f"/reports/renewals?{QUERY}")
    assert page.status_code == 200
    header = page.text.split('data-table="activity"', 1)[1].split("<tbody>", 1)[0]
    assert header.index("Delivered") < header.index("Link opened") < header.index("Opened of delivered, %")
    rows = {row[0]: row for row in table_values(page.text, "activity")}
    assert rows["Renewal offer"][1:5] == ["5", "4", "1", "0.25"]
    assert rows["Birthday greeting"][2:5] == ["0", "0", ""]
    assert "25.0%" in page.text.split('data-table="activity"', 1)[1].split("</table>", 1)[0]
    lines = csv_rows(until_computed(web.get, f"/reports/renewals/activity.csv?{QUERY}"))
    assert lines[0][:5] == ["Tool", "SMS sent", "Delivered", "Link opened", "Opened of delivered, %"]
    assert [line for line in lines if line[0] == "Renewal offer"][0][1:5] == ["5", "4", "1", "0.25"]
    # The API's tools table gives the count too (the programme's line: all its tools' together).
    answer = until_computed(web.get, f"/api/v1/reports/renewals?from={START}&to={END}",
                            headers=bearer(issue(make.staff("manager")))).json
    renewal = next(t for t in answer["tools"] if t["key"] == "renewal_offer")
    assert (renewal["sms_delivered"], renewal["sms_opened"]) == (4, 1)
    assert answer["programme"]["sms_opened"] == 1


def test_a_table_stored_before_the_opened_counts_reads_as_none_opened(make):
    """A per-tool table the worker stored before this change has no opened count: read back, it says 0 opened of
    what was delivered, not an error (the nightly recompute fills it)."""
    from clubcrm.reports.tool_tables import from_json, to_json
    club = make.default_club
    data = to_json(tool_report(Scope((club.id,), START, END, TODAY)))
    for item in data["tools"]:
        del item["opened"]
    back = from_json(data)
    assert all(t.opened == 0 for t in back.tools)


# --- the at-risk list --------------------------------------------------------------------------------------------


def test_the_at_risk_list_says_opened_the_renewal_offer_did_not_renew_only_where_true(make, web, login_as):
    club = make.default_club
    rules = rules_of(club)
    unopened, opened, renewed = members_with_memberships(make, 3)
    # No visit in the 20 days since they joined; their month ends in 6 days.
    offer(opened, rules["renewal_45"], opened=True)
    offer(opened, rules["renewal_14"], occurrence=0)   # a second, unopened offer changes nothing
    offer(unopened, rules["renewal_45"])
    offer(renewed, rules["renewal_45"], opened=True)
    make.membership(renewed.member, renewed.plan, today=TODAY)   # a renewal sold: nothing to say
    # An offer opened in an earlier cycle is not this cycle's.
    old_plan = make.plan(name="Old", duration_days=30)
    before = TODAY - timedelta(days=200)
    old = make.membership(make.member(), old_plan, today=before, starts_on=before)
    offer(old, rules["renewal_45"], opened=True, due_on=before + timedelta(days=10))
    now_cycle = make.membership(old.member, make.plan(name="Current", duration_days=26),
                                today=TODAY - timedelta(days=20), starts_on=TODAY - timedelta(days=20))
    offer(now_cycle, rules["renewal_45"])

    found = {r.member_id: r.reasons for r in activity.at_risk(Scope((club.id,), START, END, TODAY))}
    # New members who have not come (their first month), silent, ending unrenewed; then the note.
    assert found[opened.member_id] == ("no_visit_14", "ending_unrenewed", "new_no_visits", "offer_opened")
    assert found[unopened.member_id] == ("no_visit_14", "ending_unrenewed", "new_no_visits")
    assert found[renewed.member_id] == ("no_visit_14", "new_no_visits")
    assert "offer_opened" not in found[old.member_id]
    # The note ranks nobody: with the same reasons and end, the unopened member (the lower id) stays first.
    order = [r.member_id for r in activity.at_risk(Scope((club.id,), START, END, TODAY))]
    assert order.index(unopened.member_id) < order.index(opened.member_id)

    login_as("manager")
    compute_all()
    page = until_computed(web.get, f"/reports/club?{QUERY}")
    risk = page.text.split('data-table="at_risk"', 1)[1].split("</table>", 1)[0]
    rows = [row for row in risk.split("</tr>") if "<td" in row]
    noted = [row for row in rows if "opened the renewal offer, did not renew" in row]
    assert len(noted) == 1 and f"/members/{opened.member_id}" in noted[0]
    lines = csv_rows(until_computed(web.get, f"/reports/club/at_risk.csv?{QUERY}"))
    codes = lines[0].index("Why (codes)")
    assert sorted(line[codes] for line in lines[1:] if "offer_opened" in line[codes]) == [
        "no_visit_14 ending_unrenewed new_no_visits offer_opened"]


# --- the member card ---------------------------------------------------------------------------------------------


def test_the_card_shows_the_members_page_activity_and_which_links_were_opened(make, web, login_as):
    club = make.default_club
    rules = rules_of(club)
    membership = members_with_memberships(make, 1)[0]
    point = offer(membership, rules["renewal_45"], opened=True)
    quiet = offer(membership, rules["renewal_14"])
    with unit_of_work():
        yoga = ClubSession(club_id=club.id, kind="class", title="Morning Yoga", capacity=10,
                           starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=2, hours=1))
        db.session.add(yoga)
        db.session.flush()
        for minutes, kind, session_id in ((50, "opened", None), (40, "booked", yoga.id), (30, "call_me", None),
                                          (20, "sms_stop", None)):
            db.session.add(MemberPageEvent(club_id=club.id, member_id=membership.member_id, touchpoint_id=point.id,
                                           kind=kind, session_id=session_id,
                                           created_at=NOW - timedelta(minutes=minutes)))
        db.session.get(Touchpoint, point.id).answer = "call_me"
    other = make.member(first_name="Never", last_name="Opened")
    login_as("desk")
    page = web.get(f"/members/{membership.member_id}").text
    panel = page.split('id="member-page"', 1)[1].split("</section>", 1)[0]
    kinds = [k.split('"', 1)[0] for k in panel.split('data-kind="')[1:]]
    assert kinds == ["sms_stop", "call_me", "booked", "opened"]   # newest first
    assert "Booked Morning Yoga" in panel and "Asked for a call about renewing" in panel
    assert "Stopped SMS" in panel and "Opened their page" in panel and "from the text of Renewal offer" in panel
    opened_row = page.split(f'id="touchpoint-{point.id}"', 1)[1].split("</tr>", 1)[0]
    quiet_row = page.split(f'id="touchpoint-{quiet.id}"', 1)[1].split("</tr>", 1)[0]
    assert "link opened" in opened_row and "asked for a call" in opened_row
    assert "link opened" not in quiet_row
    empty = web.get(f"/members/{other.id}").text.split('id="member-page"', 1)[1].split("</section>", 1)[0]
    assert "has not used their page yet" in empty and "data-kind" not in empty


def test_the_card_lists_the_last_ten_page_events(make, web, login_as):
    member = make.member()
    with unit_of_work():
        for n in range(14):
            db.session.add(MemberPageEvent(club_id=member.club_id, member_id=member.id, kind="opened",
                                           created_at=NOW - timedelta(hours=n)))
    login_as("desk")
    panel = web.get(f"/members/{member.id}").text.split('id="member-page"', 1)[1].split("</section>", 1)[0]
    assert panel.count('data-kind="opened"') == 10


# --- the staff's preview of the page ----------------------------------------------------------------------------


def test_staff_see_the_members_page_of_their_latest_link_in_the_members_language_and_nothing_is_recorded(
        make, web, login_as):
    member = member_with(make, first_name="Greta", locale="de")
    link(member, tool_key="renewal_offer")
    links_before = count(MemberLink)
    login_as("desk")
    card = web.get(f"/members/{member.id}").text
    assert f'href="/members/{member.id}/member-page" id="member-page-preview"' in card
    page = web.get(f"/members/{member.id}/member-page")
    assert page.status_code == 200
    text = page.text
    assert '<html lang="de">' in text and "Greta" in text and "Gold Year" in text
    assert 'id="renewal"' in text                           # the latest link came with a renewal offer
    assert 'id="preview-note"' in text and "<fieldset disabled" in text   # every button inside is disabled
    assert "Preview for staff" in text and "Verlängerung" in text   # the note in the staff's language, the page in hers
    assert text.index("<fieldset disabled") < text.index("<form") and text.rindex("</form>") < text.index(
        "</fieldset>")
    assert "member_page.js" not in text and "data-viewed" not in text   # no open is counted
    assert count(MemberPageEvent) == 0 and count(MemberLink) == links_before
    assert db.session.scalar(select(Touchpoint.opened_at).where(Touchpoint.member_id == member.id)) is None


def test_a_member_never_sent_a_link_previews_as_the_page_of_no_message_and_an_erased_one_not_at_all(
        make, web, login_as):
    member = member_with(make, first_name="Nils")
    login_as("manager")
    page = web.get(f"/members/{member.id}/member-page")
    assert page.status_code == 200 and "Nils" in page.text and 'id="renewal"' not in page.text
    with unit_of_work():
        gdpr.erase(make.staff("manager"), db.session.get(type(member), member.id), "ERASE")
    assert web.get(f"/members/{member.id}/member-page").status_code == 404
    assert "member-page-preview" not in web.get(f"/members/{member.id}").text


# --- the manager's switch ----------------------------------------------------------------------------------------


def club_now(club) -> Club:
    db.session.expire_all()
    return db.session.get(Club, club.id)


def test_a_manager_switches_the_member_page_and_sets_the_cancel_deadline(make, web, login_as):
    club = make.default_club
    manager = login_as("manager")
    page = web.get("/settings/")
    section = page.text.split('id="member-page"', 1)[1].split("</section>", 1)[0]
    assert "texts go without their link sentence" in section and "stop working" in section
    assert 'name="member_page_enabled"' in section and 'checked' in section and 'value="120"' in section
    saved = web.post("/settings/member-page", {"booking_cancel_minutes": "30"})   # the box unticked: off
    assert saved.status_code == 302
    assert (club_now(club).member_page_enabled, club_now(club).booking_cancel_minutes) == (False, 30)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "club", AuditEvent.entity_id == club.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert event.staff_id == manager.id and event.action == "update"
    assert event.before == {"member_page_enabled": True, "booking_cancel_minutes": 120}
    assert event.after == {"member_page_enabled": False, "booking_cancel_minutes": 30}
    assert web.post("/settings/member-page", {"member_page_enabled": "y", "booking_cancel_minutes": "0"}
                    ).status_code == 302
    assert (club_now(club).member_page_enabled, club_now(club).booking_cancel_minutes) == (True, 0)


def test_bad_minutes_are_refused_naming_the_field_and_change_nothing(make, web, login_as):
    club = make.default_club
    login_as("manager")
    for bad in ("10081", "-1", "abc", "", "1.5"):
        refused = web.post("/settings/member-page", {"booking_cancel_minutes": bad})
        assert refused.status_code == 422, bad
        assert 'data-field="booking_cancel_minutes"' in refused.text, bad
        assert "whole number of minutes from 0 to 10080" in refused.text, bad
        assert (club_now(club).member_page_enabled, club_now(club).booking_cancel_minutes) == (True, 120)
    assert web.post("/settings/member-page", {"member_page_enabled": "y", "booking_cancel_minutes": "10080"}
                    ).status_code == 302
    assert club_now(club).booking_cancel_minutes == 10080


def test_the_service_refuses_bad_minutes_itself(make):
    from clubcrm.errors import InvalidInput
    from clubcrm.services import settings
    club, staff = make.default_club, make.staff("manager")
    for bad in (None, "30", True, 10081, -5, 1.0):
        try:
            with unit_of_work():
                settings.update_member_page(staff, db.session.get(Club, club.id),
                                            {"member_page_enabled": False, "booking_cancel_minutes": bad})
        except InvalidInput as error:
            assert error.field == "booking_cancel_minutes"
        else:
            raise AssertionError(bad)
    assert club_now(club).member_page_enabled is True


def test_desk_staff_cannot_change_it(make, web, login_as):
    club = make.default_club
    login_as("desk")
    assert web.post("/settings/member-page", {"booking_cancel_minutes": "30"}).status_code == 403
    assert (club_now(club).member_page_enabled, club_now(club).booking_cancel_minutes) == (True, 120)
    assert 'id="member-page"' not in web.get("/settings/").text


def test_an_owner_can(make, web, login_as):
    club = make.default_club
    login_as("owner")
    assert web.post("/settings/member-page", {"booking_cancel_minutes": "45"}).status_code == 302
    assert (club_now(club).member_page_enabled, club_now(club).booking_cancel_minutes) == (False, 45)
