"""Importing members from a spreadsheet: upload, watch its check, preview with the guessed columns, confirm, watch
it run. The preview is computed once in the background and stored on the job; these views only read it."""
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from blueprints import paged
from blueprints.access import current_club, role_required
from blueprints.forms import show_error
from blueprints.forms.imports import PreviewForm, UploadForm
from clubcrm.db import unit_of_work
from clubcrm.errors import Conflict, DomainError
from clubcrm.extensions import db
from clubcrm.imports import jobs, listing, previews, report
from clubcrm.imports.kinds import kind_of
from clubcrm.models import ImportJob

bp = Blueprint("imports", __name__, url_prefix="/imports")
DELIMITER_NAMES = {";": _l("semicolon"), ",": _l("comma"), "\t": _l("tab")}


def folder() -> Path:
    """Where uploaded files wait for their import."""
    return jobs.upload_folder(current_app)


def load_job(job_id: int) -> ImportJob:
    """The job if it belongs to the club this login works in; else 404."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.club_id != current_club().id:
        abort(404)
    return job


def field_choices(job: ImportJob) -> list[SelectChoice]:
    """The choices of each column's select: nothing, or one field of what the job's file holds."""
    fields = kind_of(job.mapping.get("kind")).fields
    return [SelectChoice("", _l("— leave out —"))] + [SelectChoice(key, label) for key, label in fields.items()]


@bp.route("/", methods=["GET", "POST"])
@role_required("manager")
def index():
    """Upload a spreadsheet of members, memberships, package balances or visits to preview."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(jobs.MAX_BYTES + 1)
        try:
            with unit_of_work():
                job = jobs.create(current_user, current_club(), upload.filename or "", data, folder(),
                                  form.kind.data or "members")
        except DomainError as error:
            show_error(form, error)
        else:
            check(job)
            return redirect(url_for("imports.show", job_id=job.id))
    recent = listing.jobs_page(current_club().id, *paged.requested())
    return render_template("imports/upload.html", form=form, recent=recent,
                           max_mb=jobs.MAX_BYTES // (1024 * 1024)), 422 if form.errors else 200


def check(job: ImportJob) -> None:
    """Start the background check of a job that is "checking" (after the commit that made it so)."""
    jobs.start(current_app._get_current_object(), job.id, folder(), str(get_locale() or "en"), previews.compute)


def render_preview(job: ImportJob, form: PreviewForm | None = None, status: int = 200):
    """The stored preview of a job not yet started: the columns as guessed or chosen, its first rows, its refusals."""
    preview = job.preview
    headers = job.mapping["headers"]
    if form is not None and len(form.fields.entries) != len(headers):
        form = None   # a post with more or fewer columns than the file has: show the file's own
    if form is None:
        form = PreviewForm(formdata=None, mode=job.mode or "all")
        for field in job.mapping["fields"]:
            form.fields.append_entry(field or "")
    for entry in form.fields:
        entry.choices = field_choices(job)
    refusals = listing.refusals_page(job.id, *paged.requested())
    return render_template(
        "imports/job.html", job=job, form=form, preview=preview, samples=preview["samples"],
        rows=previews.shown_rows(preview), refusals=refusals,
        columns=[report.column_of(r["field"], headers, job.mapping["fields"]) for r in refusals],
        delimiter=DELIMITER_NAMES[job.mapping["delimiter"]], field_label=report.field_label,
        kind=kind_of(job.mapping.get("kind")), currency=current_club().currency), status


@bp.get("/<id:job_id>")
@role_required("manager")
def show(job_id: int):
    """Show a job: its check's progress, its preview before it starts, its progress while it runs, its result."""
    job = load_job(job_id)
    if job.status == "previewed" and job.preview is None:   # uploaded before previews were stored
        return render_template("imports/job.html", job=job, kind=kind_of(job.mapping.get("kind")),
                               gone=_l("Upload the file again to see its preview.")), 404
    if job.status == "previewed":
        return render_preview(job)
    kind = kind_of(job.mapping.get("kind"))
    if job.status == "checking":
        return render_template("imports/job.html", job=job, kind=kind)
    return render_template("imports/job.html", job=job, field_label=report.field_label, kind=kind,
                           refusals=listing.refusals_page(job.id, *paged.requested()))


@bp.post("/<id:job_id>")
@role_required("manager")
def update(job_id: int):
    """Change the columns and preview again (checked once, in the background), start the import in the chosen
    mode, or cancel it."""
    job = load_job(job_id)
    if request.form.get("action") == "cancel" and job.status in jobs.PREVIEW_STATUSES:
        return cancel(job)
    if job.status != "previewed" or job.preview is None:
        return redirect(url_for("imports.show", job_id=job.id))
    form = PreviewForm()
    for entry in form.fields:
        entry.choices = field_choices(job)
    if not form.validate_on_submit():
        return render_preview(job, form, 422)
    fields = [entry.data or None for entry in form.fields]
    importing = request.form.get("action") == "import"
    try:
        with unit_of_work():
            # Straight to the import: it checks every row itself, so the preview is not computed again first.
            jobs.remap(job, fields, check_again=not importing)
            if importing:
                jobs.confirm(job, form.mode.data)
    except Conflict as error:   # another click or tab started it first: show that one
        flash(str(error.message), "danger")
        return redirect(url_for("imports.show", job_id=job_id))
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return render_preview(load_job(job_id), form, 422)
    if job.status == "running":   # only the request whose confirm changed the row gets here
        jobs.start(current_app._get_current_object(), job.id, folder(), str(get_locale() or "en"))
    elif job.status == "checking":   # only the request whose remap changed the row gets here
        check(job)
    return redirect(url_for("imports.show", job_id=job.id))


def cancel(job: ImportJob):
    """Drop the preview and its uploaded file (personal data); CSRFProtect has checked the POST's token."""
    try:
        with unit_of_work():
            jobs.cancel(job, folder())
    except Conflict as error:   # a confirm in another tab came first
        flash(str(error.message), "danger")
        return redirect(url_for("imports.show", job_id=job.id))
    return redirect(url_for("imports.index"))


@bp.get("/<id:job_id>/status.json")
@role_required("manager")
def status(job_id: int):
    """The job's progress for the page's progress bar."""
    job = load_job(job_id)
    total = job.total_rows or 0
    return jsonify(status=job.status, total=total, processed=job.processed_rows, imported=job.imported_rows,
                   refused=job.refused_rows, error=job.error,
                   percent=100 if job.status in ("done", "failed") else
                   (int(job.processed_rows * 100 / total) if total else 0),
                   finished=job.status in ("done", "failed"))


@bp.get("/<id:job_id>/report.csv")
@role_required("manager")
def download_report(job_id: int):
    """The refused rows as CSV (the one CSV writer's): the preview's check, or the finished job's."""
    job = load_job(job_id)
    if job.status == "checking":
        abort(404)   # not checked yet: the page offers no link before
    refusals = job.report or []
    name = f"import-{job.id}-refused.csv"
    return Response(jobs.report_csv(job, refusals), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
