"""Server-side charts: the geometry of a small line chart and of a horizontal bar chart, drawn
as inline SVG by the templates ``clients/_chart.html`` and ``coordinator/dashboard.html`` (no
JavaScript, no chart library; it prints, and a data table with the same values is always next
to it).

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
    value: float


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
    series: Sequence[tuple[str, Sequence[float | None]]],
    minimum: int,
    maximum: int,
    y_step: int | None = None,
) -> LineChart:
    """A chart of ``len(x_labels)`` columns; each series gives a value (or None) per column
    (a score of an item, or a T-score). The y axis is labelled every ``y_step`` (default: every
    step of a short scale, every second of a longer one)."""
    if maximum <= minimum:
        raise ValueError("a chart needs maximum > minimum")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = len(x_labels)

    def x(i: int) -> float:
        return round(LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1)), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (maximum - v) / (maximum - minimum), 1)

    step = y_step or (1 if maximum - minimum <= 5 else 2)
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


# --- a horizontal bar chart (the coordinator's funnel) --------------------------------------------

BAR_WIDTH = 480
#: Each row: its label on one line, the bar below it (so long labels fit a phone).
BAR_LABEL_H, BAR_HEIGHT, BAR_GAP = 20, 22, 12
#: Room for the count right of the longest bar.
BAR_VALUE_W = 64


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    #: Baseline of the label; the bar's top.
    label_y: float
    y: float
    width: float
    #: Where the count is written (just right of the bar).
    value_x: float
    #: The share of the first bar, e.g. 0.42 (the funnel's conversion from the first stage).
    share: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bar_height: int
    bars: tuple[Bar, ...]


def bar_chart(rows: Sequence[tuple[str, int]]) -> BarChart:
    """One horizontal bar per row under its label, scaled to the largest value (all zero: no
    bar drawn). The template ``coordinator/dashboard.html`` draws it; a table has the figures."""
    biggest = max((v for _label, v in rows), default=0)
    first = rows[0][1] if rows else 0
    plot_w = BAR_WIDTH - BAR_VALUE_W
    row_h = BAR_LABEL_H + BAR_HEIGHT + BAR_GAP
    bars = []
    for i, (label, value) in enumerate(rows):
        width = round(plot_w * value / biggest, 1) if biggest else 0.0
        top = float(i * row_h)
        bars.append(
            Bar(
                label,
                value,
                top + BAR_LABEL_H - 6,
                top + BAR_LABEL_H,
                width,
                width + 8,
                value / first if first else 0.0,
            )
        )
    height = max(len(rows) * row_h - BAR_GAP, 1)
    return BarChart(BAR_WIDTH, height, BAR_HEIGHT, tuple(bars))


# --- the funder report's bar charts (web/report_pages.py, clients/_chart.html report_bars) ------

REPORT_BAR_WIDTH = 640
REPORT_BAR_LABEL = 220
REPORT_BAR_ROW = 30
REPORT_BAR_PAD = 8


@dataclass(frozen=True)
class ReportBar:
    label: str
    value: int
    y: float
    width: float
    #: Where the value's text goes (right of the bar).
    text_x: float


@dataclass(frozen=True)
class ReportBarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[ReportBar, ...]


def report_bar_chart(rows: Sequence[tuple[str, int]]) -> ReportBarChart:
    """One horizontal bar per (label, value), the label left of it, scaled to the largest
    value; a chart of zeros has no bars drawn (the table beside it says 0)."""
    top = max((v for _l, v in rows), default=0)
    plot = REPORT_BAR_WIDTH - REPORT_BAR_LABEL - 60
    bars = []
    for i, (label, value) in enumerate(rows):
        width = 0.0 if top <= 0 else round(plot * max(value, 0) / top, 1)
        y = REPORT_BAR_PAD + i * REPORT_BAR_ROW
        bars.append(ReportBar(label, value, y, width, REPORT_BAR_LABEL + width + 6))
    height = REPORT_BAR_PAD * 2 + REPORT_BAR_ROW * max(len(rows), 1)
    return ReportBarChart(
        REPORT_BAR_WIDTH, height, REPORT_BAR_LABEL, REPORT_BAR_ROW - 8, tuple(bars)
    )
