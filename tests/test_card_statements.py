"""The member card reads a fixed number of statements, whatever the member's history holds; its audit trail, SMS
and consent history are panels, and its forms fragments, fetched when opened."""
import re
from datetime import timedelta

from sqlalchemy import delete

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import AuditEvent, ConsentEvent, Message, StaffContact, Touchpoint, Visit
from clubcrm.services import sales, tasks
from tests.conftest import NOW, TODAY
from tests.statements import statements

# The card's own statements, beyond what every staff page runs (the login session with its staff and club, the
# navigation's task count): member with memberships, balances, last visits, touchpoints with open tasks, contacts,
# the member page's activity.
CARD_BUDGET = 6


def many_rows(make, desk):
    """A member with a long history: renewals and a freeze, a used visit pack, visits here and at another club of
    the chain, packages (one of a service no longer sold), dozens of touchpoints (open tasks among them),
    messages, audit events, staff contacts and consent changes."""
    member = make.member(first_name="Long", last_name="History", sms_consent=True)
    club = member.club
    for months in (12, 9, 6, 3):
        started = TODAY - timedelta(days=30 * months)
        make.membership(member, make.plan(duration_days=30), today=started, starts_on=started)
    pack = make.membership(member, make.plan(duration_days=120, visit_limit=50), today=TODAY - timedelta(days=10),
                           starts_on=TODAY - timedelta(days=10))
    elsewhere = make.club(name="Harbour Club")
    services = [make.service(name=f"Service {n}") for n in range(3)]
    with unit_of_work():
        sales.freeze(desk, member, pack.id, TODAY + timedelta(days=30), TODAY + timedelta(days=40), TODAY)
        for service in services:
            sales.sell_package(desk, member, service.id, TODAY)
        services[0].active = False
        rules = [r for r in engine.club_rules(club) if r.channel in ("task", "sms")]
        for n in range(40):
            db.session.add(Visit(club_id=elsewhere.id if n % 7 == 0 else club.id, member_id=member.id,
                                 membership_id=pack.id, checked_in_at=NOW - timedelta(days=n, hours=2),
                                 staff_id=desk.id))
            rule = rules[n % len(rules)]
            db.session.add(Touchpoint(club_id=club.id, member_id=member.id, membership_id=pack.id,
                                      tool_id=rule.tool_id, rule_id=rule.id, occurrence=n, stage="active",
                                      channel="task" if n % 3 == 0 else "sms", status="planned" if n < 9 else "done",
                                      task_kind="call_back", due_on=TODAY - timedelta(days=n % 12)))
            db.session.add(Message(club_id=club.id, member_id=member.id, idempotency_key=f"history:{n}",
                                   to_phone=member.phone, body=f"Message {n}", locale="en", encoding="GSM-7",
                                   segments=1, status="delivered", due_at=NOW - timedelta(days=n),
                                   sent_at=NOW - timedelta(days=n), created_at=NOW - timedelta(days=n)))
            db.session.add(AuditEvent(club_id=club.id, staff_id=desk.id, member_id=member.id, action="update_member",
                                      entity="member", entity_id=member.id, after={"note": f"change {n}"},
                                      created_at=NOW - timedelta(days=n)))
            db.session.add(StaffContact(club_id=club.id, member_id=member.id, staff_id=desk.id, outcome="reached",
                                        note=f"Call {n}", created_at=NOW - timedelta(days=n)))
            db.session.add(ConsentEvent(club_id=club.id, member_id=member.id, granted=n % 2 == 0, source="desk",
                                        staff_id=desk.id, created_at=NOW - timedelta(days=n)))
    return member


def few_rows(make):
    """A member with one membership and nothing else."""
    member = make.member(first_name="Short", last_name="History")
    make.membership(member)
    return member


def counted(web, url: str) -> tuple[int, str]:
    """GET URL; return the statements it ran and the page."""
    with statements() as seen:
        page = web.get(url)
    assert page.status_code == 200, page.status_code
    return len(seen), page.text


def test_the_card_runs_the_same_few_statements_however_long_the_history(web, login_as, make):
    login_as("desk")
    few, many, lead = few_rows(make), many_rows(make, make.desk()), make.member(first_name="New", last_name="Lead")
    urls = {name: f"/members/{m.id}" for name, m in (("few", few), ("many", many), ("lead", lead))}
    db.session.commit()
    # Every staff page runs the login's own statements; /members/new reads nothing else.
    login_own, _page = counted(web, "/members/new")
    for url in urls.values():   # warm: the first request of a test process loads the lifecycle's rules, say
        web.get(url)
    found = {name: counted(web, url) for name, url in urls.items()}
    counts = {name: n for name, (n, _text) in found.items()}
    assert counts["few"] == counts["many"] == counts["lead"], counts
    assert counts["many"] <= login_own + CARD_BUDGET, (counts, login_own)
    # The long history is on the page (not skipped to save statements): capped lists, the pack's visits left, the
    # other club's name, every open task and the package of a service no longer sold.
    page = found["many"][1]
    assert len(re.findall(r'<ul class="plain" id="visits">(.*?)</ul>', page, re.S)[0].split("<li>")) == 11
    assert "at Harbour Club" in page
    assert 'id="visits-left">10 of 50<' in page
    assert len(re.findall(r'<tr id="task-\d+"', page)) == 3
    assert page.count('<tr id="touchpoint-') == 30 and page.count("Call ") == 20
    assert "Service 0" in page
    # The panels and forms are not: they are fetched when opened.
    assert "Message 0" not in page and 'id="sms-' not in page and "change 0" not in page
    assert 'data-granted' not in page and "<form method=\"post\" action=\"/members/%d/sell\"" % many.id not in page


def test_the_panels_show_the_audit_trail_sms_and_consent_history(web, login_as, make):
    login_as("desk")
    member = many_rows(make, make.desk())
    base = f"/members/{member.id}"
    db.session.commit()
    audit = web.get(f"{base}/audit?partial=1").text
    assert audit.count("<li>") == 15 and "change 0" in audit and "change 15" not in audit
    assert "<html" not in audit   # bare, for the card's script
    messages = web.get(f"{base}/messages?partial=1").text
    assert messages.count('id="sms-') == 10 and 'data-status="delivered"' in messages
    consents = web.get(f"{base}/consents?partial=1").text
    # 40 changes and the grant at registration.
    assert 'id="consent-history"' in consents and consents.count('data-granted="') == 41
    # Without the script, each opens as a page of its own with the way back to the card.
    page = web.get(f"{base}/messages").text
    assert "<html" in page and 'id="back-to-card"' in page and page.count('id="sms-') == 10


def test_the_card_links_each_panel_and_form_to_its_fragment(web, login_as, make):
    login_as("manager")
    member = many_rows(make, make.desk())
    member_id = member.id
    db.session.commit()
    page = web.get(f"/members/{member_id}").text
    slots = re.findall(r'<div class="lazy" data-src="([^"]+)"><a href="([^"]+)">', page)
    assert {src for src, _href in slots} == {f"/members/{member_id}/{path}?partial=1" for path in (
        "audit", "bookings", "messages", "consents", "forms/freeze", "forms/cancel", "forms/redeem",
        "forms/package", "forms/grant", "forms/contact", "forms/sms")}   # covered: no sale offered
    assert all(src == href + "?partial=1" for src, href in slots)
    assert 'src="/static/js/card_panels.js"' in page
    for src, _href in slots:
        assert web.get(src).status_code == 200, src


FORMS = {"sell": 'name="plan_id"', "package": 'name="service_id"', "freeze": 'name="ends_on"',
         "cancel": 'name="reason"', "redeem": 'name="redeem-units"', "grant": 'name="grant-units"',
         "contact": 'name="outcome"', "sms": 'name="body"'}


def test_each_form_is_a_fragment_with_its_choices(web, login_as, make):
    login_as("manager")
    member = make.member(sms_consent=True)
    plan = make.plan(name="Monthly")
    membership = make.membership(member, plan)
    service = make.service(name="PT")
    with unit_of_work():
        sales.sell_package(make.desk(), member, service.id, TODAY)
    db.session.commit()
    for name, shows in FORMS.items():
        fragment = web.get(f"/members/{member.id}/forms/{name}?partial=1").text
        assert shows in fragment and "<form" in fragment and "<html" not in fragment, name
        if name in ("freeze", "cancel"):
            assert f'value="{membership.id}"' in fragment, name
        if name in ("package", "grant", "redeem"):
            assert "PT" in fragment, name
    # A renewal is usually the same plan again; without the script the form is a page of its own.
    page = web.get(f"/members/{member.id}/forms/sell").text
    assert re.search(rf'<option selected value="{plan.id}">|value="{plan.id}" selected', page)
    assert "<html" in page and 'id="back-to-card"' in page
    # Its title is the member's name only (a script tag once stood inside <title>, shown as text in the tab).
    assert re.search(r"<title>([^<]*)</title>", page).group(1) == f"{member.full_name} · ClubCRM"
    assert page.count('src="/static/js/sms_counter.js') == 1


def test_desk_staff_get_no_managers_form_and_other_clubs_no_panel(web, login_as, make):
    member = make.member()
    make.membership(member)
    stranger = make.member(club=make.club(name="Elsewhere"))
    login_as("desk")
    db.session.commit()
    for name in ("cancel", "grant"):
        assert web.get(f"/members/{member.id}/forms/{name}?partial=1").status_code == 403
    assert web.get(f"/members/{member.id}/forms/nonsense").status_code == 404
    for path in ("audit", "bookings", "messages", "consents", "forms/contact"):
        assert web.get(f"/members/{stranger.id}/{path}?partial=1").status_code == 404, path


def test_the_nav_counts_open_tasks_up_to_99_then_says_so(web, login_as, make):
    login_as("desk")
    member = make.member()
    membership = make.membership(member)
    rule = next(r for r in engine.club_rules(member.club) if r.channel == "task")
    with unit_of_work():
        db.session.add_all(Touchpoint(club_id=member.club_id, member_id=member.id, membership_id=membership.id,
                                      tool_id=rule.tool_id, rule_id=rule.id, occurrence=n, stage="active",
                                      channel="task", status="planned", task_kind="call_back",
                                      due_on=TODAY - timedelta(days=n % 10)) for n in range(120))
    assert '<span class="badge count">99+</span>' in web.get("/today/").text
    # One index scan that stops at the cap, however many tasks pile up; the exact count is there for who asks.
    assert tasks.count_due(member.club_id, TODAY) == tasks.NAV_COUNT_CAP == 100
    assert tasks.count_due(member.club_id, TODAY, cap=None) == 120
    with unit_of_work():
        db.session.execute(delete(Touchpoint).where(Touchpoint.occurrence >= 3))
    assert '<span class="badge count">3</span>' in web.get("/today/").text
