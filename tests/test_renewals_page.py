"""The renewals page as a manager reads it: the programme's line first, then a line per tool with its verdict in
words, its forest line, the time to a verdict and the cost per extra renewal; the counts on demand; a verdict that
never contradicts the interval shown beside it; the CSV holding the same lines."""
import html
import random
import re
import xml.etree.ElementTree as ET

import pytest

from blueprints import report_tables as rt
from clubcrm.models import PROGRAMME
from clubcrm.reports import stats
from clubcrm.reports.tools import ToolStats
from tests import verdict_data
from tests.report_snapshots import compute_all, until_computed
from tests.test_reports_http import csv_rows

NS = "{http://www.w3.org/2000/svg}"
lines = verdict_data.page_lines
def consistent(verdict: str, low: str, high: str) -> bool:
    """Whether VERDICT says what the interval LOW..HIGH shows: helps only above 0, hurts only below, else not."""
    if verdict in ("not_measured", "no_holdout"):
        return True
    low_, high_ = float(low), float(high)
    return {"helps": low_ > 0, "hurts": high_ < 0}.get(verdict, low_ <= 0 <= high_)


@pytest.fixture
def measured(make):
    built = verdict_data.build(make)
    compute_all()   # the report pages read the figures the worker stored
    return built


def test_the_programme_line_comes_first_then_a_line_per_tool_each_with_its_forest_plot(web, login_as, measured):
    login_as("manager")
    page = until_computed(web.get, f"/reports/renewals?{verdict_data.QUERY}")
    assert page.status_code == 200
    found = lines(page.text)
    assert found[0]["key"] == PROGRAMME and "what the whole programme adds to renewals" in found[0]["html"]
    assert len(found) == 15 and len({f["key"] for f in found}) == 15
    assert page.text.index('data-table="tools"') < page.text.index('id="chart-plans"')   # the verdicts lead
    for line in found:
        svg = ET.fromstring(re.search(r"<svg.*?</svg>", line["html"], re.S).group(0))
        assert svg.get("class") == "chart"
        assert [e for e in svg.iter(NS + "line") if e.get("class") == "zero"]
        if line["difference"]:
            assert len([e for e in svg.iter(NS + "circle") if "dot" in e.get("class", "")]) == 1
            assert len([e for e in svg.iter(NS + "rect") if "interval" in e.get("class", "")]) == 1
        assert "<details class=\"counts\">" in line["html"]
    by_key = {f["key"]: f for f in found}
    # The programme and the silence nudge help: their whole interval is above 0.
    assert by_key[PROGRAMME]["verdict"] == "helps" and by_key["silence"]["verdict"] == "helps"
    silence = by_key["silence"]["html"]
    assert "already reached" in silence
    # Its 60 calls of 10 minutes at 20.00 an hour: a cost per extra renewal with its range, and a break-even line.
    assert re.search(r'class="v-cost">€[\d,.]+ \(€[\d,.]+ to €[\d,.]+\)', html.unescape(silence))
    assert 'class="break-even"' in silence and "pays for itself from" in silence
    # The counts behind it on demand: 300 with it (240 renewed), 40 held out (12 renewed).
    counts = html.unescape(silence.split('<details class="counts">', 1)[1])
    assert re.search(r"Cycles with it</dt><dd data-value=\"300\">300</dd>", counts)
    assert re.search(r"Renewed without it</dt><dd data-value=\"12\">12 \(30\.0%\)</dd>", counts)
    # A 0% holdout measures nothing and says so instead of a verdict.
    birthday = by_key["birthday"]
    assert birthday["verdict"] == "not_measured" and "not measured: holdout 0%" in birthday["html"]
    # Half held out where 10% was expected: the alarm on the tool's own line.
    welcome = by_key["welcome"]["html"]
    assert 'role="alert"' in welcome and "cannot be trusted until the cause is found" in welcome
    assert [k for k, f in by_key.items() if 'role="alert"' in f["html"]] == ["welcome"]
    # Undecided: how long until a verdict, never "more cycles needed".
    assert "cycles needed" not in page.text
    assert re.search(r"verdict in about \d+ months?|more than 3 years at this rate", by_key["renewal_offer"]["html"])
    # One line under the table says what the interval means, with the family of tools judged together.
    assert re.search(r"The interval stays valid however often you look: .* \d+ tools are judged together\.",
                     page.text)


def test_a_verdict_never_contradicts_the_interval_shown_nor_the_csv(web, login_as, measured):
    login_as("manager")
    page = until_computed(web.get, f"/reports/renewals?{verdict_data.QUERY}")
    found = lines(page.text)
    assert all(consistent(f["verdict"], f["low"], f["high"]) for f in found), found
    # The words beside the plot are the same numbers.
    for f in found:
        if f["low"]:
            words = html.unescape(re.search(r'class="interval-words">(.*?)</span>', f["html"], re.S).group(1))
            low, high = (float(v.replace("−", "-").replace(",", "")) for v in
                         re.search(r"\(([−+\d.,]+) pts to ([−+\d.,]+) pts\)", words).groups())
            assert low == pytest.approx(float(f["low"]) * 100, abs=0.051)
            assert high == pytest.approx(float(f["high"]) * 100, abs=0.051)
    rows = csv_rows(until_computed(web.get, f"/reports/renewals/tools.csv?{verdict_data.QUERY}"))
    header = rows[0]
    assert "more" not in " ".join(header).lower()
    col = {name: header.index(name) for name in ("Verdict", "Interval: from", "to", "Months to a verdict",
                                                 "Sample-ratio alarm", "Cost per extra renewal")}
    assert len(rows) - 1 == len(found)
    for row, f in zip(rows[1:], found, strict=True):
        assert (row[col["Interval: from"]], row[col["to"]]) == (f["low"], f["high"])
        assert row[col["Verdict"]] == f["verdict"]    # the code, as the API gives it
    assert rows[1][0] == "The whole programme"
    assert [r[0] for r in rows[1:] if r[col["Sample-ratio alarm"]] == "1"] == ["Welcome"]
    silence = next(r for r in rows if r[0] == "Silence nudge")
    assert float(silence[col["Cost per extra renewal"]]) > 0 and silence[col["Months to a verdict"]] == "0"


@pytest.mark.parametrize("row, words", [
    ({"verdict": "no_evidence", "months_to_verdict": 0.4}, "verdict in about 1 month"),
    ({"verdict": "no_evidence", "months_to_verdict": 12.2}, "verdict in about 13 months"),
    ({"verdict": "no_evidence", "months_to_verdict": 36.0}, "verdict in about 36 months"),
    ({"verdict": "no_evidence", "months_to_verdict": 36.5, "key": "silence"},
     "more than 3 years at this rate: read the programme line or raise the holdout share"),
    ({"verdict": "no_evidence", "months_to_verdict": 80.0, "key": PROGRAMME},
     "more than 3 years at this rate: raise the programme holdout share"),
    ({"verdict": "helps", "months_to_verdict": 0.0}, "already reached"),
    ({"verdict": "no_effect", "months_to_verdict": 0.0}, "already reached"),
    ({"verdict": "not_measured", "months_to_verdict": None}, "not measured: holdout 0%"),
    ({"verdict": "no_holdout", "months_to_verdict": None}, "unknown: no cycle reached it in the period"),
])
def test_time_to_a_verdict_in_words(app, row, words):
    with app.test_request_context():
        assert rt.time_text(row) == words


def test_no_verdict_contradicts_the_signs_of_the_interval_it_shows(app):
    """Hundreds of random tools judged by stats.judge: the words beside each line never say "helps" over an
    interval shown reaching below zero, nor "no evidence" over one shown wholly above it."""
    chance = random.Random(14)
    seen = set()
    with app.test_request_context():
        for _ in range(400):
            strata = []
            for _club in range(chance.randint(1, 3)):
                share, n = chance.choice((5, 10, 20, 50)), chance.randint(20, 3000)
                held = max(1, round(n * share / 100))
                base, effect = chance.uniform(0.3, 0.8), chance.choice((0.0, 0.0, 0.05, 0.15, -0.1))
                strata.append(stats.Stratum(round((n - held) * min(1.0, max(0.0, base + effect))), n - held,
                                            round(held * base), held, share_pct=share))
            item = ToolStats("silence", comparison=stats.judge(strata, family=14), currency="EUR")
            row = rt.effect_row(item, "EUR")
            seen.add(row["verdict"])
            low, high = re.search(r"\(([−+][\d.,]+) pts to ([−+][\d.,]+) pts\)", rt.interval_text(row)).groups()
            if row["verdict"] == "helps":
                assert low.startswith("+"), row
            elif row["verdict"] == "hurts":
                assert high.startswith("−"), row
            else:
                assert not (low.startswith("+") and low != "+0.0") and not high.startswith("−"), row
    assert {"helps", "no_evidence"} <= seen
