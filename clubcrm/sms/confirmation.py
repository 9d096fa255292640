"""Consent that proves the number: SMS consent ticked on the website form for a phone the club already knows is
only a request. One confirmation SMS asks the phone's owner; their YES within CONFIRM_WITHIN grants consent (source
"sms_confirmation" in the history), STOP declines it, silence lets it lapse. Nothing here commits."""
from datetime import datetime, timedelta

from sqlalchemy import select, update

from clubcrm.extensions import db
from clubcrm.i18n import locale_or
from clubcrm.models import Member, Message, Staff
from clubcrm.models.consent import ConsentRequest
from clubcrm.models.sms import CONSENT_CONFIRMATION_KEY
from clubcrm.services import audit, consent
from clubcrm.services.locks import lock_member
from clubcrm.sms import replies
from clubcrm.sms.dispatch import next_allowed
from clubcrm.sms.outbox import already_texted, with_hint
from clubcrm.sms.segments import count

CONFIRM_WITHIN = timedelta(hours=48)


def pending(member_ids: list[int], now: datetime) -> list[ConsentRequest]:
    """The requests of MEMBER_IDS still waiting for a YES at NOW (not answered, not lapsed)."""
    if not member_ids:
        return []
    return list(db.session.scalars(
        select(ConsentRequest).where(ConsentRequest.member_id.in_(member_ids), ConsentRequest.status == "pending",
                                     ConsentRequest.expires_at > now).order_by(ConsentRequest.id)))


def request(staff: Staff | None, member: Member, source: str, now: datetime) -> ConsentRequest | None:
    """Ask MEMBER's phone to confirm SMS consent given on their behalf: record a pending request and queue one
    confirmation SMS in their language, in waking hours. A request still pending is returned as it is (no second
    SMS); a member who opted out (STOP holds until START) or whose number failed gets nothing."""
    if member.sms_consent or not member.phone or member.sms_opted_out_at or member.phone_invalid_at:
        return None
    lock_member(member.id)   # two forms sent at once: the second finds the first's request
    found = pending([member.id], now)
    if found:
        return found[0]
    club = member.club
    ask = ConsentRequest(club_id=club.id, member_id=member.id, source=source,
                         staff_id=staff.id if staff is not None else None, status="pending", requested_at=now,
                         expires_at=now + CONFIRM_WITHIN)
    db.session.add(ask)
    db.session.flush()
    locale = locale_or(member.locale, club.default_locale)
    text = replies.reply(replies.CONFIRM_CONSENT, locale, club.default_locale, club=club.name,
                         hours=int(CONFIRM_WITHIN.total_seconds() // 3600))
    body, locale = with_hint(text, locale, first=not already_texted({member.id}))
    size = count(body)
    message = Message(club_id=club.id, member_id=member.id, idempotency_key=f"{CONSENT_CONFIRMATION_KEY}{ask.id}",
                      to_phone=member.phone, body=body, locale=locale, encoding=size.encoding,
                      segments=size.segments, status="queued", due_at=next_allowed(club, now), attempts=0,
                      created_at=now)
    db.session.add(message)
    db.session.flush()
    ask.message_id = message.id
    audit.record(staff, "consent_request", "member", member.id, club_id=club.id, member_id=member.id,
                 after={"source": source, "message_id": message.id})
    return ask


def confirm(members: list[Member], now: datetime) -> list[Member]:
    """Grant SMS consent to those of MEMBERS with a request pending at NOW (a YES from their phone); return them."""
    by_id = {m.id: m for m in members}
    confirmed = []
    for ask in pending(list(by_id), now):
        # Compare-and-set: two YES messages at once confirm it once.
        if not db.session.execute(
            update(ConsentRequest).where(ConsentRequest.id == ask.id, ConsentRequest.status == "pending")
            .values(status="confirmed", answered_at=now).execution_options(synchronize_session=False)
        ).rowcount:
            continue
        member = by_id[ask.member_id]
        if not member.sms_consent:
            member.sms_consent, member.sms_consent_at, member.sms_consent_source = True, now, "sms_confirmation"
            consent.record(member.club_id, member.id, True, "sms_confirmation", now=now)
            audit.record(None, "update", "member", member.id, club_id=member.club_id, member_id=member.id,
                         before={"sms_consent": False}, after={"sms_consent": True})
        confirmed.append(member)
    db.session.flush()
    return confirmed


def decline(member_ids: list[int], now: datetime) -> None:
    """Close the pending requests of MEMBER_IDS: their phone said STOP."""
    if member_ids:
        db.session.execute(
            update(ConsentRequest).where(ConsentRequest.member_id.in_(member_ids), ConsentRequest.status == "pending")
            .values(status="declined", answered_at=now).execution_options(synchronize_session=False))
