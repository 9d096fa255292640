"""The reports' tables as the pages and their CSV downloads share them: columns with a kind, rows of raw values.

A page formats each value by its column's kind with Babel in the user's locale and keeps the raw value in the
cell's data-value; the CSV (the one CSV writer's) holds the raw values (ISO dates, decimal points, money in the
currency's unit, codes, instants in the club's zone named in the header), so a download's rows are the table's
rows.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from blueprints import paged
from clubcrm import csv_writer, formatting, labels, paging
from clubcrm.lifecycle.labels import TOOL_NAMES, name
from clubcrm.reports import stats
from clubcrm.reports.lead_sources import LeadRow, LeadSourceReport
from clubcrm.reports.aggregates import AT_RISK_STORED
from clubcrm.reports.renewals import RenewalReport, RenewalRow
from clubcrm.reports.snapshot import Stored
from clubcrm.models import PROGRAMME
from clubcrm.reports.tools import ToolReport, ToolStats

VERDICTS = {
    "helps": _l("helps"), "hurts": _l("hurts"), "no_evidence": _l("no evidence yet"),
    "no_effect": _l("no effect of 5 points or more"), "no_holdout": _l("nobody held out yet"),
    "not_measured": _l("not measured"),
}
CYCLE_NAMES = {"first": _l("first cycle"), "later": _l("later cycles")}
# The most members at risk a report lists (the page a page at a time, the CSV all of them): the worker stores at most
# as many (activity.at_risk reads their names with one IN list, which PostgreSQL refuses past 65,535 values).
AT_RISK_MOST = AT_RISK_STORED
RISK_NAMES = {
    "no_visit_14": _l("no visit in 14 days"), "visits_dropping": _l("visits dropping"),
    "ending_unrenewed": _l("ends within 14 days, not renewed"), "low_balance": _l("package running low"),
    "new_no_visits": _l("new member who has not come"),
    "offer_opened": _l("opened the renewal offer, did not renew"),
}


OPENING_HOURS_NOTE = _l("Counted in the club's opening hours: the hours it is closed do not count (a lead at 21:30 "
                        "called at 06:30, the club open until 22:00 and from 06:00, waited 1 hour).")


# Kinds whose cells are not right-aligned numbers.
TEXT_KINDS = frozenset(("text", "verdict", "reasons", "member", "date", "month"))


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"   # text, int, pct, points, money, date, month, hours, verdict, number, instant, months, flag
    help: str = ""
    currency: str | None = None   # money: the column's currency (else the row's)

    @property
    def css(self) -> str:
        """The class of the column's header and cells: "num" for numbers."""
        return "" if self.kind in TEXT_KINDS else "num"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    help: str = ""
    # A long table's page as the HTML shows it; its CSV still holds every row.
    page: paging.Page | None = None

    def paged(self) -> Table:
        """Page the table's HTML view by its own query parameter (<key>_page), so that other tables keep theirs."""
        number, size = paged.requested(self.page_param)
        self.page = paging.page_of_list(self.rows, number, size)
        return self

    @property
    def page_param(self) -> str:
        return f"{self.key}_page"

    @property
    def shown_rows(self) -> list[dict]:
        """The rows the HTML shows: the page's, or all of a short table's."""
        return self.page.items if self.page is not None else self.rows

    def html_rows(self) -> Iterator[list[tuple]]:
        """The shown rows' cells as the page writes them: (data-value, class, text, the member's card or None)
        each, worked out here in one pass: as template calls (two per cell, the class an expression) they were most
        of the time of rendering the KPI page's 860 cells (profiled)."""
        columns = [(c, c.css) for c in self.columns]
        for row in self.shown_rows:
            cells = []
            for c, css in columns:
                if c.kind == "verdict":
                    css = f"{css} verdict-{row.get(c.key)}"
                member = row.get("member_id") if c.kind == "member" else None
                card = url_for("members.card", member_id=member) if member else None
                cells.append((raw(c, row), css, shown(c, row), card))
            yield cells

    @property
    def by_key(self) -> dict[str, Column]:
        """The columns by key (a template reads the cells it places itself)."""
        return {c.key: c for c in self.columns}

    def csv(self, zone: str) -> Iterator[str]:
        """The table as CSV lines, instants in ZONE (the club's). Reasons are written in words in the reader's
        language, with a column of their codes beside them for machines (issue 16)."""
        columns, cells = [], []
        for c in self.columns:
            columns.append(csv_writer.Column(str(c.label), instant=c.kind == "instant"))
            cells.append(lambda row, c=c: shown(c, row) if c.kind == "reasons" else raw_value(c, row))
            if c.kind == "reasons":
                columns.append(csv_writer.Column(_("%(column)s (codes)", column=str(c.label))))
                cells.append(lambda row, c=c: raw_value(c, row))
        # Made now, not as the lines are read: the labels and values need the request's locale.
        rows = [[cell(row) for cell in cells] for row in self.rows]
        return csv_writer.lines(columns, rows, zone)


def raw_value(column: Column, row: dict):
    """The raw value of COLUMN in ROW: money in the currency's unit (a decimal), the rest as stored."""
    found = row.get(column.key)
    if column.kind == "money" and found is not None:
        return formatting.to_major(round(found), column.currency or row.get("currency") or "EUR")
    if column.kind == "months" and found is not None:
        return round(found, 1)
    return found


def raw(column: Column, row: dict) -> str:
    """The cell's data-value: the value as the CSV writes it (instants in UTC), never defused (it is HTML)."""
    return csv_writer.plain(raw_value(column, row))


def shown(column: Column, row: dict) -> str | Markup:
    """The cell's text in the user's locale."""
    value = row.get(column.key)
    if value is None:
        return "–"
    kind = column.kind
    if kind == "int":
        return formatting.decimal(value, "#,##0")
    if kind == "number":
        return formatting.decimal(value, "#,##0.0")
    if kind == "hours":
        return _("%(hours)s h", hours=formatting.decimal(value, "#,##0.0"))
    if kind == "pct":
        return formatting.decimal(value, "#,##0.0%")
    if kind == "points":
        return _("%(points)s pts", points=formatting.decimal(value * 100, "+#,##0.0;−#,##0.0"))
    if kind == "money":
        return formatting.money(round(value), column.currency or row.get("currency") or "EUR")
    if kind == "months":
        return formatting.decimal(value, "#,##0.0")
    if kind == "flag":
        return _("yes") if value else _("no")
    if kind == "date":
        return formatting.day(value)
    if kind == "instant":
        return formatting.moment(value)
    if kind == "month":
        return formatting.day(value, "LLLL yyyy")
    if kind == "verdict":
        return verdict_text(value)
    if kind == "reasons":
        return "; ".join(str(RISK_NAMES.get(code, code)) for code in value.split(" "))
    return str(value)


def formatter(kind: str) -> Callable[[float], str]:
    """A chart axis's formatter: a value as a cell of KIND shows it."""
    column = Column("value", "", kind)
    return lambda value: shown(column, {"value": value})


def axis_points(value: float) -> str:
    """A tick of an axis in percentage points, whole: "+10 pts", "0 pts"."""
    return _("%(points)s pts", points=formatting.decimal(round(value * 100, 6), "+#,##0.#;−#,##0.#") if value else "0")


def verdict_text(code: str) -> str:
    """The verdict in words."""
    return str(VERDICTS.get(code, code))


def time_text(row: dict) -> str:
    """How long until a verdict, in words, for a row of the tools table."""
    months = row.get("months_to_verdict")
    if row.get("verdict") == "not_measured":
        return _("not measured: holdout 0%")
    if row.get("verdict") in ("helps", "hurts", "no_effect") or months == 0:
        return _("already reached")
    if months is None:
        return _("unknown: no cycle reached it in the period")
    if months > stats.OUT_OF_REACH_MONTHS:
        if row.get("key") == PROGRAMME:
            return _("more than 3 years at this rate: raise the programme holdout share")
        return _("more than 3 years at this rate: read the programme line or raise the holdout share")
    n = max(1, math.ceil(months))
    return ngettext("verdict in about %(num)d month", "verdict in about %(num)d months", n)


def _as(kind: str, value, currency: str | None = None) -> str:
    """VALUE as a cell of KIND shows it."""
    return str(shown(Column("value", "", kind), {"value": value, "currency": currency}))


def interval_text(row: dict) -> str:
    """The estimate and the interval the verdict reads, in points: "+3.2 pts (+1.0 to +5.4)"."""
    if row.get("difference") is None:
        return ""
    if row.get("low") is None or row.get("high") is None:
        return _as("points", row["difference"])
    return _("%(value)s (%(low)s to %(high)s)", value=_as("points", row["difference"]),
             low=_as("points", row["low"]), high=_as("points", row["high"]))


def cost_text(row: dict) -> str:
    """The cost of one extra renewal with its range, in the row's currency; empty when the comparison gives none."""
    cost, currency = row.get("cost_per_extra_renewal"), row.get("currency")
    if cost is None or not currency:
        return ""
    if row.get("cost_low") is None or row.get("cost_high") is None:
        return _as("money", cost, currency)
    return _("%(value)s (%(low)s to %(high)s)", value=_as("money", cost, currency),
             low=_as("money", row["cost_low"], currency), high=_as("money", row["cost_high"], currency))


def break_even_text(row: dict) -> str:
    """The effect at which the tool pays for itself, in words; empty when unknown."""
    if not row.get("break_even"):   # unknown, or a tool that cost nothing: any gain pays
        return ""
    return _("pays for itself from %(points)s", points=_as("points", row["break_even"]))


def alarm_text(row: dict) -> str:
    """The sample-ratio alarm in words, or empty."""
    if not row.get("srm_alarm"):
        return ""
    return _("Sample-ratio alarm: %(held)s of the cycles were held out where %(expected)s were expected. Its "
             "figures cannot be trusted until the cause is found.",
             held=_as("pct", row.get("held_share")), expected=_as("pct", row.get("expected_share")))


# --- renewals ---------------------------------------------------------------------------------------------

RENEWAL_COLUMNS = [
    Column("cycles", _l("Cycles ended"), "int", _l("Memberships whose last day is in the period.")),
    Column("pending", _l("Still open"), "int",
           _l("Ended less than 30 days ago and not renewed yet: not counted in the rate.")),
    Column("renewed", _l("Renewed"), "int", _l("A renewal was sold (linked to this membership).")),
    Column("rate", _l("Renewal rate"), "pct", _l("Renewed ÷ (cycles ended − still open).")),
]


def _renewal_row(row: RenewalRow, label: str) -> dict:
    return {"group": label, "cycles": row.cycles, "pending": row.pending, "renewed": row.renewed,
            "rate": row.rate}


def renewal_tables(report: RenewalReport, chain: bool) -> list[Table]:
    total = Table("renewals", _("Renewals"), [Column("group", _l("Group")), *RENEWAL_COLUMNS])
    total.rows.append(_renewal_row(report.total, _("All cycles")))
    total.rows += [_renewal_row(r, str(CYCLE_NAMES[r.key])) for r in report.by_cycle]
    plans = Table("plans", _("Renewals by plan"), [Column("group", _l("Plan")), *RENEWAL_COLUMNS],
                  [_renewal_row(r, r.label) for r in report.by_plan])
    tables = [total, plans]
    if chain:
        tables.append(Table("clubs", _("Renewals by club"), [Column("group", _l("Club")), *RENEWAL_COLUMNS],
                            [_renewal_row(r, r.label) for r in report.by_club]))
    return tables


TOOL_COLUMNS = [
    Column("tool", _l("Tool")),
    Column("verdict", _l("Verdict"), "verdict",
           _l("Read from the interval shown, which stays valid however often the report is looked at and is "
              "widened for all the tools judged together.")),
    Column("difference", _l("What it adds"), "points",
           _l("Renewal rate with the tool minus without it, in percentage points, club by club and share by share.")),
    Column("low", _l("Interval: from"), "points", _l("The interval the verdict reads.")),
    Column("high", _l("to"), "points"),
    Column("months_to_verdict", _l("Months to a verdict"), "months",
           _l("At the rate cycles reach the tool's trigger, for an effect of 5 points or its break-even, whichever "
              "is larger (80% power); 0: reached.")),
    Column("held_share", _l("Held out, observed"), "pct"),
    Column("expected_share", _l("Held out, expected"), "pct", _l("From the holdout shares in force.")),
    Column("srm_alarm", _l("Sample-ratio alarm"), "flag",
           _l("The observed held-out share is too far from the expected one (p < 0.001): find the cause first.")),
    Column("break_even", _l("Break-even"), "points", _l("The effect at which the tool pays for itself.")),
    Column("cost_per_extra_renewal", _l("Cost per extra renewal"), "money"),
    Column("cost_low", _l("Cost: from"), "money"),
    Column("cost_high", _l("to"), "money"),
    Column("assigned", _l("Cycles with it"), "int",
           _l("Cycles that reached the tool's trigger and were not held out (whether or not it got through).")),
    Column("assigned_renewed", _l("Renewed with it"), "int"),
    Column("assigned_rate", _l("Rate with it"), "pct"),
    Column("held", _l("Cycles held out"), "int", _l("Cycles that reached the trigger and were held out.")),
    Column("held_renewed", _l("Renewed without it"), "int"),
    Column("held_rate", _l("Rate without it"), "pct"),
    Column("naive_rate", _l("Naive: renewed after receiving it"), "pct",
           _l("Most of these members would have renewed anyway: this is not the tool's effect.")),
    Column("holdout_pct", _l("Held out, %"), "int", _l("The share of cycles the tool leaves out at random.")),
]
ACTIVITY_COLUMNS = [
    Column("tool", _l("Tool")),
    Column("sent", _l("SMS sent"), "int"), Column("delivered", _l("Delivered"), "int"),
    Column("opened", _l("Link opened"), "int",
           _l("Delivered SMS whose member opened their page from the text's link (counted once the page was shown, "
              "not when a link preview fetched it).")),
    Column("opened_share", _l("Opened of delivered, %"), "pct"),
    Column("segments", _l("Segments"), "int"), Column("cost", _l("Cost"), "money"),
    Column("calls", _l("Calls with a conversation"), "int"),
    Column("replies", _l("Replies"), "int", _l("Free-text replies and YES to an invitation after its SMS.")),
    Column("bookings", _l("Bookings"), "int", _l("Bookings of the sessions it offered.")),
]


def effect_row(item: ToolStats, currency: str) -> dict:
    """One row of the tools table: the comparison's figures as the page, the CSV and the API show them."""
    c = item.comparison
    label = _("The whole programme") if item.tool == PROGRAMME else name(TOOL_NAMES, item.tool)
    return {
        "tool": label, "key": item.tool, "holdout_pct": item.holdout_pct, "currency": item.currency or currency,
        "verdict": c.verdict if c else "no_holdout",
        "difference": c.difference if c else None, "low": c.low if c else None, "high": c.high if c else None,
        "alpha": c.alpha if c else None,
        "months_to_verdict": c.months_to_verdict if c else None,
        "held_share": c.held_share if c else None, "expected_share": c.expected_share if c else None,
        "srm_p": c.srm_p if c else None, "srm_alarm": bool(c and c.srm_alarm),
        "break_even": c.break_even if c else None,
        # Money only in one currency: the comparison's costs are None for clubs of several.
        "cost_per_extra_renewal": c.cost_per_extra_renewal if c and item.currency else None,
        "cost_low": c.cost_low if c and item.currency else None,
        "cost_high": c.cost_high if c and item.currency else None,
        "assigned": c.exposed_n if c else 0, "assigned_renewed": c.exposed_renewed if c else 0,
        "assigned_rate": c.exposed_rate if c else None,
        "held": c.held_n if c else 0, "held_renewed": c.held_renewed if c else 0,
        "held_rate": c.held_rate if c else None, "naive_rate": item.naive_rate,
    }


def tool_tables(report: ToolReport, currency: str) -> list[Table]:
    """The tools table (the programme's line first, then a line per tool) and the tools' activity table."""
    effect = Table("tools", _("What the whole programme and each tool add to renewals"), TOOL_COLUMNS, help=_(
        "Cycles that ended in the period (and are decided) and reached the tool's trigger, compared by the arm "
        "the engine drew at random: with the tool or held out of it. The programme's line compares the members "
        "held out of every lifecycle contact for the year with all the others."))
    activity = Table("activity", _("What each tool did in the period"), ACTIVITY_COLUMNS)
    effect.rows.append(effect_row(report.programme, currency))
    for item in report.tools:
        effect.rows.append(effect_row(item, currency))
        activity.rows.append({"tool": name(TOOL_NAMES, item.tool), "sent": item.sent, "delivered": item.delivered,
                              "opened": item.opened, "opened_share": item.opened_share,
                              "segments": item.segments, "cost": item.cost_minor, "currency": currency,
                              "calls": item.calls_done, "replies": item.replies, "bookings": item.bookings})
    return [effect, activity]


# The lead tools' table: the tools table's columns, in the words of a lead cycle and a first sale.
_LEAD_WORDS = {
    "difference": Column("difference", _l("What it adds"), "points",
                         _l("The share of leads who bought within their cycle with the tool minus without it, in "
                            "percentage points, club by club and share by share.")),
    "months_to_verdict": Column("months_to_verdict", _l("Months to a verdict"), "months",
                                _l("At the rate lead cycles reach the tool's trigger, for an effect of 5 points or its "
                                   "break-even, whichever is larger (80% power); 0: reached.")),
    "cost_per_extra_renewal": Column("cost_per_extra_renewal", _l("Cost per extra sale"), "money"),
    "assigned": Column("assigned", _l("Lead cycles with it"), "int",
                       _l("Lead cycles that reached the tool's trigger and were not held out (whether or not it got "
                          "through).")),
    "assigned_renewed": Column("assigned_renewed", _l("Bought with it"), "int"),
    "held": Column("held", _l("Lead cycles held out"), "int",
                   _l("Lead cycles that reached the trigger and were held out.")),
    "held_renewed": Column("held_renewed", _l("Bought without it"), "int"),
    "naive_rate": Column("naive_rate", _l("Naive: bought after receiving it"), "pct",
                         _l("Many of these leads would have bought anyway: this is not the tool's effect.")),
    "holdout_pct": Column("holdout_pct", _l("Held out, %"), "int",
                          _l("The share of lead cycles the tool leaves out at random.")),
}
LEAD_TOOL_COLUMNS = [_LEAD_WORDS.get(column.key, column) for column in TOOL_COLUMNS]


def lead_tool_table(report: ToolReport, currency: str) -> Table:
    """The lead tools table: a line per lead tool, judged by the leads who bought within their cycle."""
    table = Table("lead_tools", _("Which lead tool brings sales"), LEAD_TOOL_COLUMNS, help=_(
        "Lead cycles that began in the period, have had their whole cycle and reached the tool's trigger, compared "
        "by the arm the engine drew at random: with the tool or held out of it. A lead counts as bought when a sale "
        "closed the cycle."))
    table.rows = [effect_row(item, currency) for item in report.tools]
    return table


def interval_note(family: int) -> str:
    """The line under the tools table that says what its interval means."""
    return ngettext(
        "The interval stays valid however often you look: a tool is called helpful only when its whole interval "
        "is above zero; %(num)d tool is judged at a time.",
        "The interval stays valid however often you look: a tool is called helpful only when its whole interval "
        "is above zero; %(num)d tools are judged together.", family)


# --- the club's KPIs --------------------------------------------------------------------------------------


def kpi_tables(figures: Stored, whole: bool = False) -> list[Table]:
    """The KPI page's tables from the stored FIGURES; the members at risk one page of them (WHOLE: all, for the
    CSV)."""
    conversion, processing = figures.lead_conversion(), figures.lead_processing()
    coverage = figures.contact_coverage()
    leads = Table("leads", _("Leads"), [
        Column("leads", _l("New leads"), "int", _l("People registered in the period.")),
        Column("converted", _l("Bought within 30 days"), "int"),
        Column("pending", _l("Still within 30 days"), "int", _l("Not counted in the conversion yet.")),
        Column("per_100", _l("Conversion per 100 leads"), "number"),
        Column("contacted", _l("Contacted by staff"), "int"),
        Column("median_hours", _l("Median time to the first contact"), "hours", OPENING_HOURS_NOTE),
    ], [{"leads": conversion.leads, "converted": conversion.converted, "pending": conversion.pending,
         "per_100": conversion.per_100, "contacted": processing.contacted,
         "median_hours": processing.median_hours}])
    sales = Table("sales", _("Average sale"), [
        Column("currency", _l("Currency")), Column("count", _l("Sales"), "int"),
        Column("total_minor", _l("Total"), "money"), Column("average_minor", _l("Average sale"), "money"),
    ], _dicts(figures.average_sale()))
    spoken = Table("coverage", _("Staff contact this month"), [
        Column("new_members", _l("New members"), "int"), Column("new_spoken", _l("spoken to"), "int"),
        Column("at_risk", _l("Silent members"), "int",
               _l("Members (not new) with no visit in the last 14 days: the 'no visit in 14 days' reason of the "
                  "members at risk below, who are listed for other reasons too.")),
        Column("at_risk_spoken", _l("spoken to"), "int"),
        Column("share", _l("Coverage"), "pct", _l("Share of new and at-risk members staff spoke with this month.")),
    ], _dicts([coverage]))
    growth = Table("growth", _("Base growth per month"), [
        Column("month", _l("Month"), "month"), Column("start_count", _l("Members at the start"), "int"),
        Column("joined", _l("Joined"), "int"), Column("left", _l("Left"), "int"),
        Column("end_count", _l("Members at the end"), "int"), Column("growth", _l("Growth"), "pct"),
    ], [asdict(g) | {"growth": None if g.growth_pct is None else g.growth_pct / 100}
        for g in figures.base_growth()])
    visits = Table("visits", _("Visits per member per week"), [
        Column("week_start", _l("Week of"), "date"), Column("visits", _l("Visits"), "int"),
        Column("active_members", _l("Active members"), "int"), Column("per_member", _l("Per member"), "number"),
        Column("guest_visits", _l("Guest visits"), "int",
               _l("Check-ins here by members of other clubs of the chain (chain plans); not counted in Visits.")),
    ], _dicts(figures.visits_per_week()))
    cohorts = figures.cohort_retention()
    months = max((len(c.retained) for c in cohorts), default=0)
    retention = Table("cohorts", _("Retention by month of joining"), [
        Column("month", _l("Joined in"), "month"), Column("size", _l("Members"), "int"),
        *[Column(f"m{k}", _l("month %(n)s", n=k), "pct") for k in range(months)],
    ], [{"month": c.month, "size": c.size, **{f"m{k}": v for k, v in enumerate(c.retained)}} for c in cohorts],
        help=_("The share of each month's joiners still active at the end of each following month."))
    risk = Table("at_risk", _("Members at risk"), [
        Column("name", _l("Member"), "member"), Column("phone", _l("Phone")),
        Column("days_left", _l("Days left"), "int"), Column("last_visit", _l("Last visit"), "date"),
        Column("reasons", _l("Why"), "reasons"),
    ])
    # The CSV holds every member at risk; the page reads only the page it shows.
    total = figures.at_risk_count(AT_RISK_MOST)
    number, size = paged.requested(risk.page_param)
    number = paging.nearest(number, total, size)
    offset = 0 if whole else (number - 1) * size
    limit = AT_RISK_MOST if whole else min(size, AT_RISK_MOST - offset)
    risk.rows = [asdict(r) | {"reasons": " ".join(r.reasons)} for r in figures.at_risk(limit=limit, offset=offset)]
    if not whole:
        risk.page = paging.Page(risk.rows, number, size, total)
    if total >= AT_RISK_MOST:
        risk.help = _("Only the %(count)s most urgent members at risk are listed.",
                      count=formatting.decimal(AT_RISK_MOST, "#,##0"))
    return [leads, sales, spoken, growth, visits, retention, risk]


def _dicts(items) -> list[dict]:
    return [asdict(item) for item in items]


# --- leads by source and by month -----------------------------------------------------------------------------


def lead_columns(report: LeadSourceReport, currency: str, notes: bool = True) -> list[Column]:
    """The figures of a lead row, with an average first sale per currency found (the club's when none is); NOTES:
    with each column's explanation (the second table of a page says them once more otherwise)."""
    currencies = report.currencies or [currency]
    several = len(currencies) > 1
    columns = [
        Column("leads", _l("Leads"), "int",
               _l("Lead cycles that began in the period; a lead who asks again after a lost cycle counts again.")),
        Column("bought", _l("Bought within 30 days"), "int",
               _l("Won by a first sale within 30 days of the cycle's start (a sale refunded before its first day "
                  "is no sale).")),
        Column("pending", _l("Still within 30 days"), "int",
               _l("Open and begun fewer than 30 days ago: they may still buy, so the rate leaves them out.")),
        Column("per_100", _l("Bought per 100 leads"), "number",
               _l("Bought within 30 days per 100 leads, leaving out those still within 30 days.")),
        Column("contacted", _l("Contacted by staff"), "int",
               _l("Leads with a staff contact logged in their cycle, whatever its outcome (even no answer).")),
        Column("median_hours", _l("Median time to the first contact"), "hours", OPENING_HOURS_NOTE),
        Column("waiting", _l("Not contacted yet"), "int",
               _l("Open leads with no staff contact logged yet. Leads closed without one (bought at once, lost) "
                  "are in neither this nor the median.")),
        Column("first_sales", _l("First sales"), "int",
               _l("Leads won by a membership, whenever it was sold (a first sale of a package has no price here).")),
        *[Column(f"average:{code}", _l("Average first sale (%(currency)s)", currency=code) if several
                 else _l("Average first sale"), "money",
                 _l("The average price of the membership that won the lead, in the club's currency."), code)
          for code in currencies],
    ]
    return columns if notes else [replace(c, help="") for c in columns]


def lead_row(row: LeadRow, label, currencies: list[str]) -> dict:
    """One line of a lead table: the group's label and its figures as the page and the CSV show them."""
    values = {"group": label, "leads": row.leads, "bought": row.bought, "pending": row.pending,
              "per_100": row.per_100, "contacted": row.contacted, "median_hours": row.median_hours,
              "waiting": row.waiting, "first_sales": sum(s.count for s in row.first_sales)}
    for code in currencies:
        sale = row.first_sale(code)
        values[f"average:{code}"] = sale.average_minor if sale else None
    return values


def lead_source_tables(report: LeadSourceReport, currency: str) -> list[Table]:
    """The lead cycles of the period by source (after a line for all of them) and by month of the club's zone."""
    figures = lead_columns(report, currency)
    currencies = report.currencies or [currency]
    sources = Table("sources", _("Leads by source"), [Column("group", _l("Source")), *figures], help=_(
        "Where each lead came from, as chosen at the desk's new-lead form or sent by the web form."))
    if report.total.leads:   # no lead at all: the table says "Nothing in this period."
        sources.rows.append(lead_row(report.total, _("All sources"), currencies))
    sources.rows += [lead_row(r, labels.lead_source_name(r.key), currencies) for r in report.by_source]
    months = Table("months", _("Leads by month"),
                   [Column("group", _l("Month"), "month"), *lead_columns(report, currency, notes=False)],
                   [lead_row(r, r.key, currencies) for r in report.by_month],
                   help=_("The month a lead's cycle began, on the club's own calendar (its time zone); the columns "
                          "count as in the table by source."))
    return [sources, months]
