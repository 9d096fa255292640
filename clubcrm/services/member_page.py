"""What the member page shows (membership, balances, bookings, sessions that fit) and its bookings."""
from clubcrm.services.member_links import Found


def view(found: Found):
    """Everything the page of FOUND's member shows."""
    raise NotImplementedError("issue 18, part 2")


def book(found: Found, session_id: int):
    raise NotImplementedError("issue 18, part 2")


def cancel(found: Found, booking_id: int):
    raise NotImplementedError("issue 18, part 2")
