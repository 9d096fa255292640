"""Managers' reports: renewals and what each tool adds, the club's KPIs, leads by source; every table also as CSV."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError

from blueprints import report_bodies
from blueprints import report_tables as rt
from blueprints.access import clubs_to_choose, current_club, role_required
from blueprints.forms.reports import RecomputeForm, ReportFilterForm
from clubcrm import clock, formatting, labels, statement_timeout
from clubcrm.db import unit_of_work
from clubcrm.extensions import db
from clubcrm.models import Club, ReportRefresh
from clubcrm.reports import charts, lead_sources, refresh, tool_tables
from clubcrm.reports.scope import Scope
from clubcrm.reports.snapshot import Stored
from clubcrm.reports.tools import ToolReport

bp = Blueprint("reports", __name__, url_prefix="/reports")


def too_long(form: ReportFilterForm, name: str):
    """Answer a report stopped by the statement time limit with its filters and a way out, not a 500."""
    db.session.rollback()
    current_app.logger.warning("Report %s stopped by the statement time limit: %s", name, request.full_path)
    return render_template("reports/too_long.html", form=form, name=name, args=request.args.to_dict()), 503


@dataclass
class Page:
    tables: list[rt.Table]
    charts: dict[str, tuple[str, Markup]] = field(default_factory=dict)   # key → (title, svg)
    forest: dict[str, Markup] = field(default_factory=dict)   # a tools table row's key → its forest line
    forest_scale: Markup | None = None                         # the forest lines' common axis
    family: int = 1                                            # the tools judged together
    tools_pending: bool = False                                # the per-tool table is being computed
    computed: ReportRefresh | None = None                      # stored figures: when and as of which day

    def chart(self, key: str, title: str, draw, *args, **kwargs) -> None:
        self.charts[key] = (title, draw(*args, title=title, **kwargs))


def renewals_page(figures: Stored, currency: str, whole: bool = False) -> Page:
    scope = figures.scope
    report = figures.renewal_report()
    tools = stored_tools(figures)
    tables = rt.renewal_tables(report, chain=len(scope.club_ids) > 1)
    if tools is not None:
        tables += rt.tool_tables(tools, currency)
    by_plan = [r for r in report.by_plan if r.rate is not None]
    page = Page(tables, family=tools.family if tools else 0, computed=figures.refresh, tools_pending=tools is None)
    page.chart("plans", _("Renewal rate by plan"), charts.bar_chart,
               [r.label for r in by_plan], [r.rate for r in by_plan], y_format=rt.formatter("pct"),
               empty=_("No cycle ended in this period."))
    if tools is not None:
        draw_forest(page, tables[-2].rows)
    return page


def stored_tools(figures: Stored) -> ToolReport | None:
    """The per-tool table of the figures' scope and period as the worker stored it, or None after asking for it."""
    tools = tool_tables.stored(figures.scope, figures.refresh)
    if tools is None:
        with unit_of_work():
            tool_tables.ask(figures.scope, figures.refresh, clock.utcnow())
    return tools


def draw_forest(page: Page, rows: list[dict]) -> None:
    """A forest line per row of the tools table, all on one axis, so that the lines compare at a glance."""
    points = rt.formatter("points")
    bars = {row["key"]: charts.Bar(row["tool"], row["difference"], row["low"], row["high"],
                                   note=rt.verdict_text(row["verdict"]), break_even=row["break_even"])
            for row in rows}
    ticks = charts.forest_ticks(list(bars.values()))
    page.forest_scale = charts.forest_scale(ticks, title=_("Renewal points added"), x_format=rt.axis_points)
    for key, bar in bars.items():
        page.forest[key] = charts.forest_row(bar, ticks, x_format=points, title=_(
            "%(tool)s: what it adds to the renewal rate, its interval, zero and its break-even", tool=bar.label))


def club_page(figures: Stored, currency: str, whole: bool = False) -> Page:
    tables = rt.kpi_tables(figures, whole)
    by = {t.key: t for t in tables}
    page = Page(tables, computed=figures.refresh)
    growth = by["growth"].rows
    months = [formatting.day(g["month"], "LLL yy") for g in growth]
    page.chart("members", _("Active members"), charts.line_chart,
               months, [charts.Series(_("Members at the end of the month"), [g["end_count"] for g in growth])],
               y_format=rt.formatter("int"), y_min=0, empty=_("No members in this period."))
    weeks = by["visits"].rows
    page.chart("visits", _("Visits per member per week"), charts.line_chart,
               [formatting.day(w["week_start"], "d MMM") for w in weeks],
               [charts.Series(_("Visits per member"), [w["per_member"] for w in weeks])],
               y_format=rt.formatter("number"), y_min=0, empty=_("No visits in this period."))
    cohorts = [c for c in by["cohorts"].rows if c["size"]][-8:]
    width = max((len([k for k in c if k.startswith("m") and k[1:].isdigit()]) for c in cohorts), default=0)
    page.chart("cohorts", _("Retention by month of joining (months after joining)"), charts.line_chart,
               [str(k) for k in range(width)],
               [charts.Series(formatting.day(c["month"], "LLL yy"), [c.get(f"m{k}") for k in range(width)])
                for c in cohorts],
               y_format=rt.formatter("pct"), y_min=0, y_max=1, empty=_("Nobody joined in this period."))
    return page


PAGES = {"renewals": renewals_page, "club": club_page}


def stored_figures(scope: Scope) -> Stored | None:
    """The scope's stored figures as of the day they were computed, or None while they are being computed."""
    row = refresh.stored(scope.club_ids)
    return None if row is None else Stored(replace(scope, today=row.as_of), row)


def build(name: str, scope: Scope, currency: str, whole: bool = False) -> Page | None:
    """Page NAME for SCOPE from its stored figures; None while they are not computed yet."""
    figures = stored_figures(scope)
    return None if figures is None else PAGES[name](figures, currency, whole)


def within_time_limit(form: ReportFilterForm, name: str, work) -> tuple[object, object]:
    """(WORK()'s result, None), or (None, the page that says the report took too long) when the statement time
    limit stopped it."""
    try:
        return work(), None
    except DBAPIError as error:
        if not statement_timeout.is_timeout(error):
            raise
        return None, too_long(form, name)


def built_or_answer(name: str, form: ReportFilterForm, scope: Scope, currency: str, whole: bool = False):
    """(page NAME for SCOPE, None), or (None, the answer to give instead): the report took too long (the statement
    time limit) or its figures are being computed."""
    built, stopped = within_time_limit(form, name, lambda: build(name, scope, currency, whole))
    if stopped is not None:
        return None, stopped
    if built is None:
        return None, being_computed(form, name)
    return built, None


def being_computed(form: ReportFilterForm, name: str):
    """Say that the scope's figures are being computed (the worker was asked), instead of computing them here."""
    return render_template("reports/computing.html", form=form, name=name, args=request.args.to_dict())


def _filters() -> tuple[ReportFilterForm, Scope | None, Club]:
    """The filter form read from the query string, and the scope it asks for (None when it is refused)."""
    clubs = clubs_to_choose() or [current_user.club]   # an owner: every club; others: their own
    owner = current_user.club_id is None
    form = ReportFilterForm(formdata=request.args)
    form.club.choices = ([("all", _("All clubs"))] if owner and len(clubs) > 1 else []) + [
        (str(c.id), c.name) for c in clubs]
    if not (form.club.data or "").strip() or form.club.data == "None":   # blank: the club one works in
        form.club.data = str(current_club().id)
    chosen = clubs if form.club.data == "all" else [c for c in clubs if str(c.id) == form.club.data]
    club_ids = tuple(c.id for c in chosen) or (current_club().id,)
    form.offer_plans(club_ids)
    home = chosen[0] if chosen else current_club()
    if not form.validate():
        return form, None, home
    today = clock.local_today(home.timezone)
    start, end = form.period(today)
    form.start.data, form.end.data = start, end
    plan_id = int(form.plan.data) if (form.plan.data or "").strip() else None   # a choice: digits
    return form, Scope(club_ids, start, end, today, plan_id), home


@bp.get("/")
@role_required("manager")
def index():
    return redirect(url_for("reports.page", name="renewals"))


@bp.get("/overrides")
@role_required("manager")
def overrides_page():
    """The members a manager let in although their standing refused the check-in, in the chosen period."""
    from clubcrm.services import overrides

    form, scope, _club = _filters()
    if scope is None:
        return render_template("reports/overrides.html", form=form, rows=None, name="overrides"), 400
    clubs = [c for c in (clubs_to_choose() or [current_user.club]) if c.id in scope.club_ids]
    rows = overrides.in_period(clubs, scope.start, scope.end)
    return render_template("reports/overrides.html", form=form, rows=rows, name="overrides", scope=scope,
                           args=request.args.to_dict(), timezone=clubs[0].timezone if clubs else "UTC",
                           refusal_name=lambda code: str(labels.REFUSAL_NAMES.get(code, code)))


LEAD_SOURCES_PAGE = "lead-sources"


def lead_sources_page_of(scope: Scope, currency: str) -> Page:
    """The "Leads by source" page's tables and chart, computed now from the lead cycles (no stored figures)."""
    report = lead_sources.lead_sources(scope)
    tables = rt.lead_source_tables(report, currency)
    page = Page(tables)
    months = report.by_month
    page.chart("lead_months", _("Leads per month"), charts.bar_chart,
               [formatting.day(m.key, "LLL yy") for m in months], [m.leads for m in months],
               y_format=lambda value: formatting.decimal(value, "#,##0.#"), empty=_("No leads in this period."))
    return page


@bp.get("/lead-sources")
@role_required("manager")
def lead_sources_page():
    """Leads by source and by month for the chosen club(s) and period, counted from the lead cycles at once: a few
    set-based statements whatever the number of leads, so no stored figures and no kept body (they would show a
    lead logged a minute ago only after the night's recompute)."""
    name = LEAD_SOURCES_PAGE
    form, scope, club = _filters()
    if scope is None:
        return render_template("reports/lead_sources.html", form=form, body=None, name=name), 400
    args = request.args.to_dict()

    def render():
        built = lead_sources_page_of(scope, club.currency)
        body = Markup(render_template("reports/lead_sources_body.html", page=built, name=name, args=args, rt=rt))
        return render_template("reports/lead_sources.html", form=form, body=body, name=name, args=args)

    answer, stopped = within_time_limit(form, name, render)
    return stopped or answer


@bp.get("/lead-sources/<table>.csv")
@role_required("manager")
def lead_sources_csv(table: str):
    """One table of "Leads by source" as CSV (the one CSV writer's)."""
    form, scope, club = _filters()
    if scope is None:
        abort(400)
    built, stopped = within_time_limit(form, LEAD_SOURCES_PAGE, lambda: lead_sources_page_of(scope, club.currency))
    if stopped is not None:
        return stopped
    found = next((t for t in built.tables if t.key == table), None)
    if found is None:
        abort(404)
    filename = f"leads-{table}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    return Response(found.csv(club.timezone), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/<name>")
@role_required("manager")
def page(name: str):
    """A report page for the chosen club(s), period and plan; refused filters are shown on their fields. Its charts
    and tables are rendered once per generation of the stored figures (blueprints/report_bodies.py)."""
    if name not in PAGES:
        abort(404)
    form, scope, club = _filters()
    if scope is None:
        return render_template(f"reports/{name}.html", form=form, body=None, name=name), 400
    answer, stopped = within_time_limit(form, name, lambda: _page_of_figures(name, form, scope, club))
    return stopped or answer


def _page_of_figures(name: str, form: ReportFilterForm, scope: Scope, club: Club):
    """Page NAME around its body, kept per generation of the stored figures; or "being computed"."""
    figures = stored_figures(scope)
    if figures is None:
        return being_computed(form, name)
    row, args = figures.refresh, request.args.to_dict()
    # What the body depends on besides the figures: the request's filters and pages, the reader's language, the
    # club's money and zone (a None generation: figures stored before generations, never kept).
    key = None if row.generation is None else (
        name, row.id, row.generation, scope.club_ids, scope.start, scope.end, scope.plan_id, club.currency,
        club.timezone, str(get_locale()), rt.AT_RISK_MOST, tuple(sorted(request.args.items(multi=True))))
    body = report_bodies.kept(key) if key else None
    if body is None:
        built = PAGES[name](figures, club.currency)
        body = Markup(render_template(f"reports/{name}_body.html", page=built, name=name, args=args, rt=rt))
        if key and not built.tools_pending:
            report_bodies.keep(key, body)
    return render_template(f"reports/{name}.html", form=form, body=body, computed=row, name=name, args=args)


@bp.get("/<name>/<table>.csv")
@role_required("manager")
def download(name: str, table: str):
    """One table of a report page as CSV (the one CSV writer's: BOM, formulas defused, the club's time zone)."""
    if name not in PAGES:
        abort(404)
    form, scope, club = _filters()
    if scope is None:
        abort(400)
    built, answer = built_or_answer(name, form, scope, club.currency, whole=True)
    if answer is not None:
        return answer
    tables = built.tables
    found = next((t for t in tables if t.key == table), None)
    if found is None and built.tools_pending:
        return being_computed(form, name)   # the per-tool tables of this period: asked for, not computed yet
    if found is None:
        abort(404)
    filename = f"{table}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    return Response(found.csv(club.timezone), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/<name>/recompute")
@role_required("manager")
def recompute(name: str):
    """Ask the worker to recompute the chosen scope's figures now."""
    if name not in PAGES:
        abort(404)
    form, scope, _club = _filters()
    if scope is None:
        abort(400)
    if not RecomputeForm().validate_on_submit():
        abort(400)
    with unit_of_work():
        refresh.request(scope.club_ids, clock.utcnow())
    flash(_("The figures are being recomputed; they will be here within a few minutes."), "success")
    return redirect(url_for("reports.page", name=name, **request.args.to_dict()))
