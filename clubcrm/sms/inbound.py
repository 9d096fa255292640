"""What Twilio tells us: delivery status callbacks and members' replies (STOP/START/HELP, YES to an invitation,
anything else as a task for staff). These flush and never commit: callers wrap them in unit_of_work().

Each inbound message is acted on once per Twilio MessageSid and each status callback once per (sid, status): the
row that says so is inserted first, in the same transaction as the change, so a repeat (Twilio retrying, or a
captured signed request replayed after the member changed their mind) finds it taken and changes nothing."""
from __future__ import annotations

import hashlib
import logging
import string
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clubcrm.clock import utcnow
from clubcrm.db import insert_once
from clubcrm.errors import DomainError
from clubcrm.extensions import db
from clubcrm.i18n import locale_or
from clubcrm.lifecycle.render import session_when
from clubcrm.lifecycle.stages import stage_of
from clubcrm.models import Booking, Club, ClubSession, LeadCycle, Member, Membership, Message, Touchpoint
from clubcrm.models.sms import STATUS_RANK, InboundMessage, StatusCallback
from clubcrm.services import consent, lead_cycles, sessions
from clubcrm.services.contracts import memberships_of
from clubcrm.sms import confirmation, replies
from clubcrm.sms.client import OPTED_OUT

log = logging.getLogger(__name__)

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help"})
# YES and the yes words of our default texts (accents folded): JA, ДА, KYLLÄ, DA, ÁNO.
YES_WORDS = frozenset({"yes", "ja", "да", "kylla", "da", "ano"})
# The rule whose tasks carry members' replies; its trigger is no planner trigger, so only this module fires it.
REPLY_RULE = "member_replied"
REPLY_MAX = 300
# A touchpoint's occurrence is a 32-bit integer column.
_OCCURRENCE_MAX = 2**31 - 1


def fold(text: str | None) -> str:
    """A keyword as compared: trimmed of spaces and punctuation, case-folded, accents removed."""
    text = unicodedata.normalize("NFKD", (text or "").strip(string.whitespace + string.punctuation + "¡¿！。"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


# --- status callbacks ---------------------------------------------------------------------------


def _error_code(value) -> int | None:
    try:
        code = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return code if 0 < code <= _OCCURRENCE_MAX else None


def record_status(sid: str | None, status: str | None, error_code=None, now: datetime | None = None) -> bool:
    """Move message SID forward to STATUS (never back, never twice); return whether it moved.

    "delivered" sets delivered_at; failed/undelivered keep the error code. Error 21610 means the recipient opted
    out with the carrier: the member is marked opted out whatever the status did. An unknown SID changes nothing."""
    now = now or utcnow()
    status = (status or "").strip().lower()
    if not sid or len(sid) > 40:
        return False
    message = db.session.scalar(select(Message).where(Message.twilio_sid == sid))
    if message is None:
        log.info("status callback for unknown message %s", sid)
        return False
    if not insert_once(StatusCallback, twilio_sid=sid, status=status[:20], received_at=now):
        log.info("status callback %s for message %s repeated: nothing changes", status, sid)
        return False
    code = _error_code(error_code)
    if code == OPTED_OUT:
        opt_out([message.member_id], now)
    rank = STATUS_RANK.get(status)
    if rank is None:
        return False   # accepted, scheduled, read, canceled...: nothing our states track
    lower = [s for s, r in STATUS_RANK.items() if r < rank]
    values: dict = {"status": status}
    if status == "delivered":
        values["delivered_at"] = now
    if status in ("failed", "undelivered") and code is not None:
        values["error_code"] = code
    # Compare-and-set: a concurrent or repeated callback cannot move it twice or backwards.
    moved = db.session.execute(
        update(Message).where(Message.id == message.id, Message.status.in_(lower)).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    db.session.expire(message)
    return bool(moved)


# --- inbound messages ---------------------------------------------------------------------------


def opt_out(member_ids: list[int], now: datetime, source: str = "sms") -> list[int]:
    """Stop SMS to MEMBER_IDS (STOP, Twilio's 21610, or the member's own page: SOURCE in the consent history);
    return the ids that were not stopped before. A member already stopped changes nothing."""
    return _switch_sms(member_ids, now, source, stop=True)


def opt_in(member_ids: list[int], now: datetime, source: str = "sms") -> list[int]:
    """Undo a stop of MEMBER_IDS (START, or the member's own page: SOURCE); return the ids that were stopped.
    Consent itself is untouched: a member who never agreed to SMS still gets none."""
    return _switch_sms(member_ids, now, source, stop=False)


def _switch_sms(member_ids: list[int], now: datetime, source: str, stop: bool) -> list[int]:
    """Stop (STOP) or restart the SMS of those of MEMBER_IDS not in that state yet, in one statement; the consent
    history says when and how for each one changed; return their ids."""
    if not member_ids:
        return []
    not_yet = Member.sms_opted_out_at.is_(None) if stop else Member.sms_opted_out_at.is_not(None)
    changed = db.session.execute(
        update(Member).where(Member.id.in_(member_ids), not_yet)
        .values(sms_opted_out_at=now if stop else None).returning(Member.id, Member.club_id)
        .execution_options(synchronize_session=False)).all()
    for member_id, club_id in changed:
        consent.record(club_id, member_id, not stop, source, now=now)
    db.session.flush()
    return [member_id for member_id, _club_id in changed]


def _newest_membership(member_ids: list[int]) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.member_id.in_(member_ids))
        .order_by(Membership.starts_on.desc(), Membership.sold_at.desc(), Membership.id.desc()).limit(1)
    ) if member_ids else None


def _locale(member: Member) -> str:
    return locale_or(member.locale, member.club.default_locale)


def receive(message_sid: str | None, from_phone: str | None, to_phone: str | None, body: str | None,
            now: datetime | None = None) -> str | None:
    """Act on an inbound SMS once per Twilio MessageSid and return the reply; a repeat returns the first reply.

    Twilio always sends the sid; a request without one cannot be told from a replay, so it is not acted on."""
    now = now or utcnow()
    sid = (message_sid or "").strip()
    if not sid or len(sid) > 40:
        log.info("inbound SMS without a usable MessageSid: not acted on")
        return None
    if not insert_once(InboundMessage, twilio_sid=sid, received_at=now):
        log.info("inbound SMS %s repeated: nothing changes", sid)
        return db.session.scalar(select(InboundMessage.reply).where(InboundMessage.twilio_sid == sid))
    text = handle_inbound(from_phone, to_phone, body, now, message_sid=sid)
    if text:
        db.session.execute(update(InboundMessage).where(InboundMessage.twilio_sid == sid).values(reply=text)
                           .execution_options(synchronize_session=False))
    return text


def handle_inbound(from_phone: str | None, to_phone: str | None, body: str | None, now: datetime | None = None,
                   message_sid: str | None = None) -> str | None:
    """Act on a member's SMS and return the reply text, or None for no reply.

    STOP words opt out every member with the number (and decline a pending consent request); START words clear that
    (consent is untouched; Twilio answers both itself). HELP names the club and its phone. YES confirms a pending
    consent request (clubcrm.sms.confirmation) if there is one, else books the session the member's latest invitation
    offered. Anything else becomes a "member replied" task for staff on the member's current or latest membership."""
    now = now or utcnow()
    phone = (from_phone or "").strip()
    if not phone or len(phone) > 20:
        return None
    members = list(db.session.scalars(select(Member).where(Member.phone == phone).order_by(Member.id)))
    if not members:
        log.info("SMS from an unknown number")
        return None
    word = fold(body)
    if word in STOP_WORDS:
        opt_out([m.id for m in members], now)
        confirmation.decline([m.id for m in members], now)
        return None
    if word in START_WORDS:
        opt_in([m.id for m in members], now)
        return None
    if word in YES_WORDS:
        confirmed = confirmation.confirm(members, now)
        if confirmed:
            club = confirmed[0].club
            return replies.reply(replies.CONSENT_CONFIRMED, _locale(confirmed[0]), club.default_locale, club=club.name)
    membership = _newest_membership([m.id for m in members])
    member = next((m for m in members if membership and m.id == membership.member_id), members[-1])
    club, locale = member.club, _locale(member)
    if word in HELP_WORDS:
        table = replies.HELP if club.phone else replies.HELP_NO_PHONE
        return replies.reply(table, locale, club.default_locale, club=club.name, phone=club.phone or "")
    if word in YES_WORDS:   # a lead too: the trial invitation offers a session
        return _book_offered(member, club, locale, now)
    lead = lead_cycles.open_cycle_of(member.id) if membership is None else None
    if membership is None and lead is None:
        log.info("SMS from member %s who has no membership and no open lead cycle: not acted on", member.id)
        return None
    _reply_task(member, membership, body, now, message_sid, lead)
    return None


def _book_offered(member: Member, club: Club, locale: str, now: datetime) -> str:
    """Book the session of the member's latest SMS invitation that has not started; the reply says how it went."""
    session = db.session.scalar(
        select(ClubSession).join(Touchpoint, Touchpoint.session_id == ClubSession.id)
        .where(Touchpoint.member_id == member.id, Touchpoint.channel == "sms",
               Touchpoint.status.in_(("planned", "sent", "done")),
               ClubSession.starts_at > now, ClubSession.cancelled_at.is_(None))
        .order_by(Touchpoint.planned_at.desc(), Touchpoint.id.desc()).limit(1)
    )
    if session is None:
        return replies.reply(replies.NO_PLACES, locale, club.default_locale, club=club.name)
    values = {"club": club.name, "session": session.title, "when": session_when(session, club, locale)}
    existing = db.session.scalar(select(Booking.status).where(Booking.session_id == session.id,
                                                              Booking.member_id == member.id))
    if existing in ("booked", "waitlist", "attended"):
        return replies.reply(replies.ALREADY, locale, club.default_locale, **values)
    try:
        with db.session.begin_nested():
            booking = sessions.book(None, session, member, source="sms")
    except DomainError as exc:
        log.info("YES from member %s could not book session %s: %s", member.id, session.id, exc.code)
        return replies.reply(replies.NO_PLACES, locale, club.default_locale, club=club.name)
    table = replies.BOOKED if booking.status == "booked" else replies.WAITLISTED
    return replies.reply(table, locale, club.default_locale, **values)


def occurrence_of(message_sid: str | None, phone: str, body: str | None, now: datetime) -> int:
    """A stable positive 31-bit id of an inbound message: Twilio's SID, else its number, text and instant."""
    key = message_sid or f"{phone}|{body}|{now.isoformat()}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % _OCCURRENCE_MAX + 1


def _clean(body: str | None) -> str:
    text = "".join(c if c in "\n\t" or unicodedata.category(c)[0] != "C" else " " for c in body or "")
    return text.strip()[:REPLY_MAX]


def _reply_task(member: Member, membership: Membership | None, body: str | None, now: datetime,
                message_sid: str | None, lead: LeadCycle | None = None) -> Touchpoint | None:
    """A "member replied" task for staff on MEMBERSHIP's cycle, or on the open cycle LEAD of a lead who has no
    membership, once per inbound message."""
    zone = ZoneInfo(member.club.timezone)
    today = now.astimezone(zone).date()
    if lead is not None:
        cycle = {"lead_cycle_id": lead.id}
        stage_name = "lead"
    else:
        contracts = memberships_of(member.id)   # with their freezes, in one query
        stage = stage_of(False, contracts, {c.id: [(f.starts_on, f.ends_on) for f in c.freezes] for c in contracts},
                         today)
        cycle = {"membership_id": stage.cycle.id if stage.cycle is not None else membership.id}
        stage_name = stage.name
    occurrence = occurrence_of(message_sid, member.phone or "", body, now)
    return member_task(member, cycle, stage_name, occurrence, {"reply": _clean(body)}, now)


def member_task(member: Member, cycle: dict, stage_name: str, occurrence: int, facts: dict, now: datetime,
                task_kind: str | None = None, asked: bool = False) -> Touchpoint | None:
    """A task for staff that comes from the member (an SMS reply, an answer on their page), due today under the
    "member replied" rule, on CYCLE ({"membership_id": id} or {"lead_cycle_id": id}) once per OCCURRENCE (a stable
    number of what the member did); TASK_KIND: the rule's by default. None when the rule is off (unless ASKED: the
    member asked for this call in so many words, which a club's switch for SMS replies does not silence) or the
    task was made before."""
    from clubcrm.lifecycle.engine import club_rules

    club = member.club
    rule = next((r for r in club_rules(club) if r.key == REPLY_RULE), None)
    if rule is None or not (asked or (rule.enabled and rule.tool.enabled)):
        log.info("task asked by member %s: the %s rule is off, no task", member.id, REPLY_RULE)
        return None
    today = now.astimezone(ZoneInfo(club.timezone)).date()
    [(column, cycle_id)] = cycle.items()
    exists = db.session.scalar(select(Touchpoint.id).where(
        getattr(Touchpoint, column) == cycle_id, Touchpoint.rule_id == rule.id, Touchpoint.occurrence == occurrence))
    if exists is not None:
        return None   # Twilio sent the same message twice, or the member tapped twice
    point = Touchpoint(
        club_id=club.id, member_id=member.id, **cycle, tool_id=rule.tool_id, rule_id=rule.id,
        occurrence=occurrence, stage=stage_name, channel="task", status="planned",
        task_kind=task_kind or rule.task_kind, facts=facts, due_on=today, planned_at=now,
    )
    try:
        with db.session.begin_nested():   # the same message handled at once by another request
            db.session.add(point)
    except IntegrityError:
        return None
    return point
