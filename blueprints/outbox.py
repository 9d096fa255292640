"""The SMS outbox for managers: what each message is doing, totals per day, and a retry of a failed send."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import paged
from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.outbox import RetryForm
from clubcrm.db import unit_of_work
from clubcrm.errors import DomainError, NotFound
from clubcrm.models.sms import MESSAGE_STATUSES
from clubcrm.sms import screen
from clubcrm.sms.client import settings_from

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


def _retry_form(message_id: int, form: RetryForm | None = None) -> RetryForm:
    """A retry form with ids of its own: the page has one per message."""
    form = form or RetryForm(formdata=None)
    form.confirm.id = f"confirm-{message_id}"
    return form


def _page(status: str | None = None, message_id: int | None = None, form: RetryForm | None = None, code: int = 200):
    """Render the page of the outbox asked for; FORM (of MESSAGE_ID) says why a retry was refused."""
    club = current_club()
    chosen = status if status in MESSAGE_STATUSES else None
    messages = screen.outbox_page(club, chosen, *paged.requested())
    forms = {m.id: _retry_form(m.id, form if m.id == message_id else None)
             for m in messages if m.status in screen.RETRYABLE}
    return render_template("outbox/index.html", club=club, messages=messages, forms=forms, status=chosen,
                           statuses=MESSAGE_STATUSES, status_words=screen.STATUS_WORDS,
                           totals=screen.totals_per_day(club),
                           configured=settings_from(current_app.config) is not None), code


@bp.get("/")
@role_required("manager")
def index():
    """Show the club's SMS, newest first, optionally of one status, with totals per day."""
    return _page(request.args.get("status"))


@bp.get("/<id:message_id>/retry")
@role_required("manager")
def back_to_list(message_id: int):
    """Send a reload of a refused retry's address back to the list."""
    return redirect(url_for("outbox.index"))


@bp.post("/<id:message_id>/retry")
@role_required("manager")
def retry(message_id: int):
    """Put a failed or unknown message back in the queue."""
    form = RetryForm()
    if not form.validate_on_submit():
        return _page(request.args.get("status"), message_id, _retry_form(message_id, form), 422)
    try:
        with unit_of_work():
            message = screen.retry(current_user, current_club(), message_id, confirm=bool(form.confirm.data))
            name = message.member.full_name
    except NotFound:
        abort(404)
    except DomainError as error:
        show_error(form, error)
        return _page(request.args.get("status"), message_id, _retry_form(message_id, form), error.http_status)
    flash(_("The message to %(name)s is queued again.", name=name), "success")
    return redirect(_list_url())


def _list_url() -> str:
    """The list's address with the query string the retry came from: back to the same status and page."""
    query = request.query_string.decode("utf-8", "replace")
    return url_for("outbox.index") + (f"?{query}" if query else "")
