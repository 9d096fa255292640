"""The lead list: open leads with stage, source, age, next planned and last contact; its filters, one-click outcomes,
lost with a reason and assignment; a constant number of statements per page."""
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.lifecycle import engine
from clubcrm.models import AuditEvent, LeadCycle, StaffContact, Touchpoint
from clubcrm.services import lead_cycles, tasks
from tests.conftest import NOW, TODAY
from tests.statements import statements
from tests.web import flashes


def cycle_of(member) -> LeadCycle:
    return db.session.scalar(select(LeadCycle).where(LeadCycle.member_id == member.id)
                             .order_by(LeadCycle.id.desc()).execution_options(populate_existing=True))


def lead_task(member, due_on=TODAY) -> Touchpoint:
    """An open call task of the member's lead cycle (as the engine's lead tools plan them)."""
    cycle = cycle_of(member)
    rule = next(r for r in engine.club_rules(member.club) if r.channel == "task")
    with unit_of_work():
        task = Touchpoint(club_id=member.club_id, member_id=member.id, lead_cycle_id=cycle.id, tool_id=rule.tool_id,
                          rule_id=rule.id, stage="lead", channel="task", status="planned", task_kind="call_back",
                          due_on=due_on, due_at=NOW + timedelta(hours=1))
        db.session.add(task)
    return task


def row(page: str, cycle_id: int) -> str:
    start = page.index(f'id="lead-{cycle_id}"')
    return page[start:page.index("</tr>", start)]


def test_the_list_shows_each_open_lead_with_stage_source_age_and_contacts(web, login_as, make):
    desk = login_as("desk")
    friend = make.member(first_name="Frida", last_name="Friend")
    clock.set_now(NOW + timedelta(days=3))
    web.post("/members/new", {"first_name": "Rita", "last_name": "Referred", "locale": "en", "source": "referral",
                              "referrer": friend.card_code})
    rita = db.session.scalar(select(LeadCycle).where(LeadCycle.referrer_member_id == friend.id)).member_id
    campaign = make.member(first_name="Carl", last_name="Campaign", source="campaign", campaign="Spring promo")
    task = lead_task(campaign)
    with unit_of_work():
        tasks.log_contact(desk, db.session.get(type(campaign), campaign.id), "reached", None)
    lost = make.member(first_name="Lost", last_name="Lead")
    with unit_of_work():
        lead_cycles.mark_lost(desk, lost, "price")
    page = web.get("/leads/")
    assert page.status_code == 200
    text = page.text
    assert 'id="nav-leads"' in text
    assert f'id="lead-{cycle_of(lost).id}"' not in text          # closed: not on the list
    frida = row(text, cycle_of(friend).id)
    assert "Frida Friend" in frida and "walk-in" in frida and "3 days" in frida and 'data-stage="new"' in frida
    assert "none planned" in frida and "not yet" in frida
    rita_row = row(text, db.session.scalar(select(LeadCycle.id).where(LeadCycle.member_id == rita)))
    assert "referral" in rita_row and "referred by Frida Friend" in rita_row and "0 days" in rita_row
    carl = row(text, cycle_of(campaign).id)
    assert "Spring promo" in carl and 'data-stage="contacted"' in carl
    assert f'/members/{campaign.id}"' in carl
    assert desk.name in carl and "reached" in carl.split('class="last-contact"')[1]
    assert "none planned" not in carl and task.id


def test_filters_by_stage_source_and_staff_and_names_a_refused_value(web, login_as, make):
    desk = login_as("desk")
    new = make.member(first_name="Nora", last_name="New")
    reached = make.member(first_name="Rafael", last_name="Reached", source="phone")
    with unit_of_work():
        tasks.log_contact(desk, reached, "reached", None)
        cycle_of(new).assigned_staff_id = desk.id
    ids = {m: cycle_of(m).id for m in (new, reached)}

    def shown(query: str) -> set:
        page = web.get("/leads/?" + query)
        assert page.status_code == 200
        return {m for m, cycle_id in ids.items() if f'id="lead-{cycle_id}"' in page.text}
    assert shown("stage=contacted") == {reached}
    assert shown("stage=new") == {new}
    assert shown("source=phone") == {reached}
    assert shown(f"staff={desk.id}") == {new}
    assert shown("staff=none") == {reached}
    refused = web.get("/leads/?stage=sold&source=tv&staff=99999")
    assert refused.status_code == 200
    assert "There is no stage “sold”" in refused.text and "There is no source “tv”" in refused.text
    assert "No staff member “99999” works here" in refused.text
    assert all(f'id="lead-{cycle_id}"' in refused.text for cycle_id in ids.values())


def test_the_page_takes_the_same_number_of_statements_for_few_and_many_leads(web, login_as, make):
    desk = login_as("desk")

    def count() -> int:
        web.get("/leads/")
        with statements() as seen:
            assert web.get("/leads/?stage=contacted").status_code == 200
        return len(seen)

    for n in range(3):
        member = make.member(first_name=f"Few{n}")
        lead_task(member)
        with unit_of_work():
            tasks.log_contact(desk, member, "reached", None)
    few = count()
    for n in range(12):
        member = make.member(first_name=f"Many{n}")
        lead_task(member)
        with unit_of_work():
            tasks.log_contact(desk, member, "reached", None)
    assert count() == few


def test_one_click_outcome_closes_the_leads_task_or_logs_a_contact(web, login_as, make):
    desk = login_as("desk")
    with_task = make.member(first_name="Tess", last_name="Task")
    task = lead_task(with_task)
    without = make.member(first_name="Wes", last_name="Without")
    response = web.post(f"/leads/{cycle_of(with_task).id}/outcome?stage=new", {"outcome": "reached"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/leads/?stage=new")
    task = db.session.get(Touchpoint, task.id, populate_existing=True)
    assert (task.status, task.outcome, task.done_by_id) == ("done", "reached", desk.id)
    contact = db.session.scalars(select(StaffContact).where(StaffContact.member_id == with_task.id)).one()
    assert contact.touchpoint_id == task.id
    response = web.post(f"/leads/{cycle_of(without).id}/outcome", {"outcome": "no_answer"}, follow_redirects=True)
    assert "Wes Without: contact logged." in flashes(response)
    contact = db.session.scalars(select(StaffContact).where(StaffContact.member_id == without.id)).one()
    assert (contact.outcome, contact.staff_id, contact.touchpoint_id) == ("no_answer", desk.id, None)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "log_contact", AuditEvent.member_id == without.id)) == 1
    before = db.session.scalar(select(func.count()).select_from(StaffContact))
    refused = web.post(f"/leads/{cycle_of(without).id}/outcome", {"outcome": "renewed"})
    assert refused.status_code == 422 and "reached or no answer" in refused.text
    assert db.session.scalar(select(func.count()).select_from(StaffContact)) == before


def test_mark_lost_with_a_reason_and_assign_from_the_list(web, login_as, make):
    desk = login_as("desk")
    colleague = make.staff("desk", name="Cora Colleague")
    lead = make.member(first_name="Lou", last_name="Lost")
    other = make.member(first_name="Ada", last_name="Assigned")
    cycle_id = cycle_of(lead).id
    refused = web.post(f"/leads/{cycle_id}/lost", {"reason": "cheaper"})
    assert refused.status_code == 422 and cycle_of(lead).ended_at is None
    response = web.post(f"/leads/{cycle_id}/lost", {"reason": "price"}, follow_redirects=True)
    assert "Lou Lost is marked as a lost lead." in flashes(response)
    assert (cycle_of(lead).outcome, cycle_of(lead).lost_reason) == ("lost", "price")
    assert web.post(f"/leads/{cycle_id}/lost", {"reason": "price"}).status_code == 409
    response = web.post(f"/leads/{cycle_of(other).id}/assign", {"staff_id": str(colleague.id)},
                        follow_redirects=True)
    assert "Ada Assigned is assigned to Cora Colleague." in flashes(response)
    assert cycle_of(other).assigned_staff_id == colleague.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assign_lead")).one()
    assert (event.staff_id, event.after) == (desk.id, {"assigned_to": "Cora Colleague"})
    stranger = make.staff("desk", club=make.club(name="Elsewhere"))
    for bad in (str(stranger.id), "abc", "-3", "99999999999"):
        response = web.post(f"/leads/{cycle_of(other).id}/assign", {"staff_id": bad})
        assert response.status_code == 422, bad
    assert cycle_of(other).assigned_staff_id == colleague.id
    web.post(f"/leads/{cycle_of(other).id}/assign", {"staff_id": ""})
    assert cycle_of(other).assigned_staff_id is None


def test_another_clubs_lead_is_not_found(web, login_as, make):
    login_as("desk")
    elsewhere = make.member(club=make.club(name="Elsewhere"))
    cycle_id = cycle_of(elsewhere).id
    for action, data in (("outcome", {"outcome": "reached"}), ("lost", {"reason": "price"}),
                         ("assign", {"staff_id": ""})):
        assert web.post(f"/leads/{cycle_id}/{action}", data).status_code == 404
    assert cycle_of(elsewhere).ended_at is None
    assert db.session.scalar(select(func.count()).select_from(StaffContact)) == 0
