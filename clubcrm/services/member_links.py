"""Member links: PUBLIC_URL/m/<token> in a lifecycle SMS opens that member's own page.

A token is 11 URL-safe characters from `secrets` (8 random bytes, 64 bits), so the link always has the same
length. The outbox keeps a text with the link masked (the same length: MASK), which is what the card, the outbox
screen and the GDPR export show; the dispatcher makes the token when it sends (`mint`) and puts it into the text it
hands to Twilio (`unmask`), so the segments counted when the message was queued are the segments sent. Only the
token's SHA-256 is stored.

A text's link sentence is the one that ends with `{link}`: where the member page is off, or no PUBLIC_URL is set,
that sentence is left out (`without_link_sentence`) and the rest of the text is sent.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from clubcrm.clock import utcnow
from clubcrm.extensions import db
from clubcrm.models import Club, Member, MemberLink, MemberPageEvent, Touchpoint
from clubcrm.sms.client import public_base

TOKEN_BYTES = 8
TOKEN_LENGTH = 11   # len(secrets.token_urlsafe(TOKEN_BYTES)): base64url without padding
MASK = "*" * TOKEN_LENGTH
PATH = "/m/"
PLACEHOLDER = "{link}"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{%d}" % TOKEN_LENGTH)
# A link as sent (with its token), to be masked again.
_SENT_LINK = re.compile(re.escape(PATH) + _TOKEN_SHAPE.pattern)
# Where a sentence ends: . ! ? (or the CJK-free equivalents our six languages use) followed by a space, or a new line.
_SENTENCE_END = re.compile(r"[.!?…]\s+|\n")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def links_on(club: Club) -> bool:
    """Tell whether CLUB's texts carry member links: its member page is on and the site has a public address."""
    return bool(club.member_page_enabled and public_base(current_app.config))


def masked_link() -> str:
    """The link as the outbox keeps it: the site's address and a masked token of a real token's length."""
    return f"{public_base(current_app.config)}{PATH}{MASK}"


def without_link_sentence(text: str) -> str:
    """TEXT without the sentence that holds {link} (from the end of the sentence before it to the link and what
    sticks to it, as a closing bracket); TEXT as it is when it has no link."""
    at = text.find(PLACEHOLDER)
    if at < 0:
        return text
    start = 0
    for end in _SENTENCE_END.finditer(text, 0, at):
        start = end.end()
    stop = at + len(PLACEHOLDER)
    while stop < len(text) and not text[stop].isspace():
        stop += 1
    before, after = text[:start].rstrip(), text[stop:].lstrip()
    return without_link_sentence(" ".join(part for part in (before, after) if part))


def has_link(body: str) -> bool:
    return f"{PATH}{MASK}" in body


def unmask(body: str, token: str) -> str:
    """BODY as sent: its masked link with TOKEN in it."""
    return body.replace(f"{PATH}{MASK}", f"{PATH}{token}", 1)


def mask(sent: str) -> str:
    """SENT (a text as it went out, a token in its link) as the outbox stores it: the token masked."""
    return _SENT_LINK.sub(PATH + MASK, sent, count=1)


def mint(message, now: datetime | None = None, via=None) -> str:
    """Make the token of MESSAGE's link and keep its hash (a resend replaces the one made before); return the
    token, which the caller puts into the text it sends and nowhere else. VIA: the session by default, or a
    connection that commits on its own (dispatch's)."""
    now = now or utcnow()
    token = new_token()
    days = int(current_app.config.get("MEMBER_LINK_DAYS") or 30)
    values = {"token_hash": hash_token(token), "created_at": now, "expires_at": now + timedelta(days=days)}
    conn = via or db.session
    changed = conn.execute(update(MemberLink).where(MemberLink.message_id == message.id).values(**values)).rowcount
    if not changed:
        conn.execute(MemberLink.__table__.insert().values(
            club_id=message.club_id, member_id=message.member_id, touchpoint_id=message.touchpoint_id,
            message_id=message.id, **values))
    return token


@dataclass(frozen=True)
class Found:
    """What a valid token opens: the member's page, within the touchpoint whose SMS carried the link (no link: the
    staff's preview of the page)."""
    link: MemberLink | None
    member: Member
    club: Club
    touchpoint: Touchpoint | None


def find(token: str, now: datetime | None = None) -> Found | None:
    """The page TOKEN opens, or None: unknown, expired, an erased member, a closed club or a club whose member page
    is off. Every case costs the same one statement, so an answer's time does not tell whether a token existed."""
    now = now or utcnow()
    digest = hash_token(token if _TOKEN_SHAPE.fullmatch(token or "") else MASK)
    row = db.session.execute(
        select(MemberLink, Member, Club, Touchpoint)
        .join(Member, Member.id == MemberLink.member_id).join(Club, Club.id == MemberLink.club_id)
        .outerjoin(Touchpoint, Touchpoint.id == MemberLink.touchpoint_id)
        .options(joinedload(Touchpoint.tool))   # the page asks whether its text was a renewal offer: no 2nd trip
        .where(MemberLink.token_hash == digest)
    ).first()
    if row is None:
        return None
    link, member, club, touchpoint = row
    closed = club.closed_on is not None and club.closed_on <= now.astimezone(ZoneInfo(club.timezone)).date()
    if link.expires_at <= now or member.erased_at is not None or not club.member_page_enabled or closed:
        return None
    return Found(link, member, club, touchpoint)


def preview(member: Member) -> Found | None:
    """The page MEMBER's latest link opens, for staff to see it as the member does (one statement); a member who
    was never sent a link gets the page of no message, an erased member none (as their links open nothing).
    Nothing is minted and nothing is recorded."""
    if member.erased_at is not None:
        return None
    touchpoint = db.session.scalars(
        select(Touchpoint).join(MemberLink, MemberLink.touchpoint_id == Touchpoint.id)
        .where(MemberLink.member_id == member.id).order_by(MemberLink.id.desc()).limit(1)).first()
    return Found(None, member, member.club, touchpoint)


def record(found: Found, kind: str, session_id: int | None = None, now: datetime | None = None) -> None:
    """Note on the member card what the member did on their page."""
    db.session.add(MemberPageEvent(club_id=found.club.id, member_id=found.member.id,
                                   touchpoint_id=found.touchpoint.id if found.touchpoint else None, kind=kind,
                                   session_id=session_id, created_at=now or utcnow()))


def forget(member_id: int) -> None:
    """Make every link of MEMBER_ID stop working at once (erasure): the rows go."""
    db.session.execute(MemberLink.__table__.delete().where(MemberLink.member_id == member_id))
