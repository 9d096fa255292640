"""A sale at the desk with what follows it, in the caller's one transaction: the membership, then the Today call
it answers ("Renewed" is recorded only now that the sale is made), then the check-in it was sold for ("Sell and
check in": a refused check-in undoes the sale)."""
from datetime import date

from clubcrm.models import Member, Membership, Staff
from clubcrm.services import checkin, sales, tasks


def sell(staff: Staff, member: Member, plan_id: int | None, today: date, starts_on: date | None = None,
         check_in: bool = False, task_id: int | None = None) -> Membership:
    """Sell (or renew) MEMBER's membership of PLAN_ID; with TASK_ID record that renewal call's outcome, with
    CHECK_IN check the member in. Raises as each step does; the caller's rollback undoes them all."""
    sold = sales.sell_membership(staff, member, plan_id, today, starts_on=starts_on)
    if task_id:
        tasks.renewed_by_sale(staff, task_id, member, today)
    if check_in:
        checkin.check_in(staff, member)
    return sold
