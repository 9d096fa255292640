"""Lead cycles: one opens when a lead makes contact (with where they came from) and closes won by the first sale,
lost by staff with a reason, or lost after LEAD_CYCLE_DAYS without a sale; the stage each cycle stands at, derived
from what happened in it; and the lost reasons a club offers."""
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, exists, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput, NotFound
from clubcrm.extensions import db
from clubcrm.labels import LOST_REASON_NAMES
from clubcrm.models import (
    DEFAULT_LOST_REASONS, HOLDS_PLACE, LEAD_SOURCES, Booking, Club, ClubSession, LeadCycle, LeadLostReason, Member,
    Membership, Staff, StaffContact, Visit,
)
from clubcrm.services import audit
from clubcrm.services.locks import lock_member

CAMPAIGN_MAX = 80          # the column's length
REASON_LABEL_MAX = 80
# Staff contacts that mean the lead was spoken to.
CONTACTED = ("reached", "booked")


@dataclass(frozen=True)
class Source:
    """Where a lead came from, checked: a source code, a campaign's label, the referring member's id."""

    source: str = "walk_in"
    campaign: str | None = None
    referrer_id: int | None = None


def checked_source(source: str | None, campaign: str | None, referrer: Member | None, referrer_asked: bool,
                   referrer_field: str = "referrer") -> Source:
    """Check a lead's source: a known code; a campaign's label for `campaign` (any source may carry one, as a web
    form's UTM label); the referring member (REFERRER, found by the caller) for `referral` and only for it.
    REFERRER_ASKED: the caller was given a referrer to find. Errors name the field."""
    source = source or "walk_in"
    if source not in LEAD_SOURCES:
        raise InvalidInput("source", _l("Choose where the lead came from."))
    campaign = " ".join((campaign or "").split()) or None
    if campaign is not None and len(campaign) > CAMPAIGN_MAX:
        raise InvalidInput("campaign", _l("A campaign's name can have at most %(max)s characters.",
                                          max=CAMPAIGN_MAX))
    if source == "campaign" and campaign is None:
        raise InvalidInput("campaign", _l("Enter the campaign's name."))
    if source == "referral" and not referrer_asked:
        raise InvalidInput(referrer_field, _l("Enter the referring member's card code or phone number.")
                           if referrer_field == "referrer" else _l("Send the referring member's id."))
    if source != "referral" and referrer_asked:
        raise InvalidInput(referrer_field, _l("A referring member goes with the source Referral."))
    return Source(source, campaign, referrer.id if referrer is not None else None)


def open_cycle_of(member_id: int) -> LeadCycle | None:
    """The member's open lead cycle, if any."""
    return db.session.scalar(select(LeadCycle).where(LeadCycle.member_id == member_id, LeadCycle.ended_at.is_(None)))


def cycles_of(member_id: int) -> list[LeadCycle]:
    """The member's lead cycles, newest first, each with its referring member (one statement)."""
    return list(db.session.scalars(select(LeadCycle).where(LeadCycle.member_id == member_id)
                                   .options(joinedload(LeadCycle.referrer))
                                   .order_by(LeadCycle.started_at.desc(), LeadCycle.id.desc())))


def start(staff: Staff | None, member: Member, source: Source, now: datetime | None = None) -> LeadCycle:
    """Open a lead cycle for MEMBER, a lead who has none open (a new lead; the member flushed already), and plan
    its first contacts at once: the first call is due an opening hour after the lead came, not at the next pass."""
    from clubcrm.lifecycle.engine import plan_lead_now   # the engine reads the services: imported when used

    cycle = LeadCycle(club_id=member.club_id, member_id=member.id, started_at=now or utcnow(),
                      source=source.source, campaign=source.campaign, referrer_member_id=source.referrer_id,
                      created_by_id=staff.id if staff is not None else None)
    db.session.add(cycle)
    db.session.flush()
    plan_lead_now(cycle, utcnow())
    return cycle


def can_reopen(member: Member) -> bool:
    """Tell whether MEMBER is a lost lead: no sale yet, not erased, no open cycle (one statement)."""
    return member.converted_at is None and member.erased_at is None and open_cycle_of(member.id) is None


def reopen(staff: Staff | None, member: Member, source: Source, now: datetime | None = None) -> LeadCycle:
    """Open a new cycle for a lost lead who asks again (the same person: their details stay as they are); refuse a
    member who bought (not a lead any more) or whose cycle is still open."""
    member = lock_member(member.id)   # two inquiries at once: the second finds the first's cycle
    if member.converted_at is not None:
        raise Conflict("source", _l("%(name)s has bought before: not a lead any more.", name=member.full_name),
                       code="converted")
    if open_cycle_of(member.id) is not None:
        raise Conflict("source", _l("%(name)s is a lead already.", name=member.full_name), code="open_cycle")
    try:
        with db.session.begin_nested():
            cycle = start(staff, member, source, now)
    except IntegrityError:     # the partial unique index: another open cycle won the race
        raise Conflict("source", _l("%(name)s is a lead already.", name=member.full_name),
                       code="open_cycle") from None
    audit.record(staff, "open_lead_cycle", "lead_cycle", cycle.id, club_id=member.club_id, member_id=member.id,
                 after={"source": cycle.source, "campaign": cycle.campaign})
    return cycle


def win(staff: Staff | None, member: Member, membership: Membership | None, now: datetime | None = None
        ) -> LeadCycle | None:
    """Close MEMBER's open cycle as won by their first sale (MEMBERSHIP; None for a package); in the sale's
    transaction, so a sale that fails leaves it open. The sale's own audit event says it: the cycle keeps who and
    which membership."""
    cycle = open_cycle_of(member.id)
    if cycle is None:
        return None
    cycle.ended_at, cycle.outcome = now or utcnow(), "won"
    cycle.won_membership_id = membership.id if membership is not None else None
    cycle.ended_by_id = staff.id if staff is not None else None
    db.session.flush()
    _drop_calls([cycle.id])
    return cycle


def _drop_calls(cycle_ids) -> None:
    """A closed cycle's open calls leave Today: nobody needs to call a lead who bought or was let go."""
    from clubcrm.lifecycle.lead_planner import drop_open_calls   # the engine reads the services: imported when used

    drop_open_calls(cycle_ids, "lead_closed")


def mark_lost(actor: Staff, member: Member, reason: str | None, now: datetime | None = None) -> LeadCycle:
    """Close MEMBER's open lead cycle as lost, with one of the club's active lost reasons."""
    if not actor.sees_club(member.club_id):
        raise NotFound("member_id", _l("No such member."))
    if member.erased_at is not None:
        raise Conflict(None, _l("This member's personal data was erased; nothing more can be done for them."),
                       code="erased")
    chosen = next((r for r in lost_reasons(member.club_id) if r.code == reason and r.active), None)
    if chosen is None:
        raise InvalidInput("reason", _l("Choose one of the club's lost reasons."))
    lock_member(member.id)
    cycle = open_cycle_of(member.id)
    if cycle is None:
        raise Conflict("reason", _l("This member has no open lead cycle."), code="no_open_cycle")
    stage = stages_of(member.club_id, [cycle.id]).get(cycle.id)
    cycle.ended_at, cycle.outcome, cycle.lost_reason = now or utcnow(), "lost", chosen.code
    cycle.ended_by_id = actor.id
    db.session.flush()
    _drop_calls([cycle.id])
    audit.record(actor, "lose_lead", "lead_cycle", cycle.id, club_id=member.club_id, member_id=member.id,
                 before={"stage": stage}, after={"lost_reason": chosen.label or chosen.code})
    return cycle


def close_timed_out(now: datetime) -> int:
    """Close every open cycle that began LEAD_CYCLE_DAYS or more before NOW without a sale: lost, no answer. A
    rerun closes nothing more (one audit event per club it closed cycles in)."""
    cutoff = now - timedelta(days=current_app.config["LEAD_CYCLE_DAYS"])
    due = and_(LeadCycle.ended_at.is_(None), LeadCycle.started_at <= cutoff)
    closed = Counter(dict(db.session.execute(
        select(LeadCycle.club_id, func.count()).where(due).group_by(LeadCycle.club_id)).all()))
    if not closed:
        return 0
    _drop_calls(select(LeadCycle.id).where(due))
    db.session.execute(update(LeadCycle).where(due)
                       .values(ended_at=now, outcome="lost", lost_reason="no_answer")
                       .execution_options(synchronize_session=False))
    for club_id, count in sorted(closed.items()):
        audit.record(None, "time_out_leads", "lead_cycle", None, club_id=club_id,
                     after={"cycles": count, "lost_reason": "no_answer"})
    db.session.flush()
    return sum(closed.values())


def stages_of(club_id: int, cycle_ids: list[int] | bool = True) -> dict[int, str]:
    """The stage of each of the club's lead cycles CYCLE_IDS (True: its open cycles), in one statement however many
    there are: won or lost when closed; else trial_attended (a trial attended or a visit since the cycle began),
    trial_booked (a trial session booked since), contacted (a staff contact that reached them since), or new."""
    if cycle_ids is True:
        which = LeadCycle.ended_at.is_(None)
        params = {"club_id": club_id}
    else:
        if not cycle_ids:
            return {}
        which = LeadCycle.id.in_(bindparam("ids", expanding=True))
        params = {"club_id": club_id, "ids": list(cycle_ids)}
    rows = db.session.execute(stages_statement(which), params).all()
    return {cycle_id: _stage(outcome, contacted, booked, attended)
            for cycle_id, outcome, contacted, booked, attended in rows}


def _stage(outcome: str | None, contacted: bool, booked: bool, attended: bool) -> str:
    if outcome is not None:
        return outcome
    if attended:
        return "trial_attended"
    if booked:
        return "trial_booked"
    return "contacted" if contacted else "new"


def stages_statement(which):
    """stages_of's statement: each cycle with three EXISTS, each served by the member's own index."""
    since = LeadCycle.started_at
    trial = (select(true()).select_from(Booking).join(ClubSession, ClubSession.id == Booking.session_id)
             .where(Booking.member_id == LeadCycle.member_id, ClubSession.kind == "trial",
                    Booking.created_at >= since))
    contacted = exists().where(StaffContact.member_id == LeadCycle.member_id,
                               StaffContact.outcome.in_(CONTACTED), StaffContact.created_at >= since)
    booked = trial.where(Booking.status.in_(HOLDS_PLACE)).exists()
    attended = or_(trial.where(Booking.status == "attended").exists(),
                   exists().where(Visit.member_id == LeadCycle.member_id, Visit.checked_in_at >= since))
    return (select(LeadCycle.id, LeadCycle.outcome, contacted.label("contacted"), booked.label("booked"),
                   attended.label("attended"))
            .where(LeadCycle.club_id == bindparam("club_id"), which))


# --- lost reasons ---------------------------------------------------------------------------------------------

def lost_reasons(club_id: int, seed: bool = True) -> list[LeadLostReason]:
    """The club's lost reasons, active and not, defaults first; a club without them first gets the defaults."""
    reasons = list(db.session.scalars(select(LeadLostReason).where(LeadLostReason.club_id == club_id)
                                      .order_by(LeadLostReason.id)))
    if seed and set(DEFAULT_LOST_REASONS) - {r.code for r in reasons}:
        ensure_reasons(club_id)
        return lost_reasons(club_id, seed=False)
    return reasons


def ensure_reasons(club_id: int) -> None:
    """Give the club the default lost reasons it lacks (a concurrent first seed may win the race: then nothing)."""
    have = set(db.session.scalars(select(LeadLostReason.code).where(LeadLostReason.club_id == club_id)))
    try:
        with db.session.begin_nested():
            db.session.add_all([LeadLostReason(club_id=club_id, code=code, label=None, active=True,
                                               created_at=utcnow())
                                for code in DEFAULT_LOST_REASONS if code not in have])
    except IntegrityError:
        pass


def reason_label(reason: LeadLostReason) -> str:
    """A lost reason's label in the reader's language (a club's own reason: its own words)."""
    return reason.label or str(LOST_REASON_NAMES.get(reason.code, reason.code))


def reason_choices(club_id: int) -> list[tuple[str, str]]:
    """(code, label) of the club's active lost reasons, for a form."""
    return [(r.code, reason_label(r)) for r in lost_reasons(club_id) if r.active]


def lost_reason_name(club_id: int, code: str | None) -> str:
    """Name the lost reason CODE of the club."""
    if code is None:
        return ""
    found = next((r for r in lost_reasons(club_id, seed=False) if r.code == code), None)
    return reason_label(found) if found is not None else str(LOST_REASON_NAMES.get(code, code))


def add_reason(actor: Staff, club: Club, label: str | None) -> LeadLostReason:
    """Add a lost reason of the club's own, in its own words."""
    label = " ".join((label or "").split())
    if not label:
        raise InvalidInput("label", _l("Enter the reason."))
    if len(label) > REASON_LABEL_MAX:
        raise InvalidInput("label", _l("A reason can have at most %(max)s characters.", max=REASON_LABEL_MAX))
    reasons = lost_reasons(club.id)
    if any(reason_label(r).casefold() == label.casefold() for r in reasons):
        raise InvalidInput("label", _l("The club has this reason already."), code="duplicate")
    reason = LeadLostReason(club_id=club.id, code=f"own_{secrets.token_hex(4)}", label=label, active=True,
                            created_at=utcnow())
    db.session.add(reason)
    db.session.flush()
    audit.record(actor, "create", "lead_lost_reason", reason.id, club_id=club.id, after={"name": label})
    return reason


def set_reason_active(actor: Staff, club: Club, reason_id: int | None, active: bool) -> LeadLostReason:
    """Switch one of the club's lost reasons off (no longer offered; cycles that gave it keep it) or on again."""
    reason = db.session.get(LeadLostReason, reason_id) if reason_id else None
    if reason is None or reason.club_id != club.id:
        raise NotFound("reason_id", _l("No such reason."))
    if reason.active != active:
        reason.active = active
        db.session.flush()
        audit.record(actor, "update", "lead_lost_reason", reason.id, club_id=club.id,
                     before={"name": reason_label(reason), "offered": not active}, after={"offered": active})
    return reason
