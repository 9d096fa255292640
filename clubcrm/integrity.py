"""The database's invariants, each checked by one set-based query: `clubcrm check` and the fault suite run them.

Each check finds rows that no correct sequence of the services can leave behind, so anything it reports is a
defect (or a hand edit), never a judgement call. Problems name ids only: the report may be pasted anywhere."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from clubcrm.extensions import db
from clubcrm.models import (
    Freeze, LeadCycle, LedgerEntry, Member, MemberLink, Membership, Message, Package, Visit,
)

# The statuses of a message that Twilio accepted: two of these for one planned contact mean it went out twice.
SENT = ("sent", "delivered", "undelivered")


@dataclass(frozen=True)
class Problem:
    """One broken invariant: which check found it and the ids involved."""

    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}"


def _grouped(pairs) -> Iterator[tuple[int, str]]:
    """(owner, a, b) overlapping pairs, ordered by owner → one line per owner naming every row involved (ten
    identical freezes are one problem of ten rows, not 45 pairs)."""
    owner, ids = None, set()
    for key, first, second in pairs:
        if key != owner and ids:
            yield owner, ", ".join(map(str, sorted(ids)))
            ids = set()
        owner = key
        ids.update((first, second))
    if ids:
        yield owner, ", ".join(map(str, sorted(ids)))


def _used_up(membership) -> object:
    """A visit pack with every visit used: the desk may sell the next one to start today, inside its dates."""
    used = (select(func.count()).select_from(Visit).where(Visit.membership_id == membership.id)
            .correlate(membership).scalar_subquery())
    return and_(membership.visit_limit.is_not(None), used >= membership.visit_limit)


def overlapping_memberships() -> Iterator[Problem]:
    """Two live contracts of one member covering the same day (a renewal raced a freeze, say)."""
    a, b = aliased(Membership), aliased(Membership)
    # A cancelled contract is void from its cancelled_on: it covers [starts_on, min(ends_on, cancelled_on - 1)].
    # max(starts) <= min(effective ends), written pairwise so that no engine needs date arithmetic.
    query: Select = (
        select(a.member_id, a.id, b.id)
        .join(b, and_(b.member_id == a.member_id, b.id > a.id))
        .where(a.starts_on <= b.ends_on, b.starts_on <= a.ends_on,
               or_(a.cancelled_on.is_(None), and_(a.cancelled_on > a.starts_on, a.cancelled_on > b.starts_on)),
               or_(b.cancelled_on.is_(None), and_(b.cancelled_on > b.starts_on, b.cancelled_on > a.starts_on)),
               ~_used_up(a), ~_used_up(b))
        .order_by(a.member_id, a.id, b.id)
    )
    for member_id, ids in _grouped(db.session.execute(query)):
        yield Problem("overlapping memberships", f"member {member_id}: memberships {ids}")


def overlapping_freezes() -> Iterator[Problem]:
    """Two freezes of one membership sharing a day: its end date was pushed twice for the same days."""
    a, b = aliased(Freeze), aliased(Freeze)
    query = (
        select(a.membership_id, a.id, b.id)
        .join(b, and_(b.membership_id == a.membership_id, b.id > a.id))
        .where(a.starts_on <= b.ends_on, b.starts_on <= a.ends_on)
        .order_by(a.membership_id, a.id, b.id)
    )
    for membership_id, ids in _grouped(db.session.execute(query)):
        yield Problem("overlapping freezes", f"membership {membership_id}: freezes {ids}")


def renewals_of_another_member() -> Iterator[Problem]:
    """A renewal whose previous contract belongs to someone else."""
    renewal, previous = aliased(Membership), aliased(Membership)
    query = (select(renewal.id, previous.id).join(previous, previous.id == renewal.renews_id)
             .where(previous.member_id != renewal.member_id).order_by(renewal.id))
    for renewal_id, previous_id in db.session.execute(query):
        yield Problem("renewal of another member's contract", f"membership {renewal_id} renews {previous_id}")


def balances_off_ledger() -> Iterator[Problem]:
    """A package balance that is not the sum of its ledger (balances change only through ledger rows)."""
    ledger = (select(LedgerEntry.package_id, func.sum(LedgerEntry.units).label("units"))
              .group_by(LedgerEntry.package_id).subquery())
    total = func.coalesce(ledger.c.units, 0)
    query = (select(Package.id, Package.balance, total).outerjoin(ledger, ledger.c.package_id == Package.id)
             .where(Package.balance != total).order_by(Package.id))
    for package_id, balance, units in db.session.execute(query):
        yield Problem("balance off its ledger", f"package {package_id}: balance {balance}, ledger {units}")


def ledger_signs() -> Iterator[Problem]:
    """A grant that takes units or a redeem that gives them."""
    query = (select(LedgerEntry.id, LedgerEntry.kind)
             .where(or_(and_(LedgerEntry.kind == "grant", LedgerEntry.units < 0),
                        and_(LedgerEntry.kind == "redeem", LedgerEntry.units > 0)))
             .order_by(LedgerEntry.id))
    for entry_id, kind in db.session.execute(query):
        yield Problem("ledger entry of the wrong sign", f"ledger entry {entry_id} ({kind})")


def messages_sent_twice() -> Iterator[Problem]:
    """One planned contact (membership or lead cycle, rule, occurrence: a touchpoint's natural key) sent in two
    messages.

    The idempotency key and the touchpoint link are unique columns, so a second send of one contact can only
    hide under another key or an unlinked row; grouping by the natural key finds it either way."""
    query = (
        select(Message.membership_id, Message.lead_cycle_id, Message.rule_id, Message.occurrence,
               func.count(), func.min(Message.id), func.max(Message.id))
        .where(Message.rule_id.is_not(None), Message.status.in_(SENT))
        .group_by(Message.membership_id, Message.lead_cycle_id, Message.rule_id, Message.occurrence)
        .having(func.count() > 1)
        .order_by(func.min(Message.id))
    )
    for membership_id, lead_cycle_id, rule_id, occurrence, count, first, last in db.session.execute(query):
        cycle = f"membership {membership_id}" if membership_id is not None else f"lead cycle {lead_cycle_id}"
        yield Problem("message sent twice",
                      f"{cycle}, rule {rule_id}, occurrence {occurrence}: {count} messages sent (ids {first}..{last})")


def open_cycles_of_buyers() -> Iterator[Problem]:
    """A member who bought with a lead cycle still open: the first sale (or an imported membership) closes it."""
    query = (select(LeadCycle.member_id, LeadCycle.id).join(Member, Member.id == LeadCycle.member_id)
             .where(LeadCycle.ended_at.is_(None), Member.converted_at.is_not(None)).order_by(LeadCycle.id))
    for member_id, cycle_id in db.session.execute(query):
        yield Problem("open lead cycle of a member who bought", f"member {member_id}: lead cycle {cycle_id}")


def links_of_erased_members() -> Iterator[Problem]:
    """A member link of an erased member: erasure deletes them, so that no old SMS opens the page again."""
    query = (select(MemberLink.member_id, func.count()).join(Member, Member.id == MemberLink.member_id)
             .where(Member.erased_at.is_not(None)).group_by(MemberLink.member_id).order_by(MemberLink.member_id))
    for member_id, count in db.session.execute(query):
        yield Problem("member link of an erased member", f"member {member_id}: {count} links")


CHECKS: tuple[Callable[[], Iterator[Problem]], ...] = (
    overlapping_memberships, overlapping_freezes, renewals_of_another_member, balances_off_ledger, ledger_signs,
    messages_sent_twice, open_cycles_of_buyers, links_of_erased_members,
)


def problems() -> list[Problem]:
    """Run every check; return what they found (empty: the database keeps its invariants)."""
    return [problem for check in CHECKS for problem in check()]
