"""The geometry of the home's column charts, drawn as plain SVG by ``_chart.html``.

Plain SVG from a template rather than a charting library: the page stays readable without
JavaScript and under the strict Content-Security-Policy (no inline script or style), each
column carries its figures in a ``<title>`` (shown on hover, read by screen readers) and takes
the organization's colour from CSS. Horizontal positions are percentages and vertical ones
pixels, so a chart fills any width while its text keeps its size on a phone and on a desktop;
the grid values sit in a narrow SVG of their own beside the columns, never over them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

HEIGHT = 190  # px
TOP, BOTTOM = 18, 24  # room for the top grid value and for the period labels
GAP = 0.25  # of each column's slot left empty


@dataclass(frozen=True)
class Segment:
    """One series' part of a column (y and height in px)."""

    series: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    """One period's column (x and width in % of the chart's width)."""

    x: float
    width: float
    slot_x: float
    slot_width: float
    title: str
    segments: list[Segment]


@dataclass(frozen=True)
class Label:
    """A text on the chart: x in %, y in px, anchored at its start, middle or end."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    """A column chart ``HEIGHT`` px high, as wide as its container."""

    columns: list[Column]
    grid: list[Label]  # a horizontal line at each round value; the value, right-aligned
    periods: list[Label]
    height: int = HEIGHT
    baseline: int = HEIGHT - BOTTOM


def nice_step(top: Decimal | int, whole: bool = False) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) giving at most four grid lines to top;
    at least 1 when the values are counts (``whole``)."""
    if top <= 0:
        return Decimal(1)
    rough = Decimal(top) / 4
    power = Decimal(10) ** math.floor(math.log10(rough))
    step = next(power * factor for factor in (1, 2, 5, 10) if power * factor >= rough)
    return max(step, Decimal(1)) if whole else step


def _period(i: int, count: int, slot: float, text: str) -> Label:
    """The first and last labels line up with the chart's edges, the others centre."""
    if i == count - 1:
        return Label(100, HEIGHT - 6, text, "end")
    if i == 0:
        return Label(0, HEIGHT - 6, text, "start")
    return Label(round(slot * (i + 0.5), 3), HEIGHT - 6, text)


def column_chart(
    values: Sequence[Sequence[Decimal | int]],
    titles: Sequence[str],
    periods: Sequence[str],
    tick: Callable[[Decimal], str],
    label_every: int = 1,
    whole: bool = False,
) -> Chart:
    """Columns of stacked series (``values[i]`` holds column i's series) with hover titles,
    period labels (one in ``label_every``, counted from the last) and round grid values
    (whole numbers for counts)."""
    highest = max((sum(column, Decimal(0)) for column in values), default=Decimal(0))
    step = nice_step(highest, whole)
    top = step * max(1, math.ceil(Decimal(highest) / step))
    plot, slot = HEIGHT - BOTTOM - TOP, 100 / max(1, len(values))

    def y_of(value: Decimal) -> float:
        return round(HEIGHT - BOTTOM - float(Decimal(value) / top) * plot, 2)

    columns = []
    for i, column in enumerate(values):
        segments, base = [], Decimal(0)
        for series, value in enumerate(column):
            if value:
                top_y = y_of(base + value)
                segments.append(Segment(series, top_y, round(y_of(base) - top_y, 2)))
            base += value
        x, width = slot * i + slot * GAP / 2, slot * (1 - GAP)
        columns.append(
            Column(round(x, 3), round(width, 3), round(slot * i, 3), slot, titles[i], segments)
        )
    grid = [Label(100, y_of(step * n), tick(step * n), "end") for n in range(int(top / step) + 1)]
    count = len(periods)
    labels = [
        _period(i, count, slot, text)
        for i, text in enumerate(periods)
        if (count - 1 - i) % label_every == 0
    ]
    return Chart(columns, grid, labels)
