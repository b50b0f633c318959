"""The geometry of the home's bar charts, drawn as plain SVG by ``_charts.html``.

Plain SVG from a template rather than a charting library: the page stays readable without
JavaScript and under the strict Content-Security-Policy (no inline script or style), each bar
carries its figure in a ``<title>`` (shown on hover and read by screen readers), and the bars
take the organization's colour from CSS. A column chart needs no more than this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 10, 26  # room for the value axis and the date labels
GAP = 0.25  # of each column's slot left empty


@dataclass(frozen=True)
class Segment:
    """One series' part of a column."""

    series: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    """One period's bar (stacked when there are several series)."""

    x: float
    width: float
    title: str
    segments: list[Segment]


@dataclass(frozen=True)
class Label:
    """A text on an axis."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A column chart laid out in a ``WIDTH`` × ``HEIGHT`` view box."""

    columns: list[Column]
    grid: list[Label]  # horizontal lines at round values, with the value as text
    periods: list[Label]
    width: int = WIDTH
    height: int = HEIGHT
    top: int = TOP
    bottom: float = HEIGHT - BOTTOM
    left: int = LEFT
    right: int = WIDTH - RIGHT


def nice_step(top: Decimal | int) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) giving about four grid lines up to top."""
    if top <= 0:
        return Decimal(1)
    rough = Decimal(top) / 4
    power = Decimal(10) ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10  # pragma: no cover (factor 10 always fits)


def column_chart(
    values: Sequence[Sequence[Decimal | int]],
    titles: Sequence[str],
    periods: Sequence[str],
    tick: Callable[[Decimal], str],
    label_every: int = 1,
) -> Chart:
    """Columns of stacked series (``values[i]`` is column i's series), hover titles, period
    labels (one in ``label_every``) and round grid values written by ``tick``."""
    highest = max((sum(column, Decimal(0)) for column in values), default=Decimal(0))
    step = nice_step(highest)
    top = step * max(1, math.ceil(Decimal(highest) / step))
    plot_height, slot = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT - RIGHT) / max(1, len(values))

    def y_of(value: Decimal) -> float:
        return HEIGHT - BOTTOM - float(Decimal(value) / top) * plot_height

    columns = []
    for i, column in enumerate(values):
        segments, base = [], Decimal(0)
        for series, value in enumerate(column):
            if value:
                top_y = y_of(base + value)
                segments.append(Segment(series, top_y, y_of(base) - top_y))
            base += value
        x = LEFT + slot * i + slot * GAP / 2
        columns.append(Column(round(x, 2), round(slot * (1 - GAP), 2), titles[i], segments))
    count = int(top / step)
    grid = [Label(LEFT - 4, y_of(step * n), tick(step * n)) for n in range(count + 1)]
    labels = [
        Label(LEFT + slot * (i + 0.5), HEIGHT - 8, text)
        for i, text in enumerate(periods)
        if (len(periods) - 1 - i) % label_every == 0
    ]
    return Chart(columns, grid, labels)
