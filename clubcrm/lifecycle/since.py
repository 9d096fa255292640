"""The hourly pass's news: which of a club's members something happened to since the pass last looked.

A club's first pass of its local day plans every member (the date moved: windows opened, stages changed). Later
passes that day plan only the members with news, which is exactly what a full pass would plan anew: everything
else the triggers read depends on the day alone. News, each found by an indexed query:

- an audit event naming a member (a sale, freeze, cancellation, member edit, consent request, booking or its
  cancellation, task outcome, staff contact, package grant or redemption, a staff SMS, an erasure);
- an audit event naming no member (club settings, rules and tools, plans, sessions, an import, a closing day)
  means a full pass: it may touch anyone;
- a visit, in any club of the chain;
- a member's own columns: created, converted, SMS consent given or withdrawn (a STOP reply), phone found invalid;
- a staff contact, logged at any club of the chain;
- a message the dispatcher took up (a cap may have skipped its touchpoint, which then no longer counts);
- a session that has more free places than the last pass left, or that entered the offer window: the members a
  session-offering rule fired for while no place was free (recorded by the last pass) are planned again.

Housekeeping's expired tasks and no-shows change no audit trail: it forgets the marks, so the next pass is full.
"""
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, union

from clubcrm.db import plain_tuples
from clubcrm.extensions import db
from clubcrm.lifecycle.facts import OpenSession
from clubcrm.models import AuditEvent, LifecycleMark, Member, Message, StaffContact, Visit

# Events are stamped when written but seen once committed: a transaction that wrote before the last look and
# committed after it must still count as news.
SLACK = timedelta(minutes=10)
# More members with news than this: a full pass reads the club at once, cheaper than naming them all.
MOST = 5_000


def mark_of(club_id: int) -> LifecycleMark | None:
    return db.session.get(LifecycleMark, club_id)


def members_with_news(club_id: int, since: datetime) -> set[int] | None:
    """The ids of CLUB_ID's members with news since SINCE, or None when a full pass is due (an event for the
    whole club, or more members than MOST)."""
    if db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.club_id == club_id, AuditEvent.created_at >= since, AuditEvent.member_id.is_(None)).limit(1)):
        return None
    news = union(
        select(AuditEvent.member_id).where(AuditEvent.club_id == club_id, AuditEvent.created_at >= since,
                                           AuditEvent.member_id.is_not(None)),
        select(Visit.member_id).join(Member, Member.id == Visit.member_id)
        .where(Visit.checked_in_at >= since, Member.club_id == club_id),
        select(Member.id).where(Member.club_id == club_id, or_(
            Member.created_at >= since, Member.converted_at >= since, Member.sms_consent_at >= since,
            Member.sms_opted_out_at >= since, Member.phone_invalid_at >= since)),
        select(Message.member_id).where(Message.club_id == club_id, Message.claimed_at >= since),
        # A contact logged at another club of the chain (its audit event names that club).
        select(StaffContact.member_id).join(Member, Member.id == StaffContact.member_id)
        .where(StaffContact.created_at >= since, Member.club_id == club_id),
    )
    found = {member_id for member_id, in plain_tuples(news.limit(MOST + 1))}
    return None if len(found) > MOST else found


def sessions_left(sessions: Iterable[OpenSession], offered: dict[int, int]) -> dict[str, int]:
    """Each open session's places still free once the pass's OFFERED invitations are counted."""
    return {str(s.id): s.free - offered.get(s.id, 0) for s in sessions if s.free - offered.get(s.id, 0) > 0}


def more_places(before: dict[str, int], now: dict[str, int]) -> bool:
    """Tell whether a session has more free places than BEFORE said, or was not open then."""
    return any(free > before.get(session_id, 0) for session_id, free in now.items())


def members_to_plan(club_id: int, day: date, now: datetime, sessions: list[OpenSession]) -> set[int] | None:
    """The members a pass at NOW must plan for CLUB_ID, or None for all of them (the day's first pass, or news
    that may touch anyone)."""
    mark = mark_of(club_id)
    if mark is None or mark.day != day:
        return None
    found = members_with_news(club_id, mark.checked_at - SLACK)
    if found is not None and more_places(mark.sessions or {}, sessions_left(sessions, {})):
        found |= set(mark.waiting or ())
    return found


def remember(club_id: int, day: date, now: datetime, sessions: list[OpenSession], offered: dict[int, int],
             waiting: set[int], planned_for: set[int] | None) -> None:
    """Record where the pass left CLUB_ID: the day, NOW, the sessions' free places after its offers, and the
    members still waiting for a place (those it did not plan keep their earlier state)."""
    mark = mark_of(club_id)
    if mark is None:
        mark = LifecycleMark(club_id=club_id)
        db.session.add(mark)
    if planned_for is not None and mark.day == day:
        waiting = (set(mark.waiting or ()) - planned_for) | waiting
    mark.day, mark.checked_at = day, now
    mark.sessions = sessions_left(sessions, offered)
    mark.waiting = sorted(waiting)


def forget(club_ids: Iterable[int] | None = None) -> None:
    """Have the next pass of these clubs (all by default) plan everyone: something changed that leaves no news."""
    query = delete(LifecycleMark)
    if club_ids is not None:
        query = query.where(LifecycleMark.club_id.in_(list(club_ids)))
    db.session.execute(query.execution_options(synchronize_session=False))
