"""The outbox screen's list of messages, one page at a time (clubcrm.sms.screen keeps the rest of the screen)."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clubcrm.models import Club, Message
from clubcrm.models.sms import MESSAGE_STATUSES
from clubcrm.paging import Page, page_of


def outbox_page(club: Club, status: str | None, number: int, size: int) -> Page[Message]:
    """Return page NUMBER of CLUB's messages, newest first, with their members (one COUNT, one query with
    LIMIT/OFFSET); STATUS narrows them, an unknown one is ignored."""
    query = (select(Message).options(joinedload(Message.member)).where(Message.club_id == club.id)
             # The id last: a unique order, so that no message is on two pages or on none.
             .order_by(Message.created_at.desc(), Message.id.desc()))
    if status in MESSAGE_STATUSES:
        query = query.where(Message.status == status)
    return page_of(query, number, size)
