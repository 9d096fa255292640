"""Chain access: a member whose plan is valid in every club of the chain is a guest at the other clubs' desks.

Another club's desk may find such a member by the exact card code or the exact phone number (never by name or
part of a number), see what the check-in needs (name, card code, standing) and check them in; nothing else of the
member (notes, contacts, SMS, tasks, sales) is opened there. Anyone else of another club is simply not found.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload

from clubcrm.clock import local_today
from clubcrm.errors import NotFound
from clubcrm.extensions import db
from clubcrm.models import Club, Member, Membership, Staff
from clubcrm.phones import try_e164
from clubcrm.services import members
from clubcrm.services.contracts import Standing, memberships_of, standing


@dataclass(frozen=True)
class Guest:
    """What another club's desk sees of a chain member: no contact details, no notes, no history."""

    member: Member
    home: Club
    standing: Standing


# Where a chain-wide membership lets its holder be a guest: in force (frozen too, then refused as frozen) or bought
# and yet to start (found, then refused as not started): the desk sees the member and the reason, not a stranger.
GUEST_STATES = ("active", "frozen", "future")


def chain_standing(member: Member, memberships: list[Membership], today: date) -> Standing:
    """Say where MEMBER stands at another club of the chain on TODAY (home-club date): by their chain-wide
    MEMBERSHIPS alone."""
    # A home-only membership is not valid at another club, whether it is current or not: it is left out, so a
    # member whose home-only plan runs now and whose chain-wide renewal starts later stands "future" there.
    return standing(member, [m for m in memberships if m.chain_wide], today)


def guest_standing(member: Member, memberships: list[Membership], today: date) -> Standing | None:
    """Return MEMBER's chain standing on TODAY if it makes them a guest at the chain's other clubs, else None.

    The one rule of chain access: the desk's search, the guest view and the check-in all ask it."""
    where = chain_standing(member, memberships, today)
    return where if where.state in GUEST_STATES else None


def as_guest(club: Club, member: Member) -> Guest | None:
    """MEMBER as CLUB's desk sees a guest, or None if they may not be found and checked in there (one statement:
    their memberships)."""
    if member.club_id == club.id or member.erased_at is not None:
        return None
    where = guest_standing(member, memberships_of(member.id), local_today(member.club.timezone))
    return None if where is None else Guest(member, member.club, where)


def is_guest(club: Club, member: Member) -> bool:
    """Tell whether MEMBER, of another club than CLUB, may be found and checked in at CLUB's desk."""
    return as_guest(club, member) is not None


def guest_for(staff: Staff, club: Club, member_id: int) -> Member:
    """Return another club's chain member for CLUB's desk; anyone else is not found, as an id nobody has."""
    member = db.session.get(Member, member_id)
    if member is None or not staff.sees_club(club.id) or not is_guest(club, member):
        raise NotFound("member_id", _l("No such member."))
    return member


def is_own_member(club: Club, member_id: int) -> bool:
    """Tell whether MEMBER_ID is a member of CLUB itself (their full card, not the guest view, is theirs)."""
    member = db.session.get(Member, member_id)
    return member is not None and member.club_id == club.id


def member_for_checkin(staff: Staff, club: Club | None, member_id: int) -> Member:
    """Return the member STAFF may check in at CLUB by id: one of a club they see, or a chain guest of CLUB."""
    member = db.session.get(Member, member_id)
    if member is not None and staff.sees_club(member.club_id):
        return member
    if club is None:
        raise NotFound("member_id", _l("No such member."))
    return guest_for(staff, club, member_id)


def find_guests(club: Club, text: str) -> list[Guest]:
    """Find other clubs' chain members by the exact card code or phone number typed at CLUB's desk, each as the
    desk sees a guest: one statement for the members with their home clubs, one for each one's memberships."""
    text = " ".join((text or "").split())
    if not text or len(text) > 64:
        return []
    # Card codes are unique in the chain and a phone is unique in each club: a handful of rows at most. A phone
    # that does not parse is NULL, which equals nothing.
    found = db.session.scalars(_GUESTS, {"club_id": club.id, "card": members.normalize_card(text),
                                         "phone": try_e164(text, club.country)}).all()
    return [guest for guest in (as_guest(club, member) for member in found) if guest is not None]


# Built once: the desk's search asks on every keystroke.
_GUESTS = (select(Member).options(joinedload(Member.club))
           .where(Member.club_id != bindparam("club_id"),
                  or_(Member.card_code == bindparam("card"), Member.phone == bindparam("phone")))
           .order_by(Member.id))


def guest_view(member: Member) -> Guest:
    """Gather what the desk needs to check a guest in: their home club and their standing there as a guest."""
    today = local_today(member.club.timezone)
    return Guest(member, member.club, chain_standing(member, memberships_of(member.id), today))
