"""Repeat guards at the desk: the probe's 5 submits of a new lead without a phone made 5 leads; with a phone,
and for a staff SMS, 1 row plus 500s (IntegrityError)."""
from sqlalchemy import func, select

from clubcrm.extensions import db
from clubcrm.models import Member, Message
from tests.faults.contracts import assert_clean, posts_at_once

LEAD = {"first_name": "Aino", "last_name": "Virtanen", "locale": "en"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_five_submits_of_a_lead_without_a_phone_make_one(app, make):
    statuses = posts_at_once(app, make.staff("desk"), 5, "/members/new", LEAD)
    assert sorted(statuses) == [302] * 5
    assert count(Member) == 1
    assert_clean()


def test_five_submits_of_a_lead_with_a_phone_make_one_and_no_error(app, make):
    statuses = posts_at_once(app, make.staff("desk"), 5, "/members/new", {**LEAD, "phone": "+358401234567"})
    assert sorted(statuses) == [302] * 5
    assert count(Member) == 1
    assert_clean()


def test_five_clicks_on_send_sms_queue_one(app, make):
    member = make.member(sms_consent=True)
    statuses = posts_at_once(app, make.staff("desk"), 5, f"/members/{member.id}/sms",
                             {"body": "Your towel is at the desk."})
    assert sorted(statuses) == [302] * 5
    assert count(Message) == 1
    assert_clean()
