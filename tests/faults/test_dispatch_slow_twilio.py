"""The fault probe's double send (issue 12): a dispatch run that outlasts the reconcile delay because Twilio is slow,
while a second dispatcher (the next minute's job, or a hand run) starts. Every member gets the text exactly once and
reconciliation never rewrites a row its sender settled.

The fake Twilio moves the shared clock a minute forward on each message it takes (a slow Twilio, in simulated time)
and holds each answer a little in real time, so that the second dispatcher runs while the first is still sending.
"""
import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, text

from clubcrm import clock
from clubcrm.extensions import db
from clubcrm.models import Message
from clubcrm.sms import dispatch as dispatching
from clubcrm.sms.client import close_client, make_client, settings_from
from tests.conftest import NOW
from tests.faults.outbox import queue_many, twice

MEMBERS = 30
# The second dispatcher starts after this many sends: 12 simulated minutes into the first run.
SECOND_AFTER = 12


def dispatch_in_thread(app, settings, results: list, now_of) -> threading.Thread:
    """A dispatcher in a thread of its own, with its own app context, session and Twilio client."""
    def run() -> None:
        client = make_client(settings)
        try:
            with app.app_context():
                results.append(dispatching.dispatch(now_of(), settings, client, limit=1000))
                db.session.remove()
        except Exception as error:   # the test reports it
            results.append(error)
        finally:
            close_client(client)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def minute_per_send(fake) -> None:
    moving = threading.Lock()

    def advance(_received) -> None:
        with moving:
            clock.set_now(clock.utcnow() + timedelta(minutes=1))
    fake.on_create = advance


def test_a_run_longer_than_the_reconcile_delay_beside_a_second_dispatcher_sends_each_text_once(make, app,
                                                                                                fake_twilio):
    club = make.club(sms_day_cap=100, sms_week_cap=100)
    phones = queue_many(club.id, MEMBERS, NOW)
    settings = settings_from(fake_twilio.config(TWILIO_TIMEOUT_SECONDS=5))
    minute_per_send(fake_twilio)
    fake_twilio.delay = 0.05
    results: list = []
    first = dispatch_in_thread(app, settings, results, lambda: NOW)
    deadline = time.monotonic() + 30
    while len(fake_twilio.received) < SECOND_AFTER and time.monotonic() < deadline:
        time.sleep(0.005)
    second = dispatch_in_thread(app, settings, results, clock.utcnow)   # the job of the minute it is now
    first.join(60)
    second.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert all(isinstance(r, dispatching.Report) for r in results), results
    assert clock.utcnow() - NOW >= timedelta(minutes=MEMBERS)   # the run lasted longer than 10 minutes

    assert twice(fake_twilio) == [], f"texted twice: {twice(fake_twilio)}"
    assert Counter(r.to for r in fake_twilio.sent) == Counter(phones)     # every member, exactly once
    db.session.rollback()
    rows = db.session.execute(select(Message.status, Message.to_phone, Message.twilio_sid)).all()
    sid_of = {r.to: r.sid for r in fake_twilio.sent}
    assert Counter(status for status, _phone, _sid in rows) == {"sent": MEMBERS}, results
    assert all(sid == sid_of[phone] for _status, phone, sid in rows)


def test_reconciliation_never_rewrites_a_row_its_sender_settled_meanwhile(make, app, fake_twilio):
    """The probe's `sent` → `unknown`: the second dispatcher reads a stale `sending` row, its sender records
    `sent` with Twilio's sid, and only then does Twilio answer the reconciler's question with that very sid."""
    club = make.club()
    [phone] = queue_many(club.id, 1, NOW)
    settings = settings_from(fake_twilio.config(TWILIO_TIMEOUT_SECONDS=5))
    engine = db.engine
    results: list = []
    second: list[threading.Thread] = []

    def slow_and_eleven_minutes_later(_received) -> None:
        # The send takes 11 minutes: the next minute's job starts while Twilio holds the answer.
        clock.set_now(NOW + timedelta(minutes=11))
        second.append(dispatch_in_thread(app, settings, results, clock.utcnow))

    def answer_once_the_sender_recorded_it(_path, _query) -> None:
        deadline = time.monotonic() + 10
        with engine.connect() as connection:
            while time.monotonic() < deadline and connection.execute(
                    text("SELECT status FROM message")).scalar() != "sent":
                connection.rollback()
                time.sleep(0.01)

    fake_twilio.on_create = slow_and_eleven_minutes_later
    fake_twilio.on_lookup = answer_once_the_sender_recorded_it
    fake_twilio.delay = 0.5
    dispatch_in_thread(app, settings, results, lambda: NOW).join(30)
    second[0].join(30)
    assert all(isinstance(r, dispatching.Report) for r in results), results

    db.session.rollback()
    row = db.session.scalars(select(Message)).one()
    [received] = fake_twilio.received
    assert (row.status, row.twilio_sid, row.to_phone) == ("sent", received.sid, phone)
