"""Sell, renew, freeze and cancel memberships; sell service packages."""
from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, or_, select, update

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.formatting import day
from clubcrm.models import Freeze, LedgerEntry, Member, Membership, Package, Plan, Staff, Touchpoint, Visit
from clubcrm.services import audit, lead_cycles, packages, repeats
from clubcrm.services.club_closing import refuse_if_closed
from clubcrm.services.locks import lock_member
from clubcrm.services.members import refuse_erased, visible
from clubcrm.services.contracts import is_live, latest_live, memberships_of


def plan_for(club_id: int, plan_id: int | None) -> Plan:
    """Return the club's active plan PLAN_ID or refuse naming the field."""
    plan = db.session.get(Plan, plan_id) if plan_id else None
    if plan is None or plan.club_id != club_id or not plan.active:
        raise InvalidInput("plan_id", _l("Choose a plan that the club sells."))
    return plan


def renewal_target(memberships: list[Membership], today: date) -> Membership | None:
    """Return the membership a sale today would renew: live, and ending inside the renewal window."""
    previous = latest_live(memberships, today)
    if previous is None:
        return None
    before = current_app.config["RENEWAL_WINDOW_BEFORE_DAYS"]
    after = current_app.config["RENEWAL_WINDOW_AFTER_DAYS"]
    if previous.ends_on - timedelta(days=before) <= today <= previous.ends_on + timedelta(days=after):
        return previous
    return None


def sell_membership(
    staff: Staff, member: Member, plan_id: int | None, today: date, starts_on: date | None = None
) -> Membership:
    """Sell a plan; the first sale converts a lead, a sale in the renewal window links renews_id."""
    visible(staff, member)
    refuse_if_closed(member.club, "plan_id")
    plan = plan_for(member.club_id, plan_id)
    # Two desks selling at once must not both renew the same contract, nor a freeze move its end meanwhile:
    # everything below is decided on the contracts as they are once the lock is held.
    lock_member(member.id)
    refuse_erased(member)
    history = memberships_of(member.id)
    live = or_(Membership.cancelled_on.is_(None), Membership.cancelled_on > today)
    if repeats.latest_within(select(Membership).where(Membership.member_id == member.id, live),
                             Membership.sold_at, "SALE_REPEAT_SECONDS") is not None:
        raise Conflict("plan_id", _l("A membership was sold to this member a moment ago; "
                                     "check the card before selling another."), code="repeat_sale")
    previous = latest_live(history, today)
    renews = renewal_target(history, today)
    used_up = previous is not None and visits_used_up(previous)
    if covering(history, today) is not None:
        raise Conflict("plan_id", _l("This member is covered until %(date)s; a renewal can be sold "
                                     "from %(days)s days before the end.",
                                     date=day(previous.ends_on),
                                     days=current_app.config["RENEWAL_WINDOW_BEFORE_DAYS"]))
    if previous is None or used_up:
        earliest = today  # nothing left to wait for: a used-up visit pack covers no more visits
    else:
        earliest = max(today, previous.ends_on + timedelta(days=1))
    if starts_on is None:
        starts_on = earliest
    if starts_on < earliest:
        raise InvalidInput("starts_on", _l("The new membership can start on %(date)s at the earliest.",
                                           date=day(earliest)))
    if starts_on > today + timedelta(days=90):
        raise InvalidInput("starts_on", _l("A membership can start at most 90 days ahead."))
    membership = Membership(
        club_id=member.club_id, member_id=member.id, plan_id=plan.id,
        renews_id=renews.id if renews else None,
        starts_on=starts_on, ends_on=starts_on + timedelta(days=plan.duration_days - 1),
        visit_limit=plan.visit_limit, chain_wide=plan.chain_wide, price_minor=plan.price_minor,
        currency=plan.currency, sold_at=utcnow(), sold_by_id=staff.id,
    )
    db.session.add(membership)
    first_sale = member.converted_at is None
    if first_sale:
        member.converted_at = utcnow()
    db.session.flush()
    if first_sale:   # the lead is won: in this transaction, so a sale that fails leaves the cycle open
        lead_cycles.win(staff, member, membership)
    if plan.service_id and plan.service_units:
        packages.grant(staff, member, packages.service_for(member.club_id, plan.service_id),
                       plan.service_units, today, reason=f"plan:{plan.name}")
    audit.record(staff, "renew" if renews else "sell", "membership", membership.id,
                 club_id=member.club_id, member_id=member.id,
                 after={"plan": plan.name, "starts_on": starts_on, "ends_on": membership.ends_on,
                        "price_minor": plan.price_minor, "currency": plan.currency,
                        "renews_id": membership.renews_id})
    return membership


def covering(history: list[Membership], today: date,
             visits_used: Callable[[Membership], int] | None = None) -> Membership | None:
    """The live membership that keeps a new sale from being made TODAY: it still covers the member, is not
    yet in its renewal window, and (a visit pack) has visits left. None: a membership can be sold.
    VISITS_USED gives the visits made on a membership when the caller has counted them already (the card)."""
    previous = latest_live(history, today)
    if previous is None or previous.ends_on < today or renewal_target(history, today) is not None:
        return None
    return None if visits_used_up(previous, visits_used) else previous


def visits_used_up(membership: Membership, visits_used: Callable[[Membership], int] | None = None) -> bool:
    """Tell whether a visit-count membership has no visits left (counted by VISITS_USED, else by a query)."""
    if membership.visit_limit is None:
        return False
    used = visits_used(membership) if visits_used is not None else db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.membership_id == membership.id))
    return used >= membership.visit_limit


def _locked_contracts(staff: Staff, member: Member) -> list[Membership]:
    """Refuse another club's member; take the member lock, then read their contracts as they are now: a
    concurrent freeze, renewal or cancellation has either committed (and is seen here) or waits for this one."""
    visible(staff, member)
    lock_member(member.id)
    refuse_erased(member)
    return memberships_of(member.id)


def _membership_for(history: list[Membership], membership_id: int | None) -> Membership:
    membership = next((m for m in history if m.id == membership_id), None) if membership_id else None
    if membership is None:
        raise InvalidInput("membership_id", _l("Choose one of this member's memberships."))
    return membership


def freeze(
    staff: Staff, member: Member, membership_id: int | None, starts_on: date | None,
    ends_on: date | None, today: date, reason: str = "",
) -> Freeze:
    """Pause a membership from STARTS_ON to ENDS_ON (inclusive); its end date moves by as many days."""
    history = _locked_contracts(staff, member)
    membership = _membership_for(history, membership_id)
    same = next((f for f in membership.freezes if (f.starts_on, f.ends_on) == (starts_on, ends_on)), None)
    if same is not None and is_live(membership, today):
        return same   # the same freeze asked for again (a double click): it is there, the end moved once
    if not is_live(membership, today):
        raise InvalidInput("membership_id", _l("A cancelled membership cannot be frozen."))
    if starts_on is None:
        raise InvalidInput("starts_on", _l("Enter the first day of the freeze."))
    if ends_on is None:
        raise InvalidInput("ends_on", _l("Enter the last day of the freeze."))
    if starts_on < today:
        raise InvalidInput("starts_on", _l("A freeze cannot start in the past."))
    if starts_on < membership.starts_on:
        raise InvalidInput("starts_on", _l("The membership starts on %(date)s; a freeze cannot start before.",
                                           date=day(membership.starts_on)))
    if starts_on > membership.ends_on:
        raise InvalidInput("starts_on", _l("The freeze must start before the membership ends on %(date)s.",
                                           date=day(membership.ends_on)))
    if ends_on < starts_on:
        raise InvalidInput("ends_on", _l("The last day cannot be before the first."))
    length = (ends_on - starts_on).days + 1
    limit = current_app.config["MAX_FREEZE_DAYS"]
    if length + sum(f.days for f in membership.freezes) > limit:
        raise InvalidInput("ends_on", lazy_ngettext("A membership can be frozen for at most %(num)d day in all.",
                                                    "A membership can be frozen for at most %(num)d days in all.",
                                                    limit))
    if any(f.starts_on <= ends_on and starts_on <= f.ends_on for f in membership.freezes):
        raise InvalidInput("starts_on", _l("These days overlap another freeze."))
    if any(m.renews_id == membership.id and is_live(m, today) for m in history):
        raise Conflict("membership_id", _l("This membership is already renewed; freeze the new one."))
    before = membership.ends_on
    entry = Freeze(membership_id=membership.id, starts_on=starts_on, ends_on=ends_on,
                   reason=reason.strip()[:200] or None, created_by_id=staff.id)
    db.session.add(entry)
    membership.ends_on = membership.ends_on + timedelta(days=length)
    db.session.flush()
    dropped = drop_calls_while_frozen(member, starts_on, ends_on, today)
    audit.record(staff, "freeze", "membership", membership.id, club_id=member.club_id,
                 member_id=member.id, before={"ends_on": before},
                 after={"ends_on": membership.ends_on, "frozen_from": starts_on, "frozen_to": ends_on,
                        **({"calls_dropped": dropped} if dropped else {})})
    return entry


def drop_calls_while_frozen(member: Member, starts_on: date, ends_on: date, today: date) -> int:
    """Drop the staff calls planned for MEMBER while their membership is frozen (from STARTS_ON, or any still open
    when the freeze starts TODAY, to ENDS_ON): nobody calls a member on a break about missed visits. Return how
    many; each keeps "skipped: frozen" for the card and the statistics."""
    first = None if starts_on <= today else starts_on
    return db.session.execute(
        update(Touchpoint)
        .where(Touchpoint.member_id == member.id, Touchpoint.channel == "task", Touchpoint.status == "planned",
               Touchpoint.due_on <= ends_on, *([Touchpoint.due_on >= first] if first else []))
        .values(status="skipped", skip_reason="frozen")
        .execution_options(synchronize_session=False)).rowcount


def end_freeze(staff: Staff, member: Member, freeze_id: int | None, today: date) -> Membership:
    """End a freeze early: the member is back from today and the unused days come off the end date."""
    history = _locked_contracts(staff, member)
    entry = next((f for m in history for f in m.freezes if f.id == freeze_id), None) if freeze_id else None
    if entry is None:
        raise InvalidInput("freeze_id", _l("Choose one of this member's freezes."))
    membership = entry.membership
    if entry.ends_on < today:
        raise Conflict("freeze_id", _l("This freeze is already over."))
    if any(m.renews_id == membership.id and is_live(m, today) for m in history):
        raise Conflict("freeze_id", _l("This membership is already renewed; its end date cannot move."))
    before = {"ends_on": membership.ends_on, "frozen_to": entry.ends_on}
    if entry.starts_on >= today:  # never began: it goes away whole
        unused = entry.days
        db.session.delete(entry)
    else:
        unused = (entry.ends_on - today).days + 1
        entry.ends_on = today - timedelta(days=1)
    membership.ends_on = membership.ends_on - timedelta(days=unused)
    db.session.flush()
    db.session.expire(membership, ["freezes"])
    audit.record(staff, "unfreeze", "membership", membership.id, club_id=member.club_id, member_id=member.id,
                 before=before, after={"ends_on": membership.ends_on})
    return membership


def cancel(staff: Staff, member: Member, membership_id: int | None, today: date, reason: str) -> Membership:
    """Cancel a membership from today, with the reason the member gave."""
    membership = _membership_for(_locked_contracts(staff, member), membership_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", _l("Say why the membership is cancelled."))
    if membership.cancelled_at is not None:
        raise Conflict("membership_id", _l("This membership is already cancelled."))
    if membership.ends_on < today:
        raise Conflict("membership_id", _l("This membership has already ended."))
    membership.cancelled_at = utcnow()
    # From today: a contract that has not started yet is void at once, not live until its start.
    membership.cancelled_on = today
    membership.cancel_reason = reason[:200]
    membership.cancelled_by_id = staff.id
    db.session.flush()
    audit.record(staff, "cancel", "membership", membership.id, club_id=member.club_id,
                 member_id=member.id, after={"cancelled_on": membership.cancelled_on, "reason": reason})
    return membership


def sell_package(staff: Staff, member: Member, service_id: int | None, today: date):
    """Sell one package of a service at its price: its units go onto the member's balance; the same sale again
    within moments (a double click) answers the first one."""
    visible(staff, member)
    refuse_if_closed(member.club, "service_id")
    service = packages.service_for(member.club_id, service_id)
    if not service.active:
        raise InvalidInput("service_id", _l("Choose a service."))
    lock_member(member.id)   # a second click waits here, then finds the first's grant
    refuse_erased(member)
    first = repeats.latest_within(
        select(LedgerEntry).join(Package, Package.id == LedgerEntry.package_id)
        # The same login's: a double click. Another desk's sale moments later is a sale of its own.
        .where(Package.member_id == member.id, Package.service_id == service.id, LedgerEntry.kind == "grant",
               LedgerEntry.reason == "sale", LedgerEntry.staff_id == staff.id),
        LedgerEntry.created_at, "SALE_REPEAT_SECONDS")
    if first is not None:
        return first
    entry = packages.grant(staff, member, service, service.package_units, today, reason="sale",
                           price_minor=service.price_minor)
    if member.converted_at is None:
        member.converted_at = utcnow()
        lead_cycles.win(staff, member, None)
    return entry
