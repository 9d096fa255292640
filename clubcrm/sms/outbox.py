"""The outbox: the lifecycle pass queues each planned SMS here in the same transaction as its touchpoint,
rendered in the member's language, with the segments it costs and a key that makes it send at most once."""
from datetime import date, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clubcrm.extensions import db
from clubcrm.lifecycle.facts import ClubFacts
from clubcrm.lifecycle.render import text_for
from clubcrm.models import Club, Message, Touchpoint
from clubcrm.sms.segments import count

# The first SMS to a member ends with how to stop them, in their language.
OPT_OUT_HINT = {
    "en": "Reply STOP to opt out.", "de": "Antworte STOP zum Abmelden.", "ru": "Ответьте STOP для отписки.",
    "fi": "Vastaa STOP, niin viestit loppuvat.", "sl": "Za odjavo odgovorite STOP.",
    "sk": "Pre odhlásenie odpovedzte STOP.",
}


def touchpoint_key(membership_id: int, rule_id: int, occurrence: int) -> str:
    return f"tp:{membership_id}:{rule_id}:{occurrence}"


def queue_planned(club: Club, day: date, now: datetime, planned: list, facts: ClubFacts) -> int:
    """Queue a message for each planned SMS touchpoint of a pass (one insert, one update); return how many."""
    sessions = {s.id: s for s in facts.sessions}
    rows = []
    for point in planned:
        if point.channel != "sms" or point.status != "planned":
            continue
        member = facts.members[point.member_id]
        body = text_for(point.rule, member.first_name, member.locale, club, point.facts,
                        sessions.get(point.session_id))
        if not body:
            continue   # a rule without text in the member's language or the club's: settings refuse that
        locale = member.locale if member.locale in OPT_OUT_HINT else club.default_locale
        if point.member_id not in facts.last_sms:
            body = f"{body} {OPT_OUT_HINT.get(locale, OPT_OUT_HINT['en'])}"
        size = count(body)
        rows.append({
            "club_id": club.id, "member_id": point.member_id, "membership_id": point.membership_id,
            "rule_id": point.rule.id, "occurrence": point.occurrence,
            "idempotency_key": touchpoint_key(point.membership_id, point.rule.id, point.occurrence),
            "to_phone": member.phone, "body": body, "locale": locale, "encoding": size.encoding,
            "segments": size.segments, "status": "queued", "due_at": now, "attempts": 0, "created_at": now,
        })
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.session.execute(builder(Message).on_conflict_do_nothing(index_elements=["idempotency_key"])
                       .execution_options(render_nulls=True), rows)
    link_touchpoints(club.id)
    return len(rows)


def link_touchpoints(club_id: int) -> None:
    """Point new messages at their touchpoints by the touchpoints' natural key (one UPDATE)."""
    touchpoint = (
        select(Touchpoint.id)
        .where(and_(Touchpoint.membership_id == Message.membership_id, Touchpoint.rule_id == Message.rule_id,
                    Touchpoint.occurrence == Message.occurrence))
        .scalar_subquery()
    )
    db.session.execute(
        update(Message).where(Message.club_id == club_id, Message.touchpoint_id.is_(None),
                              Message.rule_id.is_not(None))
        .values(touchpoint_id=touchpoint).execution_options(synchronize_session=False)
    )
