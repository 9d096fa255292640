"""The outbox: the pass queues each planned SMS with its touchpoint, in the member's language, counted in
segments, under a key that sends it at most once."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from clubcrm import clock
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.i18n import SUPPORTED_LOCALES
from clubcrm.lifecycle import defaults
from clubcrm.lifecycle.texts import DEFAULT_TEXTS
from clubcrm.models import Message, Rule, Touchpoint
from clubcrm.sms.outbox import OPT_OUT_HINT
from clubcrm.sms.segments import count
from tests.conftest import NOW, TODAY
from tests.lifecycle import no_holdouts
from tests.lifecycle import run_pass as run


@pytest.mark.parametrize("text, encoding, segments", [
    ("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("a" * 306, "GSM-7", 2), ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1), ("€" * 81, "GSM-7", 2),            # extension characters take two septets
    ("Привет " * 10, "UCS-2", 1), ("я" * 71, "UCS-2", 2), ("Hyvää päivää – tervetuloa", "UCS-2", 1),
    ("Hyvää päivää - tervetuloa", "GSM-7", 1), ("💪" * 35, "UCS-2", 1), ("💪" * 36, "UCS-2", 2),
])
def test_segments(text, encoding, segments):
    assert (count(text).encoding, count(text).segments) == (encoding, segments)


def test_every_default_sms_rule_has_a_text_in_all_six_locales_and_russian_is_ucs2():
    for spec in defaults.RULES:
        if spec.channel == "sms":
            assert set(DEFAULT_TEXTS[spec.key]) == set(SUPPORTED_LOCALES), spec.key
            assert count(DEFAULT_TEXTS[spec.key]["ru"]).encoding == "UCS-2", spec.key


def welcome_only(club_id: int) -> None:
    no_holdouts(club_id)
    with unit_of_work():
        db.session.execute(update(Rule).where(Rule.club_id == club_id, Rule.key != "welcome")
                           .values(enabled=False))


def test_a_pass_queues_each_planned_sms_in_the_members_language(make):
    anna = make.member(first_name="Anna", sms_consent=True, locale="ru")
    jan = make.member(first_name="Jan", sms_consent=True, locale="de")
    nobody = make.member(first_name="Nope", sms_consent=False)
    for member in (anna, jan, nobody):
        make.membership(member, make.plan(duration_days=365), today=TODAY)
    welcome_only(anna.club_id)
    assert run(dry_run=True).touchpoints and db.session.scalar(select(func.count()).select_from(Message)) == 0
    run()
    messages = {m.member_id: m for m in db.session.scalars(select(Message))}
    assert set(messages) == {anna.id, jan.id}       # the member without consent gets a call instead
    ru, de = messages[anna.id], messages[jan.id]
    assert ru.body.startswith(DEFAULT_TEXTS["welcome"]["ru"].format(first_name="Anna", club=anna.club.name))
    assert ru.body.endswith(OPT_OUT_HINT["ru"]) and de.body.endswith(OPT_OUT_HINT["de"])
    assert (ru.encoding, ru.locale, de.locale, ru.status) == ("UCS-2", "ru", "de", "queued")
    assert ru.segments == count(ru.body).segments >= 2
    assert (ru.to_phone, ru.due_at) == (anna.phone, NOW)
    touchpoint = db.session.get(Touchpoint, ru.touchpoint_id)
    assert (touchpoint.member_id, touchpoint.rule.key, touchpoint.channel) == (anna.id, "welcome", "sms")
    assert ru.idempotency_key == f"tp:{touchpoint.membership_id}:{touchpoint.rule_id}:{touchpoint.occurrence}"
    run()
    clock.set_now(NOW + timedelta(hours=3))
    run()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_only_the_first_sms_carries_the_opt_out_hint(make):
    member = make.member(first_name="Eva", sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=date(2026, 1, 2))
    no_holdouts(member.club_id)
    for day in range(2, 16):
        clock.set_now(NOW.replace(year=2026, month=1, day=day))
        run()
    bodies = [m.body for m in db.session.scalars(select(Message).order_by(Message.id))]
    assert len(bodies) >= 2
    assert bodies[0].endswith(OPT_OUT_HINT["en"]) and not any(b.endswith(OPT_OUT_HINT["en"]) for b in bodies[1:])


def test_an_opted_out_member_gets_no_sms_but_a_call(make):
    member = make.member(first_name="Stop", sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    welcome_only(member.club_id)
    with unit_of_work():
        db.session.get(type(member), member.id).sms_opted_out_at = NOW - timedelta(days=1)
    [point] = run().touchpoints
    assert (point.channel, point.facts["instead_of_sms"]) == ("task", "no_consent")
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_text_in_the_clubs_language_ends_with_the_hint_in_that_language(make):
    member = make.member(first_name="Ola", sms_consent=True, locale="ru")
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    welcome_only(member.club_id)
    with unit_of_work():   # the club kept only an English welcome
        rule = db.session.scalars(select(Rule).where(Rule.key == "welcome")).one()
        rule.texts = {"en": DEFAULT_TEXTS["welcome"]["en"]}
    run()
    message = db.session.scalars(select(Message)).one()
    assert message.locale == "en" and message.body.endswith(OPT_OUT_HINT["en"])


def test_after_a_staff_sms_the_engines_first_sms_carries_no_hint(make):
    from clubcrm.sms.outbox import queue_from_staff

    member = make.member(first_name="Ida", sms_consent=True)
    make.membership(member, make.plan(duration_days=365), today=TODAY)
    welcome_only(member.club_id)
    with unit_of_work():
        queue_from_staff(make.desk(), member, "Your locker key is at the desk.", NOW)
    run()
    welcome = db.session.scalars(select(Message).where(Message.rule_id.is_not(None))).one()
    assert not welcome.body.endswith(OPT_OUT_HINT["en"])
