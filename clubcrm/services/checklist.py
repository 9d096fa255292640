"""The getting-started checklist a new club's managers see: which first steps are still open, and its marks."""
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from clubcrm.clock import utcnow
from clubcrm.db import insert_once
from clubcrm.errors import InvalidInput, NotAllowed
from clubcrm.extensions import db
from clubcrm.models import ChecklistMark, Club, ImportJob, Plan, Service, Staff
from clubcrm.services import audit

# The steps, in the order a new club takes them.
ITEMS = ("plans", "services", "staff", "sms", "import", "lifecycle")
# The mark that ends the list for good once every step is done or dismissed.
FINISHED = "all"


@dataclass(frozen=True)
class SmsSender:
    """Which parts of the SMS settings are present; never their values (the token is a secret)."""

    account_sid: bool
    auth_token: bool
    sender: bool

    @property
    def configured(self) -> bool:
        return self.account_sid and self.auth_token and self.sender


@dataclass(frozen=True)
class Checklist:
    open_items: tuple[str, ...]
    sms: SmsSender

    @property
    def total(self) -> int:
        return len(ITEMS)


def _present(value) -> bool:
    return value is not None and bool(str(value).strip())


def sms_sender(config: Mapping, club: Club) -> SmsSender:
    """Tell which SMS settings the club can send with: the installation's Twilio account and a sender, the
    installation's or the club's own (Settings → Clubs)."""
    sender = any(_present(value) for value in (
        config.get("TWILIO_MESSAGING_SERVICE_SID"), config.get("TWILIO_FROM"),
        club.sms_messaging_service_sid, club.sms_from))
    return SmsSender(_present(config.get("TWILIO_ACCOUNT_SID")), _present(config.get("TWILIO_AUTH_TOKEN")), sender)


def steps_done(club: Club, config: Mapping) -> dict[str, bool]:
    """Tell for each step whether the club's data shows it done (one query)."""
    row = db.session.execute(select(
        exists().where(Plan.club_id == club.id, Plan.active.is_(True)),
        exists().where(Service.club_id == club.id),
        exists().where(Staff.club_id == club.id, Staff.role == "desk", Staff.active.is_(True)),
        # An import that brought rows in; a walk-in lead registered at the desk is not the club's member list.
        exists().where(ImportJob.club_id == club.id, ImportJob.status == "done", ImportJob.imported_rows > 0),
    )).one()
    plans, services, staff, imported = row
    return {"plans": plans, "services": services, "staff": staff,
            "sms": sms_sender(config, club).configured, "import": imported,
            # Done only by a mark: a manager opened the lifecycle page (record_review) or dismissed the step.
            "lifecycle": False}


def for_viewer(viewer: Staff, club: Club, config: Mapping) -> Checklist | None:
    """Return the club's open steps for a manager or owner, or None: for desk staff, and for good once the list is
    marked finished. Reads only: a list with no open step left is returned empty, for the caller to mark_finished
    (so that the pages which find nothing to write commit nothing, and keep the rows they loaded)."""
    if not viewer.has_role("manager") or not viewer.sees_club(club.id):
        return None
    marks = set(db.session.scalars(select(ChecklistMark.item).where(ChecklistMark.club_id == club.id)))
    if FINISHED in marks:
        return None
    done = steps_done(club, config)
    open_items = tuple(item for item in ITEMS if not done[item] and item not in marks)
    return Checklist(open_items, sms_sender(config, club))


def mark_finished(viewer: Staff, club: Club) -> None:
    """End the club's checklist for good: every step is done or dismissed (seen by VIEWER first)."""
    insert_once(ChecklistMark, club_id=club.id, item=FINISHED, kind="finished", staff_id=viewer.id,
                created_at=utcnow())


def _check_manager(actor: Staff, club: Club) -> None:
    if not actor.has_role("manager") or not actor.sees_club(club.id):
        raise NotAllowed(None, _l("Only the club's managers and owners change its checklist."))


def dismiss(actor: Staff, club: Club, item: str) -> None:
    """Take a step off the club's checklist for good."""
    if item not in ITEMS:
        raise InvalidInput("item", _l("There is no such step in the checklist."))
    _check_manager(actor, club)
    if insert_once(ChecklistMark, club_id=club.id, item=item, kind="dismissed", staff_id=actor.id,
                   created_at=utcnow()):
        audit.record(actor, "dismiss", "checklist", None, club_id=club.id, after={"item": item})


def record_review(viewer: Staff, club: Club) -> None:
    """Mark the lifecycle step done: a manager or owner of the club has the lifecycle rules in front of them."""
    if not viewer.has_role("manager") or not viewer.sees_club(club.id):
        return
    already = db.session.scalar(select(ChecklistMark.id).where(ChecklistMark.club_id == club.id,
                                                               ChecklistMark.item.in_(("lifecycle", FINISHED))))
    if already is None:
        insert_once(ChecklistMark, club_id=club.id, item="lifecycle", kind="reviewed", staff_id=viewer.id,
                    created_at=utcnow())
