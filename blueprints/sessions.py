"""Sessions: the desk's week calendar, a session's bookings, scheduling and cancelling for managers."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.sessions import BookForm, EditSessionForm, ScheduleForm, TrainerPeriodForm
from clubcrm.clock import local_today
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.models import Club, ClubSession
from clubcrm.phones import display as phone_display
from clubcrm.formatting import money, to_major
from clubcrm.services import members, packages, sessions

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
    room = request.args.get("room", "")[:40] or None
    trainer = request.args.get("trainer", "")
    trainer_id = int(trainer) if trainer.isdigit() and int(trainer) < 2**31 else None
    week = sessions.week(club, _week_asked(club), room=room, trainer_id=trainer_id)
    booking_for = _member_to_book(club)
    return render_template("sessions/week.html", club=club, week=week, today=local_today(club.timezone),
                           rooms=sessions.rooms_of(club), trainers=sessions.trainers_of(club), room=room,
                           trainer_id=trainer_id, booking_for=booking_for, **_helpers(club))


def _member_to_book(club: Club):
    """The member named by ?book=ID (a Today call whose outcome was "Booked a session"), if of this club."""
    asked = request.args.get("book", "")
    if not asked.isdigit() or int(asked) >= 2**31:
        return None
    try:
        member = members.get_for(current_user, int(asked))
    except NotFound:
        return None
    return member if member.club_id == club.id else None


def render_session(session: ClubSession, form: BookForm | None = None, status: int = 200, choices=None):
    """Render a session's page; FORM puts a failed booking back with its errors, CHOICES the members a name
    fits."""
    club = current_club()
    return render_template("sessions/session.html", club=club, s=session,
                           bookings=sessions.bookings_of(session), form=form or BookForm(formdata=None),
                           over=sessions.has_started(session), choices=choices, **_helpers(club)), status


@bp.get("/<id:session_id>")
@role_required("desk", "manager")
def show(session_id: int):
    """Show a session with its bookings and waitlist; ?book=ID puts that member in the booking form."""
    member = _member_to_book(current_club())
    form = BookForm(formdata=None, member=str(member.id)) if member is not None else None
    return render_session(load_session(session_id), form)


@bp.post("/<id:session_id>/book")
@role_required("desk", "manager")
def book(session_id: int):
    """Book a member, found by name, card code, phone or id, into the session; a session that has started records
    attendance instead. A name that several members share lists them to choose from."""
    session = load_session(session_id)
    form = BookForm()
    if form.validate_on_submit():
        over = sessions.has_started(session)
        try:
            with unit_of_work():
                member, several = members.lookup_or_search(current_club(), form.member.data)
                if several:
                    return render_session(load_session(session_id), form, 200, choices=several)
                if over:
                    sessions.record_attendance(current_user, session, member)
                    message = _("%(name)s attended.", name=member.full_name)
                else:
                    booking = sessions.book(current_user, session, member)
                    message = (_("%(name)s is booked.", name=member.full_name) if booking.status == "booked" else
                               _("The session is full: %(name)s is on the waitlist.", name=member.full_name))
                    if session.price_minor:
                        message += " " + _("To pay at the desk: %(price)s.",
                                           price=money(session.price_minor, current_club().currency))
        except DomainError as error:
            show_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for("sessions.show", session_id=session_id))
    return render_session(load_session(session_id), form, 422)


@bp.get("/<id:session_id>/find")
@role_required("desk", "manager")
def find(session_id: int):
    """The members whose name, phone or card matches ?q=, each with a button that books them (the booking form's
    live search)."""
    session = load_session(session_id)
    club = current_club()
    found = members.search(club.id, request.args.get("q", "")[:100], club.country, limit=10)
    return render_template("sessions/_found.html", s=session, found=found,
                           over=sessions.has_started(session))


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
            done = sessions.cancel_session(current_user, session)
            to_call = ", ".join(f"{m.full_name} {phone_display(m.phone) if m.phone else ''}".strip()
                                for m in done.to_call)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        told = (" " + ngettext("%(num)d member is told by SMS.", "%(num)d members are told by SMS.", done.texted)
                if done.texted else "")
        flash(ngettext("Session cancelled with %(num)d booking.", "Session cancelled with %(num)d bookings.",
                       done.bookings) + told, "success")
        if to_call:
            flash(_("Calls to tell them are on Today's list (no SMS consent): %(members)s", members=to_call),
                  "warning")
    return redirect(url_for("sessions.show", session_id=session_id))


def _schedule_form(club: Club, form: ScheduleForm) -> ScheduleForm:
    form.trainer_id.choices = [(0, _("No trainer"))] + [(t.id, t.name) for t in sessions.trainers_of(club)]
    form.service_id.choices = [(0, _("No package"))] + [(s.id, s.name) for s in packages.active_services(club.id)]
    return form


def _filled(form: EditSessionForm, session: ClubSession, club: Club) -> EditSessionForm:
    """The edit form as the session is now (times on the club's wall clock)."""
    zone = ZoneInfo(club.timezone)
    form.kind.data, form.title.data, form.activity.data = session.kind, session.title, session.activity
    form.starts_at.data = session.starts_at.astimezone(zone).replace(tzinfo=None)
    form.ends_at.data = session.ends_at.astimezone(zone).replace(tzinfo=None)
    form.capacity.data, form.trainer_id.data, form.room.data = session.capacity, session.trainer_id, session.room
    form.price.data = None if session.price_minor is None else to_major(session.price_minor, club.currency)
    form.service_id.data = session.service_id
    return form


@bp.route("/<id:session_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(session_id: int):
    """Change a session to come, or it and the rest of its weekly series."""
    club = current_club()
    session = load_session(session_id)
    form = _schedule_form(club, EditSessionForm())
    status = 200
    if request.method == "GET":
        _filled(form, session, club)
    elif not form.validate_on_submit():
        status = 422
    else:
        try:
            with unit_of_work():
                done = sessions.edit(current_user, session, form.values(),
                                     following=bool(form.following.data and session.series_id))
                to_call = [m.full_name for m in done.to_call]
        except DomainError as error:
            show_error(form, error)
            status = error.http_status
        else:
            flash(ngettext("%(num)d session changed.", "%(num)d sessions changed.", done.sessions), "success")
            if done.texted:
                flash(ngettext("%(num)d booked member is told the new time by SMS.",
                               "%(num)d booked members are told the new time by SMS.", done.texted), "success")
            if to_call:
                flash(_("Calls to tell the new time are on Today's list (no SMS consent): %(members)s",
                        members=", ".join(to_call)), "warning")
            return redirect(url_for("sessions.show", session_id=session_id))
    return render_template("sessions/form.html", form=form, s=session), status


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
    period = TrainerPeriodForm(formdata=request.args)
    end = _day_arg(period.end, today, today)
    start = _day_arg(period.start, date(end.year, end.month, 1), today)
    if start > end:
        start = end
    stats = sessions.trainer_stats(club, start, end)
    # The fields show the period read, in the reader's format, not what was typed.
    period.start.data, period.end.data = start, end
    period.start.raw_data = period.end.raw_data = None
    return render_template("sessions/trainers.html", stats=stats, start=start, end=end, period=period,
                           format_percent=format_percent)


def _day_arg(field, default: date, today: date) -> date:
    """The day FIELD read from the query string (the reader's format or ISO); anything unreadable or far from
    TODAY becomes DEFAULT."""
    value = field.data
    if value is None:
        return default
    return value if abs((value - today).days) <= 3650 else default
