"""Server-side SVG charts for the managers' dashboard: no JavaScript, no CDN, only markup.

`line_chart` draws series over periods (e.g. retention by month), `bar_chart` one bar per period and
`interval_chart` a forest plot of effects with their confidence intervals. `forest_row` draws one line of a forest
plot as its own small chart (the renewals page puts one beside each tool's verdict), on a common axis from
`forest_ticks` that `forest_scale` labels, so that the lines of a table compare at a glance. Each returns one `<svg>`
element as Markup that scales to its container (a viewBox and width 100%), with a `<title>` on every
data element as a hover tooltip. All text is escaped; numbers on axes and in tooltips go through the
caller's formatter (a Babel one, so they follow the locale). Data elements carry classes for the
page's CSS and for tests (`line series-N`, `point`, `bar`, `dot effect-…`, `whisker`, `interval`, `zero`,
`break-even`) and presentation
attributes as well, so a chart reads right without any CSS.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Series", "bar_chart", "forest_row", "forest_scale", "forest_ticks", "interval_chart", "line_chart"]

# Eight distinct series colours (Tableau 10); series N gets PALETTE[N] and the class series-N.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")
EFFECT_COLOURS = {"effect-pos": "#2e7d32", "effect-neg": "#c62828", "effect-none": "#757575"}
INK, MUTED, GRID, ZERO = "#333333", "#707070", "#e2e2e2", "#8a8a8a"
FONT_SIZE = 12   # in the viewBox: at the two-column width of a 1280 px screen, about 11 CSS px
CHAR_WIDTH = 7.1  # px per character at FONT_SIZE sans-serif: generous, so Cyrillic and digits fit too
ROW_HEIGHT = 28  # one row of the forest plot
MAX_X_LABELS = 12
MAX_X_LABEL_WIDTH = 80  # longer x labels are cut rather than thinned out further
BASELINE = ".32em"  # dy that centres a line of text vertically on its y


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a value per x label, None for a gap."""

    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Bar:
    """One row of a forest plot: VALUE with the interval LOW..HIGH; a row without a value shows NOTE."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""
    break_even: float | None = None   # forest_row: the value at which the effect pays for itself (a dashed line)


# --- Markup ----------------------------------------------------------------------------------------


def _number(x: float) -> str:
    """A coordinate rounded to 1 decimal, without a trailing .0."""
    r = round(x, 1)
    return str(int(r)) if r == int(r) else str(r)


def _tag(name: str, *children: str, **attrs: object) -> Markup:
    """An element NAME with ATTRS (class_ -> class, text_anchor -> text-anchor; None is left out;
    floats are rounded) and CHILDREN (plain strings are escaped, Markup is kept)."""
    text = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(_number(v) if isinstance(v, float) else v)}"'
        for key, v in attrs.items() if v is not None)
    if not children:
        return Markup(f"<{name}{text}/>")
    return Markup(f"<{name}{text}>{Markup('').join(children)}</{name}>")


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _text(content: str, max_width: float, **attrs: object) -> Markup:
    """A `<text>` cut with an ellipsis to fit MAX_WIDTH px; a cut one keeps the whole text as its tooltip."""
    if _text_width(content) <= max_width:
        return _tag("text", content, **attrs)
    cut = content[:max(1, int(max_width / CHAR_WIDTH) - 1)] + "…"
    return _tag("text", _tag("title", content), cut, **attrs)


def _svg(title: str, width: int, height: float, *body: str) -> Markup:
    return _tag("svg", _tag("title", title), *body, xmlns="http://www.w3.org/2000/svg", class_="chart", role="img",
                aria_label=title, viewBox=f"0 0 {width} {_number(height)}", width="100%",
                font_family="sans-serif", font_size=FONT_SIZE, fill=INK)


def _empty(title: str, width: int, height: float, message: str) -> Markup:
    return _svg(title, width, height, _tag("text", message, class_="empty", x=width / 2, y=height / 2, dy=BASELINE,
                                           text_anchor="middle", fill=MUTED))


def _finite(v: float | None) -> bool:
    """Whether V is a value to draw (None, NaN and infinities are not)."""
    return v is not None and math.isfinite(v)


# --- Scales and axes -------------------------------------------------------------------------------


def _nice_ticks(lo: float, hi: float, *, min_ticks: int = 4, max_ticks: int = 6) -> list[float]:
    """MIN_TICKS..MAX_TICKS evenly spaced ticks, a step of 1, 2 or 5 times a power of ten apart, that cover
    LO..HI. A single value is shown from 0 (or 0..1 for 0 itself)."""
    lo, hi = min(lo, hi), max(lo, hi)
    if lo == hi:
        lo, hi = (min(lo, 0.0), max(hi, 0.0)) if lo else (0.0, 1.0)
    exponent = math.floor(math.log10((hi - lo) / max_ticks))
    while True:
        for multiple in (1, 2, 5):
            step = multiple * 10.0 ** exponent
            first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if last - first + 1 <= max_ticks:
                while last - first + 1 < min_ticks:  # only after a 2 -> 5 jump: add a step, towards 0 if it is off
                    if first > 0 or (last >= 0 and abs(first) > abs(last)):
                        first -= 1
                    else:
                        last += 1
                decimals = max(0, -exponent)
                return [round(i * step, decimals) + 0.0 for i in range(first, last + 1)]
        exponent += 1


@dataclass(frozen=True)
class _Scale:
    """Maps LO..HI onto START..END px (END < START for a y axis, whose values grow upwards)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, v: float) -> float:
        return round(self.start + (v - self.lo) / (self.hi - self.lo) * (self.end - self.start), 1)


def _axis(ticks: list[float], scale: _Scale, fmt: Callable[[float], str], *, vertical: bool,
          across: tuple[float, float], label_at: float) -> Markup:
    """A grid line per tick across the plot (from ACROSS[0] to ACROSS[1] px) and its label: right-aligned at
    x=LABEL_AT for a VERTICAL (y) axis, centred at y=LABEL_AT for a horizontal one. The line at 0 is darker."""
    parts = []
    for tick in ticks:
        at = scale(tick)
        if vertical:
            line = dict(x1=across[0], x2=across[1], y1=at, y2=at)
            label = dict(x=label_at, y=at, text_anchor="end")
        else:
            line = dict(x1=at, x2=at, y1=across[0], y2=across[1])
            label = dict(x=at, y=label_at, text_anchor="middle")
        parts.append(_tag("line", class_="grid zero" if tick == 0 else "grid", stroke=ZERO if tick == 0 else GRID,
                          **line))
        parts.append(_tag("text", fmt(tick), class_="tick", dy=BASELINE, fill=MUTED, **label))
    return _tag("g", *parts, class_="axis y-axis" if vertical else "axis x-axis")


def _category_frame(x_labels: Sequence[str], lo: float, hi: float, y_format: Callable[[float], str], *,
                    width: int, height: int, top: float) -> tuple[Markup, list[float], float, _Scale]:
    """The frame shared by the line and bar charts: a y axis covering LO..HI under TOP px and one band per
    x label, its label (thinned out to at most MAX_X_LABELS) under the band's centre.
    Returns the frame, the bands' centres, a band's width and the y scale."""
    ticks = _nice_ticks(lo, hi)
    left = max(_text_width(y_format(t)) for t in ticks) + 14
    right, bottom = 12.0, height - 22.0
    y = _Scale(ticks[0], ticks[-1], bottom, top)
    band = (width - right - left) / len(x_labels)
    centres = [left + (i + 0.5) * band for i in range(len(x_labels))]
    widest = min(max(_text_width(label) for label in x_labels), MAX_X_LABEL_WIDTH)
    every = max(math.ceil(len(x_labels) / MAX_X_LABELS), math.ceil((widest + 8) / band))
    labels = [_text(x_labels[i], every * band - 8, class_="x-label", x=centres[i], y=bottom + 12, dy=BASELINE,
                    text_anchor="middle") for i in range(0, len(x_labels), every)]
    frame = _axis(ticks, y, y_format, vertical=True, across=(left, width - right), label_at=left - 6)
    return frame + _tag("g", *labels, class_="x-labels"), centres, band, y


# --- Charts ----------------------------------------------------------------------------------------


def _legend(names: Sequence[str], width: int) -> tuple[Markup, float]:
    """A swatch and name per series, wrapped into rows; returns it and the y below it."""
    items, x, y = [], 8.0, 12.0
    for i, name in enumerate(names):
        item_width = 18 + min(_text_width(name), 160) + 16
        if x + item_width > width and x > 8:
            x, y = 8.0, y + 16
        items.append(_tag("line", class_=f"swatch series-{i}", x1=x, x2=x + 14, y1=y, y2=y, stroke=PALETTE[i],
                          stroke_width=3))
        items.append(_text(name, 160, x=x + 18, y=y, dy=BASELINE))
        x += item_width
    return _tag("g", *items, class_="legend"), y + 18


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """Path data through POINTS, broken where a point is None."""
    d, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        d.append(f"{'L' if pen_down else 'M'}{_number(point[0])} {_number(point[1])}")
        pen_down = True
    return " ".join(d)


def line_chart(x_labels: list[str], series: list[Series], *, title: str, y_format: Callable[[float], str],
               y_min: float | None = None, y_max: float | None = None, width: int = 640, height: int = 240,
               empty: str = "No data") -> Markup:
    """Up to 8 SERIES as lines with a point per value over X_LABELS; a legend from 2 series. The y axis covers
    every value and at least Y_MIN..Y_MAX when given."""
    if len(series) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} series, got {len(series)}")
    if any(len(s.values) != len(x_labels) for s in series):
        raise ValueError("every series needs a value (or None) per x label")
    values = [v for s in series for v in s.values if _finite(v)]
    if not values:
        return _empty(title, width, height, empty)
    legend, top = _legend([s.name for s in series], width) if len(series) > 1 else (Markup(), 10.0)
    lo = min(values) if y_min is None else min(y_min, *values)
    hi = max(values) if y_max is None else max(y_max, *values)
    frame, xs, _, y = _category_frame(x_labels, lo, hi, y_format, width=width, height=height, top=top)
    lines, points = [], []
    for i, s in enumerate(series):
        coords = [(x, y(v)) if _finite(v) else None for x, v in zip(xs, s.values, strict=True)]
        lines.append(_tag("path", class_=f"line series-{i}", d=_path(coords), fill="none", stroke=PALETTE[i],
                          stroke_width=2, stroke_linejoin="round"))
        points.extend(_tag("circle", _tag("title", f"{s.name}, {label}: {y_format(v)}"), class_="point", cx=xy[0],
                           cy=xy[1], r=3, fill=PALETTE[i], stroke="#ffffff", stroke_width=1)
                      for xy, v, label in zip(coords, s.values, x_labels, strict=True) if xy)
    return _svg(title, width, height, frame, legend, *lines, *points)


def bar_chart(x_labels: list[str], values: list[float | None], *, title: str, y_format: Callable[[float], str],
              width: int = 640, height: int = 240, empty: str = "No data") -> Markup:
    """A vertical bar per x label from 0 to its value (None: no bar); the y axis always includes 0."""
    if len(values) != len(x_labels):
        raise ValueError("bar_chart needs a value (or None) per x label")
    present = [v for v in values if _finite(v)]
    if not present:
        return _empty(title, width, height, empty)
    frame, xs, band, y = _category_frame(x_labels, min(0.0, *present), max(0.0, *present), y_format, width=width,
                                         height=height, top=10.0)
    bar_width, zero = min(band * 0.7, 48.0), y(0.0)
    bars = [_tag("rect", _tag("title", f"{label}: {y_format(v)}"), class_="bar", x=x - bar_width / 2,
                 y=min(zero, y(v)), width=bar_width, height=abs(zero - y(v)), fill=PALETTE[0])
            for x, v, label in zip(xs, values, x_labels, strict=True) if _finite(v)]
    return _svg(title, width, height, frame, *bars)


def _interval_marks(bar: Bar, x: _Scale, cy: float, fmt: Callable[[float], str]) -> list[Markup]:
    """A forest plot row's whisker (when it has both ends) and dot, coloured by which side of 0 it lies."""
    effect = ("effect-pos" if _finite(bar.low) and bar.low > 0 else
              "effect-neg" if _finite(bar.high) and bar.high < 0 else "effect-none")
    colour, marks, tip = EFFECT_COLOURS[effect], [], f"{bar.label}: {fmt(bar.value)}"
    if _finite(bar.low) and _finite(bar.high):
        lo, hi = _number(x(bar.low)), _number(x(bar.high))
        top, middle, bottom = _number(cy - 5), _number(cy), _number(cy + 5)
        marks.append(_tag("path", class_="whisker", d=f"M{lo} {top}V{bottom}M{lo} {middle}H{hi}M{hi} {top}V{bottom}",
                          fill="none", stroke=colour, stroke_width=1.5))
        tip += f" [{fmt(bar.low)}, {fmt(bar.high)}]"
    if bar.note:
        tip += f"\n{bar.note}"
    marks.append(_tag("circle", _tag("title", tip), class_=f"dot {effect}", cx=x(bar.value), cy=cy, r=4.5,
                      fill=colour))
    return marks


def interval_chart(bars: list[Bar], *, title: str, x_format: Callable[[float], str], width: int = 640,
                   empty: str = "No data") -> Markup:
    """A forest plot: a row per bar (label, whisker LOW..HIGH, dot at VALUE; a bar without a value shows its
    note), over an x axis that includes 0, every value and every interval end."""
    shown = [b for b in bars if _finite(b.value)]
    if not shown:
        return _empty(title, width, 2 * ROW_HEIGHT + 30, empty)
    extent = [0.0, *(v for b in shown for v in (b.value, b.low, b.high) if _finite(v))]
    ticks = _nice_ticks(min(extent), max(extent))
    left = max(min(max(_text_width(b.label) for b in bars) + 16, width * 0.35), _text_width(x_format(ticks[0])) / 2 + 6)
    right = max(_text_width(x_format(ticks[-1])) / 2 + 6, 12.0)
    top, rows_bottom = 8.0, 8.0 + len(bars) * ROW_HEIGHT
    x = _Scale(ticks[0], ticks[-1], left, width - right)
    parts = [_axis(ticks, x, x_format, vertical=False, across=(top, rows_bottom), label_at=rows_bottom + 14)]
    for row, bar in enumerate(bars):
        cy = top + (row + 0.5) * ROW_HEIGHT
        parts.append(_text(bar.label, left - 16, class_="row-label", x=left - 8, y=cy, dy=BASELINE, text_anchor="end"))
        if _finite(bar.value):
            parts.extend(_interval_marks(bar, x, cy, x_format))
        elif bar.note:  # a white halo keeps the note readable over the grid
            parts.append(_text(bar.note, width - right - left - 8, class_="note", x=left + 6, y=cy, dy=BASELINE,
                               fill=MUTED, font_style="italic", stroke="#ffffff", stroke_width=3, paint_order="stroke"))
    return _svg(title, width, rows_bottom + 30, *parts)


# --- One forest plot line per table row ------------------------------------------------------------

FOREST_WIDTH, FOREST_HEIGHT, FOREST_PAD = 260, 30, 8
# The common axis never runs wider than this either side of 0: one interval of a tool with little data (up to
# ±100 points) would otherwise squash every other line into a dot. An end beyond it is drawn as an arrow.
FOREST_LIMIT = 0.3


def _clamp(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


def forest_ticks(bars: Sequence[Bar], limit: float = FOREST_LIMIT) -> list[float]:
    """The common axis of BARS' forest lines: nice ticks covering 0, every value, interval end and break-even
    (each cut to ±LIMIT)."""
    extent = [0.0, *(_clamp(v, -limit, limit) for b in bars for v in (b.value, b.low, b.high, b.break_even)
                     if _finite(v))]
    return _nice_ticks(min(extent), max(extent))


def _forest_scale(ticks: list[float], width: int) -> _Scale:
    return _Scale(ticks[0], ticks[-1], FOREST_PAD, width - FOREST_PAD)


def forest_row(bar: Bar, ticks: list[float], *, title: str, x_format: Callable[[float], str],
               width: int = FOREST_WIDTH, height: int = FOREST_HEIGHT) -> Markup:
    """One forest line on the common axis TICKS: faint tick lines, a zero line, a dashed break-even line, the
    interval LOW..HIGH as a bar with the estimate's dot, coloured by which side of 0 the interval lies (an end
    beyond the axis ends in an arrow). Without a value it shows BAR's note."""
    x, cy = _forest_scale(ticks, width), height / 2
    parts = [_tag("line", class_="grid", x1=x(t), x2=x(t), y1=2.0, y2=height - 2.0, stroke=GRID) for t in ticks if t]
    parts.append(_tag("line", class_="zero", x1=x(0.0), x2=x(0.0), y1=0.0, y2=float(height), stroke=ZERO,
                      stroke_width=1.5))
    if _finite(bar.break_even) and bar.break_even and ticks[0] <= bar.break_even <= ticks[-1]:
        parts.append(_tag("line", _tag("title", x_format(bar.break_even)), class_="break-even",
                          x1=x(bar.break_even), x2=x(bar.break_even), y1=0.0, y2=float(height), stroke=INK,
                          stroke_width=1, stroke_dasharray="4 3"))
    if not _finite(bar.value):
        parts.append(_text(bar.note or "–", width - 2 * FOREST_PAD, class_="note", x=width / 2, y=cy, dy=BASELINE,
                           text_anchor="middle", fill=MUTED, font_style="italic", stroke="#ffffff", stroke_width=3,
                           paint_order="stroke"))
        return _svg(title, width, height, *parts)
    effect = ("effect-pos" if _finite(bar.low) and bar.low > 0 else
              "effect-neg" if _finite(bar.high) and bar.high < 0 else "effect-none")
    colour = EFFECT_COLOURS[effect]
    tip = f"{bar.label}: {x_format(bar.value)}"
    if _finite(bar.low) and _finite(bar.high):
        tip += f" [{x_format(bar.low)}, {x_format(bar.high)}]"
        lo, hi = _clamp(bar.low, ticks[0], ticks[-1]), _clamp(bar.high, ticks[0], ticks[-1])
        parts.append(_tag("rect", class_=f"interval {effect}", x=x(lo), y=cy - 3, width=max(x(hi) - x(lo), 1.0),
                          height=6.0, rx=2, fill=colour, fill_opacity=0.35, stroke=colour))
        for end, cut, side in ((bar.low, lo, -1), (bar.high, hi, 1)):
            if end != cut:   # beyond the axis: an arrow at the edge says the interval runs on
                tip_x = x(cut) + side * 4
                parts.append(_tag("path", class_="clipped", fill=colour,
                                  d=f"M{_number(tip_x)} {_number(cy)}L{_number(x(cut))} {_number(cy - 5)}"
                                    f"V{_number(cy + 5)}Z"))
    if bar.note:
        tip += f"\n{bar.note}"
    at = _clamp(bar.value, ticks[0], ticks[-1])
    # An estimate beyond the axis is drawn hollow at its edge: where it sits is not where it is.
    parts.append(_tag("circle", _tag("title", tip), class_=f"dot {effect}" + (" clipped" if at != bar.value else ""),
                      cx=x(at), cy=cy, r=4.5, fill=colour if at == bar.value else "#ffffff", stroke=colour,
                      stroke_width=1.5))
    return _svg(title, width, height, *parts)


def forest_scale(ticks: list[float], *, title: str, x_format: Callable[[float], str],
                 width: int = FOREST_WIDTH) -> Markup:
    """The labels of the common axis TICKS, to sit above (or below) a column of forest lines of the same WIDTH."""
    x, height = _forest_scale(ticks, width), 16
    texts = [x_format(t) for t in ticks]
    # Crowded labels: only the ends and 0 (the lines' faint tick lines still mark the others).
    crowded = 1.5 * max(_text_width(t) for t in texts) > (width - 2 * FOREST_PAD) / max(len(ticks) - 1, 1)
    labels = [_tag("text", text, class_="tick", x=x(t), y=height / 2, dy=BASELINE, fill=MUTED,
                   text_anchor="start" if i == 0 else "end" if i == len(ticks) - 1 else "middle")
              for i, (t, text) in enumerate(zip(ticks, texts, strict=True))
              if not crowded or t == 0 or i in (0, len(ticks) - 1)]
    return _svg(title, width, height, _tag("g", *labels, class_="axis x-axis"))
