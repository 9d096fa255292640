"""A new lead at the desk whose phone or email the club knows: the desk is offered the known person (a link to the
card, a button to use them), and no second record of the person is made."""
from datetime import timedelta

from sqlalchemy import func, select

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import LeadCycle, Member
from clubcrm.services import lead_cycles
from tests.conftest import NOW
from tests.web import flashes


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def lead(**values) -> dict:
    return {"first_name": "Nina", "last_name": "New", "locale": "en", "source": "walk_in", **values}


def test_a_known_email_offers_the_person_instead_of_a_second_record(web, login_as, make):
    login_as("desk")
    known = make.member(first_name="Kaisa", last_name="Known", email="kaisa@example.org")
    before = (count(Member), count(LeadCycle))
    offered = web.post("/members/new", lead(first_name="Kaisa", email="KAISA@example.org", phone="040 111 2233"))
    assert offered.status_code == 409
    assert "This person is already known" in offered.text
    assert f'href="/members/{known.id}" id="known-card">Kaisa Known</a>' in offered.text
    assert f'name="use_member" value="{known.id}"' in offered.text
    assert (count(Member), count(LeadCycle)) == before
    used = web.post("/members/new", lead(first_name="Kaisa", email="kaisa@example.org", phone="040 111 2233",
                                         use_member=str(known.id)))
    assert used.status_code == 302 and used.headers["Location"].endswith(f"/members/{known.id}")
    assert (count(Member), count(LeadCycle)) == before      # an open lead: nothing new, their card opens


def test_a_known_phone_of_a_member_who_bought_is_offered_too(web, login_as, make):
    login_as("desk")
    bought = make.member(first_name="Bea", last_name="Bought", phone="040 222 3344")
    make.membership(bought)
    before = (count(Member), count(LeadCycle))
    offered = web.post("/members/new", lead(phone="+358402223344"))
    assert offered.status_code == 409 and f'/members/{bought.id}"' in offered.text
    used = web.post("/members/new", lead(phone="+358402223344", use_member=str(bought.id)), follow_redirects=True)
    assert "Bea Bought is already known: here is their card." in flashes(used)
    assert (count(Member), count(LeadCycle)) == before


def test_using_a_known_lost_lead_opens_a_new_cycle(web, login_as, make):
    desk = login_as("desk")
    lost = make.member(first_name="Lotta", last_name="Lost", email="lotta@example.org")
    with unit_of_work():
        lead_cycles.mark_lost(desk, lost, "price")
    clock.set_now(NOW + timedelta(days=10))
    assert web.post("/members/new", lead(email="lotta@example.org", source="phone")).status_code == 409
    # A stale or forged choice (someone else's id) does not pick that person: the known one is offered again.
    other = make.member()
    assert web.post("/members/new", lead(email="lotta@example.org", use_member=str(other.id))).status_code == 409
    response = web.post("/members/new", lead(email="lotta@example.org", source="phone", use_member=str(lost.id)),
                        follow_redirects=True)
    assert "new lead cycle" in flashes(response)[0]
    cycles = list(db.session.scalars(select(LeadCycle).where(LeadCycle.member_id == lost.id).order_by(LeadCycle.id)))
    assert [(c.outcome, c.source) for c in cycles] == [("lost", "walk_in"), (None, "phone")]
