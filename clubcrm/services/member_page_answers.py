"""The member's answers on their page: the link's open, a renewal offer's answer, SMS on or off, the language.

Each is called by blueprints/member_page.py inside a unit of work with the `Found` of a valid token, acts for that
member only, and is safe to repeat: a second tap (or two at once) changes nothing and records nothing twice. A
refusal is a DomainError raised before anything is written.
"""
import logging

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from clubcrm.clock import utcnow
from clubcrm.errors import Conflict, InvalidInput
from clubcrm.extensions import db
from clubcrm.i18n import LOCALE_NAMES, SUPPORTED_LOCALES
from clubcrm.models import Touchpoint
from clubcrm.services import audit, member_links
from clubcrm.services.member_links import Found
from clubcrm.services.member_page import is_renewal_offer
from clubcrm.services.tasks import MEMBER_ASKED
from clubcrm.sms import confirmation, inbound

log = logging.getLogger(__name__)

# The answers to a renewal offer, each the kind of the task it puts on Today (clubcrm.lifecycle.labels names them).
ANSWERS = MEMBER_ASKED
THANKS = {
    "call_me": _l("Thank you — the club will call you about renewing."),
    "at_desk": _l("Thank you — the club will have your renewal ready at the desk."),
}
SOURCE = "member_page"   # in the consent history


def viewed(found: Found) -> None:
    """The page was shown in a browser (its own script posts once): the first time counts as the link's open, on
    its touchpoint (the time only) and as an "opened" page event. Later posts, and a page opened by a link that
    belongs to no touchpoint, change nothing."""
    point = found.touchpoint
    if point is None:
        return
    now = utcnow()
    # Compare-and-set: of two posts at once exactly one finds opened_at empty.
    first = db.session.execute(
        update(Touchpoint).where(Touchpoint.id == point.id, Touchpoint.opened_at.is_(None)).values(opened_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(point, ["opened_at"])
    if first:
        member_links.record(found, "opened", now=now)
        log.info("member page of touchpoint %s opened", point.id)


def answer_renewal(found: Found, answer: str):
    """The member's answer to the renewal offer whose SMS carried the link: "call_me" or "at_desk". It is kept on
    the touchpoint (a changed answer replaces the one before) and puts a call at the top of the club's Today with
    the member's choice, once however often they tap. Return the thanks shown to the member."""
    if answer not in ANSWERS:
        raise InvalidInput("answer", _l("Choose to be called or to renew at the desk."))
    point = found.touchpoint
    if not is_renewal_offer(found) or point.membership_id is None:
        raise Conflict("answer", _l("This link is not about renewing your membership; please ask the club."),
                       code="not_renewal")
    now = utcnow()
    # Compare-and-set: the same answer twice, or two taps at once, changes it once.
    changed = db.session.execute(
        update(Touchpoint).where(Touchpoint.id == point.id,
                                 or_(Touchpoint.answer.is_(None), Touchpoint.answer != answer))
        .values(answer=answer, answered_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(point, ["answer", "answered_at"])
    if changed:
        member_links.record(found, answer, now=now)
        _ask_staff(found, answer, now)
        log.info("member page of touchpoint %s: renewal answer %s", point.id, answer)
    return THANKS[answer]


def _ask_staff(found: Found, answer: str, now) -> None:
    """The call task of the member's ANSWER on the renewal offer's membership cycle: made on the first answer
    (one occurrence per offer, so a second tap finds it), its kind changed with a later different answer while it
    is still open, and made anew when staff have closed it already (the member said something new: a call they
    ask for after the desk's call must not go unheard). Made also where the club switched "member replied" tasks
    off: the member was promised a call."""
    point = found.touchpoint
    first = inbound.occurrence_of(f"member_page:renewal:{point.id}", "", None, now)
    if _task_for(found, answer, first, now):
        return
    still_open = db.session.execute(
        update(Touchpoint).where(Touchpoint.membership_id == point.membership_id, Touchpoint.channel == "task",
                                 Touchpoint.task_kind.in_(ANSWERS), Touchpoint.status == "planned")
        .values(task_kind=answer).execution_options(synchronize_session=False)).rowcount
    if not still_open:
        _task_for(found, answer, inbound.occurrence_of(f"member_page:renewal:{point.id}:{now.isoformat()}", "", None,
                                                       now), now)


def _task_for(found: Found, answer: str, occurrence: int, now) -> bool:
    """Make the ANSWER's call task of OCCURRENCE; False when it was made before."""
    point = found.touchpoint
    return inbound.member_task(found.member, {"membership_id": point.membership_id}, point.stage, occurrence,
                               {}, now, task_kind=answer, asked=True) is not None


def set_sms(found: Found, value: str):
    """Stop ("stop") or restart ("start") the club's SMS to the member, as an SMS STOP or START does, with
    member_page as the source in the consent history. A restart undoes a stop only: a member who never agreed to
    SMS (or whose consent the club withdrew) is asked to see the desk. Return what the member is told."""
    member = found.member
    if value == "stop":
        now = utcnow()
        if inbound.opt_out([member.id], now, SOURCE):
            _changed(found, "sms_stop", {"sms_opted_out_at": None}, {"sms_opted_out_at": now})
        confirmation.decline([member.id], now)   # as STOP does: a pending consent request is declined
        db.session.refresh(member)
        return _l("You will get no more SMS from the club.")
    if value == "start":
        db.session.refresh(member)
        if not (member.sms_consent and member.phone):
            raise Conflict("sms", _l("The club has no consent from you for SMS; please ask at the desk."),
                           code="no_consent")
        before, now = member.sms_opted_out_at, utcnow()
        if inbound.opt_in([member.id], now, SOURCE):
            _changed(found, "sms_start", {"sms_opted_out_at": before}, {"sms_opted_out_at": None})
            db.session.refresh(member)
        return _l("You will get SMS from the club again.")
    raise InvalidInput("sms", _l("Choose to stop or to restart SMS."))


def set_language(found: Found, locale: str):
    """The member's language (one of SUPPORTED_LOCALES): their page and the club's later SMS use it. Return what
    the member is told, in the new language."""
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput("locale", _l("Choose one of the languages shown."))
    member = found.member
    before = member.locale
    if before != locale:
        member.locale = locale
        db.session.flush()
        _changed(found, "language", {"locale": before}, {"locale": locale})
    with force_locale(locale):
        return _("Your page and the club's messages are now in %(language)s.", language=LOCALE_NAMES[locale])


def _changed(found: Found, kind: str, before: dict, after: dict) -> None:
    """A change the member made themselves: a page event on their card and an audit event without staff."""
    member = found.member
    member_links.record(found, kind)
    audit.record(None, "update", "member", member.id, club_id=member.club_id, member_id=member.id,
                 before=before, after=after)
    log.info("member page of touchpoint %s: %s", found.touchpoint.id if found.touchpoint else None, kind)
