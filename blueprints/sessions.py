"""Sessions: the desk's week calendar, a session's bookings, scheduling and cancelling for managers."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.sessions import BookForm, ScheduleForm
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.models import Club, ClubSession
from clubcrm.services import members, sessions

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def _helpers(club: Club) -> dict:
    """Formatters for the templates: times and days in the club's zone and the reader's language."""
    zone = ZoneInfo(club.timezone)
    locale = str(get_locale())

    def clock_time(instant: datetime) -> str:
        return format_time(instant.astimezone(zone), "short", locale=locale)

    def weekday(day: date) -> str:
        return format_skeleton("MMMEd", day, locale=locale)

    def kind_name(kind: str) -> str:
        return {"class": _("Class"), "trial": _("Trial session"), "event": _("Club event")}.get(kind, kind)

    def status_name(status: str) -> str:
        return {"booked": _("Booked"), "waitlist": _("Waitlist"), "attended": _("Attended"),
                "no_show": _("No-show"), "cancelled": _("Cancelled")}.get(status, status)

    return {"clock_time": clock_time, "weekday": weekday, "kind_name": kind_name, "status_name": status_name,
            "local_day": lambda instant: instant.astimezone(zone).date()}


def _week_asked(club: Club) -> date:
    """The day named by ?week=YYYY-MM-DD, or today; anything unreadable means this week."""
    today = local_today(club.timezone)
    try:
        asked = date.fromisoformat(request.args.get("week", "")[:10])
    except ValueError:
        return today
    try:
        return sessions.check_week(club, asked)
    except DomainError:
        return today


def load_session(session_id: int) -> ClubSession:
    """Return the session or 404 when this login may not see it."""
    try:
        session = sessions.get_for(current_user, session_id)
    except NotFound:
        abort(404)
    if session.club_id != current_club().id:
        abort(404)
    return session


@bp.get("/")
@role_required("desk", "manager")
def index():
    """Show the club's week of sessions."""
    club = current_club()
    week = sessions.week(club, _week_asked(club))
    return render_template("sessions/week.html", club=club, week=week, today=local_today(club.timezone),
                           **_helpers(club))


def render_session(session: ClubSession, form: BookForm | None = None, status: int = 200):
    """Render a session's page; FORM puts a failed booking back with its errors."""
    club = current_club()
    return render_template("sessions/session.html", club=club, s=session,
                           bookings=sessions.bookings_of(session), form=form or BookForm(formdata=None),
                           **_helpers(club)), status


@bp.get("/<id:session_id>")
@role_required("desk", "manager")
def show(session_id: int):
    """Show a session with its bookings and waitlist."""
    return render_session(load_session(session_id))


@bp.post("/<id:session_id>/book")
@role_required("desk", "manager")
def book(session_id: int):
    """Book a member, found by card code, phone or id, into the session."""
    session = load_session(session_id)
    form = BookForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                member = members.lookup(current_club(), form.member.data)   # the session's club (load_session)
                booking = sessions.book(current_user, session, member)
                message = (_("%(name)s is booked.", name=member.full_name) if booking.status == "booked" else
                           _("The session is full: %(name)s is on the waitlist.", name=member.full_name))
        except DomainError as error:
            show_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("sessions.show", session_id=session_id))
    return render_session(load_session(session_id), form, 422)


def _booking_action(session_id: int, booking_id: int, action, success: str):
    session = load_session(session_id)
    try:
        with unit_of_work():
            action(sessions.get_booking(session, booking_id))
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(success, "success")
    return redirect(url_for("sessions.show", session_id=session_id))


@bp.post("/<id:session_id>/bookings/<id:booking_id>/cancel")
@role_required("desk", "manager")
def cancel_booking(session_id: int, booking_id: int):
    """Cancel a booking; the first on the waitlist moves up."""
    return _booking_action(session_id, booking_id, lambda b: sessions.cancel_booking(current_user, b),
                           _("Booking cancelled."))


@bp.post("/<id:session_id>/bookings/<id:booking_id>/attend")
@role_required("desk", "manager")
def attend(session_id: int, booking_id: int):
    """Mark a booked member as attended."""
    return _booking_action(session_id, booking_id, lambda b: sessions.mark_attended(current_user, b),
                           _("Marked as attended."))


@bp.post("/<id:session_id>/cancel")
@role_required("manager")
def cancel(session_id: int):
    """Cancel a session with its bookings."""
    session = load_session(session_id)
    try:
        with unit_of_work():
            count = sessions.cancel_session(current_user, session)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Session cancelled with %(count)s bookings.", count=count), "success")
    return redirect(url_for("sessions.show", session_id=session_id))


def _schedule_form(club: Club, form: ScheduleForm) -> ScheduleForm:
    form.trainer_id.choices = [(0, _("No trainer"))] + [(t.id, t.name) for t in sessions.trainers_of(club)]
    return form


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    """Schedule a class, trial session or club event."""
    club = current_club()
    form = _schedule_form(club, ScheduleForm())
    if form.validate_on_submit():
        try:
            with unit_of_work():
                session = sessions.schedule(current_user, club, form.values())
                target = url_for("sessions.index", week=session.starts_at.date().isoformat())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Session scheduled."), "success")
            return redirect(target)
    return render_template("sessions/form.html", form=form), 422 if form.errors else 200


@bp.get("/trainers")
@role_required("manager")
def trainers():
    """Show each trainer's sessions, attendance and trial sessions that led to a sale, for a period."""
    club = current_club()
    today = local_today(club.timezone)
    end = _day_arg("to", today, today)
    start = _day_arg("from", date(end.year, end.month, 1), today)
    if start > end:
        start = end
    stats = sessions.trainer_stats(club, start, end)
    return render_template("sessions/trainers.html", stats=stats, start=start, end=end,
                           format_percent=format_percent)


def _day_arg(name: str, default: date, today: date) -> date:
    """A day from the query string; anything unreadable or far from TODAY becomes DEFAULT."""
    try:
        value = date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return default
    return value if abs((value - today).days) <= 3650 else default
