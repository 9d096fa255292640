"""Where a member's contracts stand on a given day: current, frozen, ended, not yet started."""
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from clubcrm.extensions import db
from clubcrm.models import Freeze, Member, Membership


@dataclass(frozen=True)
class Standing:
    """The member's standing on one day; `state` is lead, active, frozen, expired, cancelled, future or none."""

    state: str
    today: date
    membership: Membership | None = None
    freeze: Freeze | None = None

    @property
    def days_left(self) -> int | None:
        """Days from today to the last day of the current membership (0 on its last day)."""
        if self.membership is None or self.state not in ("active", "frozen"):
            return None
        return (self.membership.ends_on - self.today).days


def memberships_of(member_id: int) -> list[Membership]:
    """Load a member's memberships with their plans and freezes in one query, newest end first."""
    # populate_existing: rows the session read earlier are overwritten with what the database holds now, so a
    # service that calls this after taking the member lock decides on the current end dates and freezes.
    return list(db.session.scalars(_MEMBERSHIPS_OF, {"member_id": member_id}).unique())


# Built once (every check-in, sale and card asks).
_MEMBERSHIPS_OF = (select(Membership).where(Membership.member_id == bindparam("member_id"))
                   .options(joinedload(Membership.freezes), joinedload(Membership.plan))
                   .order_by(Membership.ends_on.desc(), Membership.id.desc())
                   .execution_options(populate_existing=True))


def is_live(membership: Membership, today: date) -> bool:
    """Tell whether MEMBERSHIP is not cancelled as of TODAY."""
    return membership.cancelled_on is None or membership.cancelled_on > today


def freeze_on(membership: Membership, today: date) -> Freeze | None:
    """Return the freeze that covers TODAY, if any."""
    return next((f for f in membership.freezes if f.starts_on <= today <= f.ends_on), None)


def standing(member: Member, memberships: list[Membership], today: date) -> Standing:
    """Say where MEMBER stands on TODAY given all their MEMBERSHIPS."""
    if member.converted_at is None and not memberships:
        return Standing("lead", today)
    if not memberships:
        return Standing("none", today)
    current = [m for m in memberships if m.starts_on <= today <= m.ends_on and is_live(m, today)]
    if current:
        membership = max(current, key=lambda m: m.starts_on)
        freeze = freeze_on(membership, today)
        state = "frozen" if freeze else "active"
        return Standing(state, today, membership, freeze)
    future = [m for m in memberships if m.starts_on > today and is_live(m, today)]
    if future:
        return Standing("future", today, min(future, key=lambda m: m.starts_on))
    latest = memberships[0]
    state = "expired" if is_live(latest, today) else "cancelled"
    return Standing(state, today, latest)


def latest_live(memberships: list[Membership], today: date) -> Membership | None:
    """Return the live membership that ends last (the one a renewal would follow)."""
    live = [m for m in memberships if is_live(m, today)]
    return max(live, key=lambda m: (m.ends_on, m.id)) if live else None


FreezeDates = namedtuple("FreezeDates", "starts_on ends_on")


@dataclass
class ContractDates:
    """What standing() reads of a membership (its days and freezes), for lists that only say where members stand:
    read as plain rows, without the ORM's objects (the desk's search, profiled: a sixth of its time)."""

    id: int
    member_id: int
    starts_on: date
    ends_on: date
    cancelled_on: date | None
    freezes: list = field(default_factory=list)


# Built once: the desk's search asks on every keystroke. Newest end first, as memberships_of.
_CONTRACTS_OF = (
    select(Membership.id, Membership.member_id, Membership.starts_on, Membership.ends_on, Membership.cancelled_on,
           Freeze.id, Freeze.starts_on, Freeze.ends_on)
    .outerjoin(Freeze, Freeze.membership_id == Membership.id)
    .where(Membership.member_id.in_(bindparam("member_ids", expanding=True)))
    .order_by(Membership.ends_on.desc(), Membership.id.desc(), Freeze.id))


def standings(members: list[Member], today: date) -> dict[int, Standing]:
    """Say where each of MEMBERS stands on TODAY, loading all their contracts in one query (their memberships
    as ContractDates)."""
    if not members:
        return {}
    by_member: dict[int, list[ContractDates]] = {m.id: [] for m in members}
    contract = None
    for (id_, member_id, starts_on, ends_on, cancelled_on, freeze_id, freeze_start, freeze_end
         ) in db.session.execute(_CONTRACTS_OF, {"member_ids": list(by_member)}):
        if contract is None or contract.id != id_:
            contract = ContractDates(id_, member_id, starts_on, ends_on, cancelled_on)
            by_member[member_id].append(contract)
        if freeze_id is not None:
            contract.freezes.append(FreezeDates(freeze_start, freeze_end))
    return {m.id: standing(m, by_member[m.id], today) for m in members}
