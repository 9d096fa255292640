"""The outbox: the lifecycle pass queues each planned SMS here in the same transaction as its touchpoint,
rendered in the member's language, with the segments it costs and a key that makes it send at most once."""
import hashlib
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update

from clubcrm.db import insert_ignoring, insert_once
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.i18n import locale_or
from clubcrm.lifecycle.facts import ClubFacts
from clubcrm.lifecycle.lead_facts import LeadFacts
from clubcrm.lifecycle.render import text_for
from clubcrm.models import Club, Message, Touchpoint
from clubcrm.models.member import can_text
from clubcrm.services import audit, members, repeats
from clubcrm.services.locks import lock_member
from clubcrm.sms.segments import count

# The first SMS to a member ends with how to stop them, in their language.
OPT_OUT_HINT = {
    "en": "Reply STOP to opt out.", "de": "Antworte STOP zum Abmelden.", "ru": "Ответьте STOP для отписки.",
    "fi": "Vastaa STOP, niin viestit loppuvat.", "sl": "Za odjavo odgovorite STOP.",
    "sk": "Pre odhlásenie odpovedzte STOP.",
}


def already_texted(member_ids: set[int]) -> set[int]:
    """Those of MEMBER_IDS who have had an SMS queued before (one query)."""
    if not member_ids:
        return set()
    return set(db.session.scalars(select(Message.member_id).distinct().where(Message.member_id.in_(member_ids))))


def with_hint(text: str, locale: str, first: bool) -> tuple[str, str]:
    """TEXT, ended with the opt-out hint in its own language when it is the member's first SMS."""
    return (f"{text} {OPT_OUT_HINT.get(locale, OPT_OUT_HINT['en'])}" if first else text), locale


def first_sms_suffix(member) -> str:
    """What queue_from_staff adds to a staff SMS to MEMBER: the opt-out hint when none was queued to them before,
    else nothing (the card's live counter counts it in)."""
    if member.id in already_texted({member.id}):
        return ""
    text, _locale = with_hint("", locale_or(member.locale, member.club.default_locale), first=True)
    return text


def queue_notice(member, body: str, key: str, now: datetime) -> Message | None:
    """Queue a notice to MEMBER (a cancelled session, say) written in their language; the dispatcher sends it in
    waking hours, under the caps and opt-outs like any other. KEY makes it once per member and event; None when the
    member cannot be texted (no consent, no phone, opted out)."""
    if not (member.sms_consent and member.phone) or not can_text(member):
        return None
    text, locale = with_hint(body, locale_or(member.locale, member.club.default_locale),
                             first=not already_texted({member.id}))
    size = count(text)
    insert_once(Message, club_id=member.club_id, member_id=member.id, idempotency_key=key, to_phone=member.phone,
                body=text, locale=locale, encoding=size.encoding, segments=size.segments, status="queued", due_at=now,
                attempts=0, created_at=now)
    return db.session.scalar(select(Message).where(Message.idempotency_key == key))


def touchpoint_key(membership_id: int, rule_id: int, occurrence: int) -> str:
    return f"tp:{membership_id}:{rule_id}:{occurrence}"


def planned_key(point) -> str:
    """The message key of a planned touchpoint: by its membership, or by its lead's cycle (L before the id)."""
    if point.lead_cycle_id is not None:
        return f"tp:L{point.lead_cycle_id}:{point.rule.id}:{point.occurrence}"
    return touchpoint_key(point.membership_id, point.rule.id, point.occurrence)


def queue_planned(club: Club, day: date, now: datetime, planned: list, facts: ClubFacts | None,
                  leads: LeadFacts | None = None) -> int:
    """Queue a message for each planned SMS touchpoint of a pass (one insert, one update for the memberships'
    and one for the leads'); FACTS and LEADS hold the members and sessions the texts name. Return how many."""
    texting = [p for p in planned if p.channel == "sms" and p.status == "planned"]
    texted = already_texted({p.member_id for p in texting})
    rows = []
    for point in texting:
        known = leads if point.lead_cycle_id is not None else facts
        member = known.members[point.member_id]
        rendered = text_for(point.rule, member.first_name, member.locale, club, point.facts,
                            known.session_index().get(point.session_id), link=True)
        if rendered is None:
            continue   # a rule without text in the member's language or the club's: settings refuse that
        body, locale = with_hint(rendered.text, rendered.locale, first=point.member_id not in texted)
        texted.add(point.member_id)
        size = count(body)
        rows.append({
            "club_id": club.id, "member_id": point.member_id, "membership_id": point.membership_id,
            "lead_cycle_id": point.lead_cycle_id, "rule_id": point.rule.id, "occurrence": point.occurrence,
            "idempotency_key": planned_key(point),
            "to_phone": member.phone, "body": body, "locale": locale, "encoding": size.encoding,
            "segments": size.segments, "status": "queued", "due_at": now, "attempts": 0, "created_at": now,
        })
    if not rows:
        return 0
    insert_ignoring(Message, rows, ["idempotency_key"])
    link_touchpoints(club.id, leads=any(row["lead_cycle_id"] is not None for row in rows))
    return len(rows)


def link_touchpoints(club_id: int, leads: bool = False) -> None:
    """Point new messages at their touchpoints by the touchpoints' natural key (one UPDATE, and one more for the
    leads' messages when LEADS)."""
    for cycle in (Touchpoint.membership_id, Message.membership_id), (Touchpoint.lead_cycle_id, Message.lead_cycle_id):
        touchpoint = (
            select(Touchpoint.id)
            .where(and_(cycle[0] == cycle[1], Touchpoint.rule_id == Message.rule_id,
                        Touchpoint.occurrence == Message.occurrence))
            .scalar_subquery()
        )
        db.session.execute(
            update(Message).where(Message.club_id == club_id, Message.touchpoint_id.is_(None),
                                  Message.rule_id.is_not(None), cycle[1].is_not(None))
            .values(touchpoint_id=touchpoint).execution_options(synchronize_session=False)
        )
        if not leads:
            return


# A staff member's SMS: at most this long (three GSM-7 segments), and one identical text a minute.
STAFF_TEXT_MAX = 459


def queue_from_staff(staff, member, body: str | None, now: datetime):
    """Queue an SMS a staff member writes on the member card; dispatch sends it like any other. The same text
    again within SMS_REPEAT_SECONDS (a double click) answers the first message."""
    members.visible(staff, member)
    body = " ".join((body or "").split())
    if not body:
        raise InvalidInput("body", _l("Write the message."))
    if len(body) > STAFF_TEXT_MAX:
        raise InvalidInput("body", _l("Keep the message to %(max)s characters.", max=STAFF_TEXT_MAX))
    # Two clicks at once: the second waits here for the first to commit, then answers its message; consent is
    # read as it is now (a STOP may have just arrived).
    lock_member(member.id)
    if not (member.sms_consent and member.phone):
        raise Conflict("body", _l("This member has not agreed to SMS (or has no phone number)."))
    if not can_text(member):
        raise Conflict("body", _l("This member cannot get SMS: opted out or an invalid number."))
    digest = hashlib.sha1(body.encode()).hexdigest()[:16]
    key = f"staff:{member.id}:{digest}:{now:%Y%m%d%H%M}"   # unique: the database's own guard within the minute
    first = db.session.scalar(select(Message).where(Message.idempotency_key == key)) or repeats.latest_within(
        select(Message).where(Message.member_id == member.id,
                              Message.idempotency_key.startswith(f"staff:{member.id}:{digest}:", autoescape=True)),
        Message.created_at, "SMS_REPEAT_SECONDS")
    if first is not None:
        return first
    text, locale = with_hint(body, locale_or(member.locale, member.club.default_locale),
                             first=not already_texted({member.id}))
    size = count(text)
    message = Message(club_id=member.club_id, member_id=member.id, idempotency_key=key, to_phone=member.phone,
                      body=text, locale=locale, encoding=size.encoding, segments=size.segments, status="queued",
                      due_at=now, attempts=0, created_at=now)
    db.session.add(message)
    db.session.flush()
    audit.record(staff, "send_sms", "message", message.id, club_id=member.club_id, member_id=member.id,
                 after={"note": body})
    return message
