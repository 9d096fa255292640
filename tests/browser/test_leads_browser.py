"""The lead list in Chromium at the desk's 1280×800: filter by stage, a one-click outcome, an assignment, a lead
marked lost, and a merge of two records of one person from the list."""
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LeadCycle, Member
from clubcrm.services import tasks
from tests.browser.test_desk_browser import log_in
from tests.test_lead_list import cycle_of, lead_task


def test_a_manager_works_the_lead_list(page: Page, make):
    manager = make.staff("manager", name="Maria Manager")
    make.staff("desk", name="Cora Colleague")
    nina = make.member(first_name="Nina", last_name="New")
    lead_task(nina)
    rafa = make.member(first_name="Rafa", last_name="Reached", source="phone")
    with unit_of_work():
        tasks.log_contact(manager, rafa, "reached", None)
    twin = make.member(first_name="Nina", last_name="Again", email="nina@example.org")
    nina_cycle, rafa_cycle, twin_cycle = cycle_of(nina).id, cycle_of(rafa).id, cycle_of(twin).id
    nina_id, twin_id, nina_card = nina.id, twin.id, nina.card_code
    log_in(page, manager.email)
    page.locator("#nav-leads").click()
    expect(page).to_have_url(re.compile(r"/leads/$"))
    rows = page.locator("#leads tbody tr")
    expect(rows).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Filter by stage: the select sends its form.
    page.locator("#filter-stage").select_option("contacted")
    expect(page).to_have_url(re.compile(r"stage=contacted"))
    expect(rows).to_have_count(1)
    expect(page.locator(f"#lead-{rafa_cycle}")).to_be_visible()
    page.locator("#filter-stage").select_option("")
    expect(rows).to_have_count(3)
    # One click: Nina is reached (her open call task closes), she is contacted now.
    nina_row = page.locator(f"#lead-{nina_cycle}")
    expect(nina_row.locator(".next-contact")).not_to_contain_text("none planned")
    nina_row.get_by_role("button", name="reached").click()
    expect(page.locator(".flash").first).to_contain_text("Nina New: contact logged.")
    expect(nina_row).to_have_attribute("data-stage", "contacted")
    expect(nina_row.locator(".last-contact")).to_contain_text("Maria Manager")
    # Assign Nina to a colleague.
    nina_row.locator("form.assign select").select_option(label="Cora Colleague")
    nina_row.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash").first).to_contain_text("Nina New is assigned to Cora Colleague.")
    # Rafa is lost: price.
    rafa_row = page.locator(f"#lead-{rafa_cycle}")
    rafa_row.locator("form.lost select").select_option("price")
    rafa_row.get_by_role("button", name="Mark as lost").click()
    expect(page.locator(".flash").first).to_contain_text("Rafa Reached is marked as a lost lead.")
    expect(page.locator(f"#lead-{rafa_cycle}")).to_have_count(0)
    # Merge: the twin record goes into Nina's.
    page.locator(f"#lead-{twin_cycle} a.merge").click()
    page.get_by_label("Keep this record").fill(nina_card)
    page.locator("#merge-show").click()
    expect(page.locator("#merge-preview")).to_contain_text("Nina Again")
    page.locator("#merge-do").click()
    expect(page.locator(".flash").first).to_contain_text("The two records are merged into Nina New's.")
    expect(page).to_have_url(re.compile(rf"/members/{nina_id}$"))
    db.session.expunge_all()
    assert db.session.get(Member, twin_id) is None
    assert db.session.scalar(select(LeadCycle.assigned_staff_id).where(LeadCycle.id == nina_cycle)) is not None
