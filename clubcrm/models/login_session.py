"""Logins over time: the sessions a login opens (checked on every request) and the failed attempts that
throttle guessing."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clubcrm.models.base import UTCDateTime, db
from clubcrm.models.staff import Staff

# Why a login session ended: logged out here, "log out everywhere", ended from the devices page, the password
# changed, the login switched off, idle too long, older than the absolute lifetime.
END_REASONS = ("logout", "everywhere", "ended", "password", "deactivated", "idle", "expired")


class LoginSession(db.Model):
    """One signed-in browser: the session cookie carries a random id whose SHA-256 is stored here."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    # SHA-256 of the id in the cookie, in hex: a copy of this table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    # "Firefox · Windows", read roughly from the User-Agent, so staff can tell their devices apart.
    client_summary: Mapped[str] = mapped_column(String(80), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")

    staff: Mapped[Staff] = relationship()


class LoginFailure(db.Model):
    """One failed (or still undecided) login attempt, kept for the throttling window only.

    Shared through the database so that every gunicorn worker counts the same attempts."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_client_at", "client", "at"),
        Index("ix_login_failure_account_at", "account", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The client's address (an IPv6 client's /64 network: one subscriber holds all of it).
    client: Mapped[str] = mapped_column(String(64))
    # HMAC of the email as typed (lower-cased): an unknown email counts like a real one, and whatever was typed
    # into the email field (sometimes a password) is not stored.
    account: Mapped[str] = mapped_column(String(64))
    # The device cookie's id when the attempt came from a device trusted for this account, else None.
    device: Mapped[str | None] = mapped_column(String(32))
