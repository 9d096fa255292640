"""The dashboard's SVG charts, parsed back as XML: counts of data elements, positions, axes, escaping, empties."""
import math
import random
import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from markupsafe import Markup

from clubcrm.reports.charts import (
    Bar, Series, _nice_ticks, bar_chart, forest_row, forest_scale, forest_ticks, interval_chart, line_chart,
)

NS = "{http://www.w3.org/2000/svg}"
NASTY = "<script>alert(\"x\")</script> & 'Tom'"
DATA_CLASSES = ("line", "point", "bar", "dot", "whisker")


def plain(v: float) -> str:
    return f"{v:g}"


def percent(v: float) -> str:
    return f"{v:.0%}"


def parse(chart) -> ET.Element:
    assert isinstance(chart, Markup)
    root = ET.fromstring(str(chart))
    assert root.tag == NS + "svg"
    return root


def find(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if cls is None or cls in e.get("class", "").split()]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def tooltip(element: ET.Element) -> str:
    return element.find(NS + "title").text


def axis_ticks(root: ET.Element, axis: str) -> list[tuple[float, float]]:
    """(value, position) of each tick label of AXIS ('x' or 'y'), read back with the `plain` formatter."""
    group = next(g for g in find(root, "g", f"{axis}-axis"))
    return [(float(t.text), float(t.get(axis))) for t in find(group, "text", "tick")]


def assert_nice(values: list[float]) -> None:
    """4..6 evenly spaced ticks, a step of 1, 2 or 5 times a power of ten apart, each a multiple of the step."""
    assert 4 <= len(values) <= 6, values
    step = values[1] - values[0]
    assert step > 0
    assert all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in pairwise(values)), values
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 5)), values
    assert all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in values), values


def months(n: int) -> list[str]:
    return [f"M{i:02d}" for i in range(n)]


def example(kind: str, *, title: str = "Chart", label: str = "Jan", name: str = "Members") -> Markup:
    if kind == "line":
        return line_chart([label, "Feb"], [Series(name, [0.5, 0.7])], title=title, y_format=percent)
    if kind == "bar":
        return bar_chart([label, "Feb"], [3, 5], title=title, y_format=plain)
    return interval_chart([Bar(label, 0.1, 0.02, 0.2)], title=title, x_format=percent)


# --- Every chart -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["line", "bar", "interval"])
def test_a_chart_is_one_accessible_svg_with_its_title_first(kind):
    root = parse(example(kind, title=NASTY))
    assert root.get("class") == "chart"
    assert root.get("role") == "img"
    assert root.get("aria-label") == NASTY
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 640 \d+(\.\d)?", root.get("viewBox"))
    assert root[0].tag == NS + "title" and root[0].text == NASTY


@pytest.mark.parametrize("kind", ["line", "bar", "interval"])
def test_labels_are_escaped_and_the_svg_still_parses(kind):
    chart = example(kind, title=NASTY, label=NASTY, name=NASTY)
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart and "&amp;" in chart
    root = parse(chart)
    assert NASTY in [text_of(e) for e in root.iter()]
    assert any(NASTY in (t.text or "") for t in find(root, "title")[1:])  # the data tooltips too


def test_a_formatter_s_output_is_escaped_too():
    chart = bar_chart(["a"], [1], title="t", y_format=lambda v: f"<{v:g}>")
    assert "<1>" not in chart
    assert "<1>" in [t.text for t in find(parse(chart), "text", "tick")]


@pytest.mark.parametrize("kind", ["line", "bar", "interval"])
def test_cyrillic_labels_come_out_as_written(kind):
    chart = example(kind, title="Удержание", label="Январь", name="Продления")
    assert "Январь" in chart
    texts = [text_of(e) for e in parse(chart).iter()]
    assert "Январь" in texts and "Удержание" in texts
    if kind == "line":
        assert "Продления, Январь: 50%" in texts


@pytest.mark.parametrize("chart", [
    lambda empty: line_chart(["a", "b"], [], title="t", y_format=plain, empty=empty),
    lambda empty: line_chart(["a", "b"], [Series("s", [None, None]), Series("u", [None, float("nan")])], title="t",
                             y_format=plain, empty=empty),
    lambda empty: line_chart([], [Series("s", [])], title="t", y_format=plain, empty=empty),
    lambda empty: bar_chart(["a", "b"], [None, None], title="t", y_format=plain, empty=empty),
    lambda empty: bar_chart([], [], title="t", y_format=plain, empty=empty),
    lambda empty: interval_chart([], title="t", x_format=plain, empty=empty),
    lambda empty: interval_chart([Bar("a", None, note="too few"), Bar("b", None)], title="t", x_format=plain,
                                 empty=empty),
], ids=["line-no-series", "line-all-none", "line-no-labels", "bar-all-none", "bar-nothing", "interval-no-bars",
        "interval-all-none"])
def test_nothing_to_draw_shows_the_empty_message_only(chart):
    root = parse(chart("Нет данных <пока> & всё"))
    assert [text_of(t) for t in find(root, "text", "empty")] == ["Нет данных <пока> & всё"]
    assert [e for e in root.iter() if set(e.get("class", "").split()) & set(DATA_CLASSES)] == []
    assert find(root, "g", "axis") == []


# --- Nice ticks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lo, hi, expected", [
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (0.62, 0.81, [0.6, 0.65, 0.7, 0.75, 0.8, 0.85]),
    (-0.3, 0.2, [-0.3, -0.2, -0.1, 0, 0.1, 0.2]),
    (5.1, 14.9, [0, 5, 10, 15]),  # 3 ticks of 5 would do: one more, towards 0
    (-14.9, -5.1, [-15, -10, -5, 0]),
    (0, 1234, [0, 500, 1000, 1500]),
    (3, 3, [0, 1, 2, 3]),  # a single value is shown from 0
    (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
])
def test_nice_ticks_examples(lo, hi, expected):
    assert _nice_ticks(lo, hi) == pytest.approx(expected)


def test_nice_ticks_are_nice_and_cover_any_range():
    rng = random.Random(20260310)
    for _ in range(2000):
        scale = 10 ** rng.uniform(-4, 6)
        lo, hi = sorted((rng.uniform(-1, 1) * scale, rng.uniform(-1, 1) * scale))
        ticks = _nice_ticks(lo, hi)
        assert_nice(ticks)
        assert ticks[0] <= lo + 1e-9 * scale and ticks[-1] >= hi - 1e-9 * scale, (lo, hi, ticks)
        assert 0.0 in ticks or not ticks[0] < 0 < ticks[-1]


# --- Line chart ------------------------------------------------------------------------------------


def test_line_chart_draws_a_point_per_value_and_a_path_per_series():
    series = [Series("Month passes", [0.8, None, 0.7, 0.65]), Series("Packs", [None, None, 0.4, 0.5]),
              Series("Trials", [None, None, None, None])]
    root = parse(line_chart(["Jan", "Feb", "Mar", "Apr"], series, title="Retention", y_format=percent))
    assert len(find(root, "circle", "point")) == 5
    assert [p.get("class") for p in find(root, "path", "line")] == ["line series-0", "line series-1", "line series-2"]
    assert [tooltip(c) for c in find(root, "circle", "point")] == [
        "Month passes, Jan: 80%", "Month passes, Mar: 70%", "Month passes, Apr: 65%", "Packs, Mar: 40%",
        "Packs, Apr: 50%"]


def test_a_none_breaks_the_line():
    root = parse(line_chart(months(5), [Series("s", [1, 2, None, 3, 4])], title="t", y_format=plain))
    (path,) = find(root, "path", "line")
    assert path.get("d").count("M") == 2 and path.get("d").count("L") == 2


def test_a_larger_value_is_drawn_higher_and_on_its_tick():
    values = [3.0, 17.0, 5.5, 12.0, 0.0, 9.0, 20.0]
    root = parse(line_chart(months(len(values)), [Series("s", values)], title="t", y_format=plain))
    ys = [float(c.get("cy")) for c in find(root, "circle", "point")]
    by_value = [y for _, y in sorted(zip(values, ys, strict=True))]
    assert all(a > b for a, b in pairwise(by_value))  # SVG y grows downwards
    tick_y = dict(axis_ticks(root, "y"))
    assert ys[values.index(20.0)] == tick_y[20.0] and ys[values.index(0.0)] == tick_y[0.0]
    xs = [float(c.get("cx")) for c in find(root, "circle", "point")]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


@pytest.mark.parametrize("values, y_min, y_max", [
    ([0.62, 0.81, 0.7], None, None),
    ([0.62, 0.81, 0.7], 0, 1),
    ([-42.0, 3.5, 17.25], None, None),
    ([1500, 1510, 1490], 0, None),
    ([0.5, 1.2], None, 1),  # a value above y_max still shows
    ([-0.2, 0.5], 0, None),  # and one below y_min
])
def test_y_ticks_are_nice_and_cover_the_data_and_the_requested_range(values, y_min, y_max):
    root = parse(line_chart(months(len(values)), [Series("s", values)], title="t", y_format=plain, y_min=y_min,
                            y_max=y_max))
    ticks = [value for value, _ in axis_ticks(root, "y")]
    assert_nice(ticks)
    assert ticks[0] <= min([*values, *([y_min] if y_min is not None else [])])
    assert ticks[-1] >= max([*values, *([y_max] if y_max is not None else [])])
    positions = [y for _, y in axis_ticks(root, "y")]
    assert positions == sorted(positions, reverse=True)
    assert all(positions[-1] <= float(c.get("cy")) <= positions[0] for c in find(root, "circle", "point"))


def test_the_legend_appears_from_two_series_with_the_series_colours():
    one = parse(line_chart(["a", "b"], [Series("Only", [1, 2])], title="t", y_format=plain))
    assert find(one, "g", "legend") == []
    two = parse(line_chart(["a", "b"], [Series("First", [1, 2]), Series("Second", [2, 1])], title="t",
                           y_format=plain))
    (legend,) = find(two, "g", "legend")
    assert [text_of(t) for t in find(legend, "text")] == ["First", "Second"]
    swatches = [s.get("stroke") for s in find(legend, "line")]
    assert swatches == [p.get("stroke") for p in find(two, "path", "line")]


def test_eight_series_get_eight_distinct_colours_and_a_ninth_is_refused():
    series = [Series(f"S{i}", [i, i + 1]) for i in range(8)]
    root = parse(line_chart(["a", "b"], series, title="t", y_format=plain))
    paths = find(root, "path", "line")
    assert [p.get("class") for p in paths] == [f"line series-{i}" for i in range(8)]
    assert len({p.get("stroke") for p in paths}) == 8
    assert all(re.fullmatch(r"#[0-9a-f]{6}", p.get("stroke")) for p in paths)
    with pytest.raises(ValueError):
        line_chart(["a", "b"], [*series, Series("S8", [1, 2])], title="t", y_format=plain)


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        line_chart(["a", "b", "c"], [Series("s", [1, 2])], title="t", y_format=plain)
    with pytest.raises(ValueError):
        bar_chart(["a", "b", "c"], [1, 2], title="t", y_format=plain)


@pytest.mark.parametrize("n", [1, 5, 12, 13, 31, 100, 365])
def test_x_labels_are_thinned_to_at_most_twelve_evenly(n):
    labels = [f"{i + 1:02d}.03" for i in range(n)]
    root = parse(line_chart(labels, [Series("s", list(range(n)))], title="t", y_format=plain))
    shown = find(root, "text", "x-label")
    assert 1 <= len(shown) <= 12
    if n <= 12:
        assert len(shown) == n
    else:
        assert len(shown) >= 6
    assert text_of(shown[0]) == labels[0]
    xs = [float(t.get("x")) for t in shown]
    gaps = [b - a for a, b in pairwise(xs)]
    if gaps:
        assert max(gaps) - min(gaps) < 0.25  # evenly, but for rounding to 0.1 px
        assert min(gaps) >= 5 * 6.5  # room for the widest label ("01.03")
    assert len(find(root, "circle", "point")) == n  # thinning drops labels, never points


def test_a_long_x_label_is_cut_and_keeps_its_whole_text_as_a_tooltip():
    long = "A very long plan name that cannot fit under one bar " * 2
    root = parse(bar_chart([long, "b"] * 6, [1] * 12, title="t", y_format=plain))
    first = find(root, "text", "x-label")[0]
    assert first.find(NS + "title").text == long
    assert text_of(first).endswith("…") and len(text_of(first)) < len(long) * 2


# --- Bar chart -------------------------------------------------------------------------------------


def test_bar_chart_draws_a_bar_per_value_up_from_zero():
    values = [4.0, None, 10.0, 0.0, 7.0]
    root = parse(bar_chart(["Mon", "Tue", "Wed", "Thu", "Fri"], values, title="Visits", y_format=plain))
    bars = find(root, "rect", "bar")
    assert len(bars) == 4
    assert [tooltip(b) for b in bars] == ["Mon: 4", "Wed: 10", "Thu: 0", "Fri: 7"]
    ticks = axis_ticks(root, "y")
    assert_nice([v for v, _ in ticks])
    assert ticks[0][0] == 0 and ticks[-1][0] >= 10
    zero = dict(ticks)[0.0]
    assert all(math.isclose(float(b.get("y")) + float(b.get("height")), zero, abs_tol=0.11) for b in bars)
    heights = [float(b.get("height")) for b in bars]
    assert heights[2] == 0 and heights[1] > heights[3] > heights[0] > 0


def test_negative_bars_hang_below_the_zero_line():
    root = parse(bar_chart(["a", "b", "c"], [-30.0, 12.0, -5.0], title="t", y_format=plain))
    ticks = axis_ticks(root, "y")
    assert ticks[0][0] <= -30 and ticks[-1][0] >= 12 and 0.0 in dict(ticks)
    (zero_line,) = find(find(root, "g", "y-axis")[0], "line", "zero")
    zero = float(zero_line.get("y1"))
    neg, pos, small = find(root, "rect", "bar")
    assert float(neg.get("y")) == zero and float(small.get("y")) == zero
    assert math.isclose(float(pos.get("y")) + float(pos.get("height")), zero, abs_tol=0.11)
    assert float(neg.get("height")) > float(pos.get("height")) > float(small.get("height")) > 0


# --- Interval chart --------------------------------------------------------------------------------


FOREST = [
    Bar("Welcome call", 0.06, 0.02, 0.10),
    Bar("Freeze offer", -0.04, -0.09, -0.01),
    Bar("Birthday SMS", 0.01, -0.03, 0.05, note="n = 240"),
    Bar("Win-back", None, note="too few members yet"),
    Bar("Point estimate only", 0.03),
]


def test_interval_chart_draws_a_dot_per_bar_with_a_value_and_its_whisker():
    root = parse(interval_chart(FOREST, title="Effects", x_format=percent))
    dots = find(root, "circle", "dot")
    assert len(dots) == 4
    assert [d.get("class") for d in dots] == ["dot effect-pos", "dot effect-neg", "dot effect-none", "dot effect-none"]
    assert [tooltip(d) for d in dots] == ["Welcome call: 6% [2%, 10%]", "Freeze offer: -4% [-9%, -1%]",
                                          "Birthday SMS: 1% [-3%, 5%]\nn = 240", "Point estimate only: 3%"]
    assert len(find(root, "path", "whisker")) == 3
    assert [text_of(t) for t in find(root, "text", "row-label")] == [b.label for b in FOREST]
    assert [text_of(t) for t in find(root, "text", "note")] == ["too few members yet"]


def test_the_x_axis_covers_zero_and_every_interval_end_with_nice_ticks():
    bars = [Bar("a", -12.5, -31.0, -2.0), Bar("b", -4.0, -9.0, -1.5)]
    root = parse(interval_chart(bars, title="t", x_format=plain))
    ticks = axis_ticks(root, "x")
    values = [v for v, _ in ticks]
    assert_nice(values)
    assert values[0] <= -31 and values[-1] >= 0
    (zero_line,) = find(root, "line", "zero")
    zero_x = float(zero_line.get("x1"))
    assert ticks[0][1] < zero_x <= ticks[-1][1] and zero_x == dict(ticks)[0.0]
    assert float(zero_line.get("y1")) < float(zero_line.get("y2"))


def test_the_x_axis_reaches_zero_for_effects_far_from_it():
    root = parse(interval_chart([Bar("a", 50.0, 41.0, 58.0), Bar("b", 47.0, 44.0, 52.0)], title="t",
                                x_format=plain))
    values = [v for v, _ in axis_ticks(root, "x")]
    assert_nice(values)
    assert values[0] == 0 and values[-1] >= 58
    assert len(find(root, "line", "zero")) == 1


def test_the_zero_line_sits_between_the_axis_ends_for_a_range_across_zero():
    root = parse(interval_chart(FOREST, title="t", x_format=plain))
    ticks = axis_ticks(root, "x")
    assert_nice([v for v, _ in ticks])
    assert ticks[0][0] <= -0.09 and ticks[-1][0] >= 0.10
    (zero_line,) = find(root, "line", "zero")
    assert ticks[0][1] < float(zero_line.get("x1")) < ticks[-1][1]


def test_a_dot_sits_inside_its_whisker_and_further_right_for_a_larger_value():
    root = parse(interval_chart(FOREST, title="t", x_format=plain))
    dots, whiskers = find(root, "circle", "dot"), find(root, "path", "whisker")
    for dot, whisker in zip(dots[:3], whiskers, strict=True):  # the last bar has no interval
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", whisker.get("d"))]
        low_x, high_x = numbers[0], numbers[5]  # M low top V bottom M low cy H high ...
        assert low_x < float(dot.get("cx")) < high_x
        assert float(dot.get("cy")) == numbers[4]
    values = [b.value for b in FOREST if b.value is not None]
    xs = [float(d.get("cx")) for d in dots]
    assert [x for _, x in sorted(zip(values, xs, strict=True))] == sorted(xs)
    ys = [float(d.get("cy")) for d in dots]
    assert ys == sorted(ys)  # rows go down in the given order


def test_the_height_grows_by_a_row_per_bar():
    def height(n):
        chart = interval_chart([Bar(f"b{i}", i, i - 1, i + 1) for i in range(n)], title="t", x_format=plain)
        return float(parse(chart).get("viewBox").split()[3])
    assert height(10) - height(5) == pytest.approx(5 * 28)
    assert height(1) >= 28 + 20


# --- Forest lines on a common axis (the renewals page's verdict lines) -----------------------------------------


def forest_x(root: ET.Element, element: ET.Element, attr: str = "cx") -> float:
    return float(element.get(attr))


def test_forest_lines_share_one_axis_that_holds_zero_every_interval_and_break_even():
    bars = [Bar("programme", 0.04, 0.01, 0.07), Bar("a", -0.02, -0.09, 0.05, break_even=0.12),
            Bar("b", None, note="none")]
    ticks = forest_ticks(bars)
    assert_nice(ticks)
    assert ticks[0] <= -0.09 and ticks[-1] >= 0.12
    rows = [parse(forest_row(b, ticks, title=b.label, x_format=percent)) for b in bars]
    zeros = [forest_x(r, find(r, "line", "zero")[0], "x1") for r in rows]
    assert len(set(zeros)) == 1   # the same zero in every line
    first = rows[0]
    (dot,), (bar,) = find(first, "circle", "dot"), find(first, "rect", "interval")
    assert "effect-pos" in dot.get("class") and "effect-pos" in bar.get("class")
    assert float(bar.get("x")) > zeros[0]   # the whole interval right of zero: helps
    assert float(bar.get("x")) < forest_x(first, dot) < float(bar.get("x")) + float(bar.get("width"))
    (dashed,) = find(rows[1], "line", "break-even")
    assert dashed.get("stroke-dasharray") and forest_x(rows[1], dashed, "x1") > zeros[0]
    assert "effect-none" in find(rows[1], "circle", "dot")[0].get("class")
    assert find(rows[0], "line", "break-even") == []   # none given, none drawn
    assert [text_of(t) for t in find(rows[2], "text", "note")] == ["none"] and not find(rows[2], "circle")
    scale = parse(forest_scale(ticks, title="axis", x_format=percent))
    labels = {t.text: float(t.get("x")) for t in find(scale, "text", "tick")}
    assert labels["0%"] == zeros[0]   # the scale's 0 stands over the lines' zero


def test_an_interval_beyond_the_axis_limit_is_cut_with_an_arrow_and_a_hollow_dot():
    wide = Bar("tiny", 0.45, -0.8, 0.9)
    ticks = forest_ticks([wide, Bar("small", 0.02, -0.01, 0.05)])
    assert ticks[-1] <= 0.4 and ticks[0] >= -0.4   # one tool with little data does not squash the others
    root = parse(forest_row(wide, ticks, title="t", x_format=percent))
    assert len(find(root, "path", "clipped")) == 2
    (dot,) = find(root, "circle", "dot")
    assert "clipped" in dot.get("class") and dot.get("fill") == "#ffffff"
    assert "45%" in tooltip(dot) and "-80%" in tooltip(dot)   # the tooltip tells the real figures
