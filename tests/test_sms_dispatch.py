"""Dispatch through the real Twilio SDK to a fake Twilio on loopback: at most once, in waking hours,
within caps, with the errors Twilio answers."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Member, Message
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from tests.conftest import NOW
from tests.fake_twilio import error, rate_limited, server_error, timeout

# NOW is 10:00 in Helsinki: inside the default window 09:00-20:00.


def queue(member, body="Hello", due_at=NOW, key=None) -> Message:
    with unit_of_work():
        message = Message(club_id=member.club_id, member_id=member.id, idempotency_key=key or f"test:{body}:{due_at}",
                          to_phone=member.phone, body=body, locale="en", encoding="GSM-7", segments=1,
                          status="queued", due_at=due_at, created_at=due_at)
        db.session.add(message)
    return message


def texting(make, **values):
    return make.member(sms_consent=True, **values)


def run(twilio, now=NOW, **kw):
    _fake, settings, client = twilio
    return dispatching.dispatch(now, settings, client, **kw)


def state(message):
    db.session.expire_all()
    return db.session.get(Message, message.id)


def test_a_due_message_is_sent_once_with_its_sid(make, twilio):
    fake = twilio[0]
    member = texting(make)
    message = queue(member, "Welcome to the club")
    report = run(twilio)
    assert (report.sent, report.claimed) == (1, 1)
    [got] = fake.received
    assert (got.to, got.body) == (member.phone, "Welcome to the club")
    sent = state(message)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, NOW) and sent.twilio_sid.startswith("SM")
    assert run(twilio, NOW + timedelta(minutes=5)).sent == 0 and len(fake.received) == 1


@pytest.mark.parametrize("tz, late, opening", [
    # 22:00 on the evening before the EU clocks spring forward; 09:00 next day is already summer time.
    ("Europe/Helsinki", datetime(2026, 3, 28, 20, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    # New York springs forward on 8 March: 22:00 EST on the 7th, then 09:00 EDT on the 8th.
    ("America/New_York", datetime(2026, 3, 8, 3, 0, tzinfo=UTC), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
])
def test_a_message_due_at_22_goes_out_at_9_next_morning_in_the_clubs_zone(make, twilio, tz, late, opening):
    fake = twilio[0]
    club = make.club(timezone=tz)
    message = queue(texting(make, club=club), "Evening news", due_at=late)
    report = run(twilio, late)
    assert (report.deferred, report.sent, fake.received) == (1, 0, [])
    assert state(message).due_at == opening
    assert run(twilio, opening - timedelta(minutes=1)).sent == 0
    assert run(twilio, opening).sent == 1 and state(message).sent_at == opening


def test_a_club_cannot_widen_its_window_beyond_8_to_21(make):
    club = make.club(quiet_end_minute=5 * 60, quiet_start_minute=23 * 60)
    assert dispatching.window(club) == (8 * 60, 21 * 60)


def test_caps_per_local_day_and_week(make, twilio):
    member = texting(make)
    first, second = queue(member, "one"), queue(member, "two")
    report = run(twilio)
    assert (report.sent, report.skipped) == (1, 1)
    assert (state(first).status, state(second).status, state(second).skip_reason) == ("sent", "skipped", "day_cap")
    later = [queue(member, f"day {n}", due_at=NOW + timedelta(days=n)) for n in (1, 2, 3)]
    assert [run(twilio, NOW + timedelta(days=n)).sent for n in (1, 2, 3)] == [1, 1, 0]   # 10 March is a Tuesday
    assert state(later[2]).skip_reason == "week_cap"


def test_an_opt_out_since_queueing_is_honoured_at_claim_time(make, twilio):
    member = texting(make)
    message = queue(member)
    with unit_of_work():
        db.session.get(Member, member.id).sms_opted_out_at = NOW
    assert run(twilio).skipped == 1 and twilio[0].received == []
    assert (state(message).status, state(message).skip_reason) == ("skipped", "opted_out")


def test_twilio_21610_opts_the_member_out_and_21211_marks_the_number(make, twilio):
    fake = twilio[0]
    stopped, wrong = texting(make), texting(make)
    fake.respond_for(stopped.phone, error(21610))
    fake.respond_for(wrong.phone, error(21211))
    a, b = queue(stopped, "a"), queue(wrong, "b")
    assert run(twilio).failed == 2
    assert (state(a).status, state(a).error_code, state(b).skip_reason) == ("failed", 21610, "invalid_number")
    db.session.expire_all()
    assert db.session.get(Member, stopped.id).sms_opted_out_at == NOW
    assert db.session.get(Member, wrong.id).phone_invalid_at == NOW


@pytest.mark.parametrize("reply", [rate_limited, server_error])
def test_429_and_5xx_back_off_then_send(make, twilio, reply):
    fake = twilio[0]
    fake.respond_next(reply())
    message = queue(texting(make))
    assert run(twilio).retried == 1
    waiting = state(message)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == ("queued", 1, NOW + timedelta(seconds=30))
    assert run(twilio, NOW + timedelta(seconds=10)).sent == 0
    assert run(twilio, NOW + timedelta(seconds=30)).sent == 1 and state(message).attempts == 2


def test_a_timeout_is_flagged_unknown_never_resent_blindly(make, twilio):
    fake = twilio[0]
    fake.respond_next(timeout(2))
    message = queue(texting(make))
    assert run(twilio).unknown == 1
    assert state(message).status == "unknown"
    run(twilio, NOW + timedelta(hours=1))
    assert len(fake.received) == 1


def crash_left_sending(message, sid=None, handed=False) -> None:
    """Leave MESSAGE as a dispatcher that died 11 minutes ago would: claimed, and maybe handed to Twilio."""
    with unit_of_work():
        row = db.session.get(Message, message.id)
        row.status, row.claimed_at, row.twilio_sid = "sending", NOW - timedelta(minutes=11), sid
        row.sent_at = NOW - timedelta(minutes=11) if handed else None


def test_a_row_left_sending_that_twilio_never_got_is_sent_once(make, twilio):
    message = queue(texting(make), "Never reached Twilio")
    crash_left_sending(message)
    report = run(twilio)
    assert (report.reconciled, report.requeued, report.sent) == (1, 1, 1)
    assert state(message).status == "sent" and len(twilio[0].received) == 1


def test_a_row_left_sending_that_twilio_has_is_settled_not_resent(make, twilio):
    fake = twilio[0]
    message = queue(texting(make), "Reached Twilio, then we crashed")
    run(twilio)
    sid = state(message).twilio_sid
    crash_left_sending(message, handed=True)   # as if the process died before recording the answer
    report = run(twilio, NOW + timedelta(minutes=1))
    assert (report.reconciled, report.requeued, report.sent) == (1, 0, 0)
    assert (state(message).status, state(message).twilio_sid, len(fake.received)) == ("sent", sid, 1)


def test_a_row_left_sending_is_flagged_unknown_when_twilio_cannot_be_asked(make):
    message = queue(texting(make), "Twilio unreachable")
    crash_left_sending(message)
    unreachable = settings_from({"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "x",
                                 "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": "http://127.0.0.1:9",
                                 "TWILIO_TIMEOUT_SECONDS": 0.5})
    client = make_client(unreachable)
    try:
        report = dispatching.dispatch(NOW, unreachable, client)
    finally:
        close_client(client)
    assert (report.reconciled, report.unknown, state(message).status) == (1, 1, "unknown")
    assert dispatching.dispatch(NOW, None).reconciled == 0    # flagged once; a person takes it from here


def test_without_twilio_settings_messages_wait(make):
    message = queue(texting(make))
    report = dispatching.dispatch(NOW, None)
    assert report.not_configured and "SMS not configured" in str(report)
    assert state(message).status == "queued"


def test_command_line_dispatch(make, runner, fake_twilio, app):
    app.config.update(fake_twilio.config(), PUBLIC_URL="https://club.example/")
    queue(texting(make), "By command")
    db.session.commit()
    result = runner.invoke(args=["sms", "dispatch", "--now", "2026-03-10T10:00:00+02:00"])
    assert result.exit_code == 0 and "sent 1" in result.output, result.output
    assert [m.body for m in fake_twilio.received] == ["By command"]
    assert fake_twilio.received[0].status_callback == "https://club.example/webhooks/twilio/status"
    result = runner.invoke(args=["sms", "dispatch", "--now", "yesterday"])
    assert result.exit_code == 2 and "--now" in result.output


def test_the_touchpoint_follows_its_message_and_a_new_number_is_used(make, twilio):
    from clubcrm.models import Touchpoint
    from tests.lifecycle import no_holdouts, run_pass

    fake = twilio[0]
    member = texting(make)
    make.membership(member, make.plan(duration_days=365), today=NOW.date())
    no_holdouts(member.club_id)
    run_pass()
    with unit_of_work():
        db.session.get(Member, member.id).phone = "+358409998877"
    assert run(twilio).sent == 1
    assert [m.to for m in fake.received] == ["+358409998877"]
    db.session.expire_all()
    point = db.session.scalars(select(Touchpoint).where(Touchpoint.channel == "sms")).one()
    assert point.status == "sent"
    skipped = queue(member, "Over the cap")
    with unit_of_work():
        db.session.get(Message, skipped.id).touchpoint_id = None   # a staff SMS: no touchpoint to follow
    assert run(twilio).skipped == 1 and state(skipped).skip_reason == "day_cap"


def test_a_row_handed_to_twilio_that_twilio_does_not_list_is_flagged_not_resent(make, twilio):
    message = queue(texting(make), "Handed over, then died")
    crash_left_sending(message, handed=True)   # its request may still reach Twilio, or may have been lost
    report = run(twilio)
    assert (report.reconciled, report.unknown, report.requeued, report.sent) == (1, 1, 0, 0)
    assert state(message).status == "unknown" and twilio[0].received == []


def test_a_row_with_a_sid_twilio_does_not_know_is_flagged_not_resent(make, twilio):
    message = queue(texting(make), "Has a sid")
    crash_left_sending(message, sid="SM" + "0" * 32)
    report = run(twilio)
    assert (report.reconciled, report.unknown, report.sent) == (1, 1, 0)
    assert state(message).status == "unknown" and twilio[0].received == []


def test_a_5xx_after_twilio_took_the_message_is_recorded_sent_not_resent(make, twilio):
    from tests.fake_twilio import server_error

    fake = twilio[0]
    fake.respond_next(server_error(took_it=True))
    message = queue(texting(make), "Taken, then a 500")
    assert run(twilio).retried == 1
    assert run(twilio, NOW + timedelta(seconds=30)).sent == 0
    [taken] = fake.received
    assert (state(message).status, state(message).twilio_sid) == ("sent", taken.sid)


def test_a_sent_row_is_never_reconciled(make, twilio):
    message = queue(texting(make), "Sent long ago")
    run(twilio)
    assert run(twilio, NOW + timedelta(hours=1)).reconciled == 0
    assert state(message).status == "sent" and len(twilio[0].received) == 1


def test_a_message_whose_member_is_erased_after_its_claim_is_not_sent(make, twilio, app):
    from sqlalchemy import event

    from clubcrm.services import gdpr

    fake = twilio[0]
    member, manager = texting(make), make.staff("manager")
    message = queue(member, "Claimed, then erased")

    def erase_before_the_hand_over(_conn, _cursor, statement, *_args):
        hand_over = statement.lstrip().startswith("UPDATE message SET") and "to_phone" in statement.split("WHERE")[0]
        if hand_over and not erased:
            erased.append(True)
            with app.app_context(), unit_of_work():
                gdpr.erase(manager, db.session.get(Member, member.id), "ERASE")
    erased: list = []
    event.listen(db.engine, "before_cursor_execute", erase_before_the_hand_over)
    try:
        report = run(twilio)
    finally:
        event.remove(db.engine, "before_cursor_execute", erase_before_the_hand_over)
    assert erased and (report.sent, report.taken_back, fake.received) == (0, 1, [])
    row = state(message)
    assert (row.body, row.to_phone, row.sent_at) == ("", "", None)   # nothing written back over the erasure


def test_a_sends_outcome_is_committed_before_the_rate_limits_wait(make, twilio):
    """Twilio's status callback for a message may come within a second: its sid must be in the database by then,
    not only after the wait before the next send."""
    import threading

    fake = twilio[0]
    engine, seen = db.engine, []
    first = queue(texting(make), "First", key="first")
    first_id = first.id   # read here: the look runs in a thread of its own, outside the test's session
    queue(texting(make, phone="+358401112223"), "Second", key="second")

    def look_a_moment_after(received) -> None:
        if received.body != "First":
            return

        def look() -> None:
            with engine.connect() as connection:
                seen.append(connection.execute(select(Message.status, Message.twilio_sid)
                                               .where(Message.id == first_id)).one())
        threading.Timer(0.5, look).start()

    fake.on_create = look_a_moment_after
    assert run(twilio, per_second=0.5).sent == 2   # a 2-second wait between the two sends
    [(status, sid)] = seen
    assert status == "sent" and sid == state(first).twilio_sid


def test_a_retry_just_claimed_is_not_stale_for_another_dispatcher(make, twilio):
    """A retry keeps the hand-over time of its earlier attempt (it may have reached Twilio); claimed again a minute
    ago by a live dispatcher, it is not a crash's leftover for a second dispatcher to flag."""
    message = queue(texting(make), "A retry in flight")
    with unit_of_work():
        row = db.session.get(Message, message.id)
        row.status, row.attempts = "sending", 2
        row.sent_at, row.claimed_at = NOW - timedelta(minutes=40), NOW - timedelta(minutes=1)
    assert dispatching.reconcile(NOW, twilio[2]) == (0, 0, 0)
    assert state(message).status == "sending"
    assert dispatching.reconcile(NOW + timedelta(minutes=10), twilio[2]) == (1, 0, 1)   # its claim did go stale
    assert state(message).status == "unknown"
