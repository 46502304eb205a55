"""Server-side charts: the geometry of a small line chart, drawn as inline SVG by the template
``clients/_chart.html`` (no JavaScript, no chart library; it prints, and a data table with the
same values is always next to it).

:func:`line_chart` places one point per assessment (in date order, evenly spaced) and one line
per item on the instrument's scale. Colours come from CSS classes ``chart-series-<n>`` (each also
has its own dash pattern and marker, so the lines differ without colour too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 44
#: Distinct series styles (app.css ``.chart-series-0`` .. ``-9``).
STYLES = 10


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int


@dataclass(frozen=True)
class Series:
    label: str
    style: int
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """The ``points`` attribute of the series' polyline."""
        return " ".join(f"{p.x:g},{p.y:g}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    minimum: int,
    maximum: int,
) -> LineChart:
    """A chart of ``len(x_labels)`` columns; each series gives a value (or None) per column."""
    if maximum <= minimum:
        raise ValueError("a chart needs maximum > minimum")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = len(x_labels)

    def x(i: int) -> float:
        return round(LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1)), 1)

    def y(v: int) -> float:
        return round(TOP + plot_h * (maximum - v) / (maximum - minimum), 1)

    step = 1 if maximum - minimum <= 5 else 2
    y_ticks = tuple(Tick(y(v), str(v)) for v in range(minimum, maximum + 1, step))
    x_ticks = tuple(Tick(x(i), label) for i, label in enumerate(x_labels))
    lines = tuple(
        Series(
            label,
            i % STYLES,
            tuple(Point(x(j), y(v), v) for j, v in enumerate(values) if v is not None),
        )
        for i, (label, values) in enumerate(series)
    )
    return LineChart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, x_ticks, y_ticks, lines)


# --- horizontal bar charts (the funder report, web/report_pages.py) ----------------------------

BAR_WIDTH = 640
BAR_LABEL = 220
BAR_ROW = 30
BAR_PAD = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    #: Where the value's text goes (right of the bar).
    text_x: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(rows: Sequence[tuple[str, int]]) -> BarChart:
    """One horizontal bar per (label, value), scaled to the largest value; a chart of zeros
    has no bars drawn (the table beside it says 0)."""
    top = max((v for _l, v in rows), default=0)
    plot = BAR_WIDTH - BAR_LABEL - 60
    bars = []
    for i, (label, value) in enumerate(rows):
        width = 0.0 if top <= 0 else round(plot * max(value, 0) / top, 1)
        y = BAR_PAD + i * BAR_ROW
        bars.append(Bar(label, value, y, width, BAR_LABEL + width + 6))
    height = BAR_PAD * 2 + BAR_ROW * max(len(rows), 1)
    return BarChart(BAR_WIDTH, height, BAR_LABEL, BAR_ROW - 8, tuple(bars))
