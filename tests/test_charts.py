"""The server-side line chart's geometry (web/charts.py), worked out by hand: 640 x 300 with
margins 44 (left, right), 16 (top), 44 (bottom), so the plot is 552 wide and 240 high."""

from __future__ import annotations

import pytest

from web.charts import line_chart


def test_points_lie_on_the_scale_and_gaps_are_skipped() -> None:
    chart = line_chart(["1.1.", "1.2.", "1.3."], [("a", [0, 5, 10]), ("b", [4, None, 6])], 0, 10)
    a, b = chart.series
    assert [(p.x, p.y) for p in a.points] == [(44, 256), (320, 136), (596, 16)]
    assert a.path == "44,256 320,136 596,16"
    # a missing value leaves no point: the line joins the answered ones
    assert [(p.x, p.y, p.value) for p in b.points] == [(44, 160, 4), (596, 112, 6)]
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    assert [t.at for t in chart.x_ticks] == [44, 320, 596]
    assert (a.style, b.style) == (0, 1)


def test_one_to_five_ticks_every_point_and_one_column_is_centred() -> None:
    chart = line_chart(["1.1."], [("a", [3])], 1, 5)
    assert [t.label for t in chart.y_ticks] == ["1", "2", "3", "4", "5"]
    (point,) = chart.series[0].points
    assert (point.x, point.y) == (320, 136)


def test_styles_repeat_after_ten_series() -> None:
    chart = line_chart(["x", "y"], [(str(i), [1, 2]) for i in range(11)], 1, 5)
    assert [s.style for s in chart.series][-2:] == [9, 0]


def test_a_scale_needs_a_range() -> None:
    with pytest.raises(ValueError, match="maximum > minimum"):
        line_chart(["x"], [], 3, 3)


def test_bar_chart_scales_to_the_largest_value_with_shares_of_the_first() -> None:
    from web.charts import BAR_VALUE_W, BAR_WIDTH, bar_chart

    chart = bar_chart([("contacted", 40), ("engaged", 10), ("goals", 0)])
    plot = BAR_WIDTH - BAR_VALUE_W
    assert [b.width for b in chart.bars] == [plot, plot / 4, 0]
    assert [b.share for b in chart.bars] == [1.0, 0.25, 0.0]
    assert [b.value_x for b in chart.bars] == [plot + 8, plot / 4 + 8, 8]
    # each row is its label and below it the bar; rows do not overlap
    tops = [b.y for b in chart.bars]
    assert all(b.label_y < b.y for b in chart.bars)
    assert tops == sorted(set(tops))
    assert chart.height == tops[-1] + chart.bar_height
    empty = bar_chart([("contacted", 0)])
    assert empty.bars[0].width == 0
    assert empty.bars[0].share == 0.0


def test_report_bar_chart_scales_to_the_largest_value() -> None:
    from web.charts import REPORT_BAR_LABEL, REPORT_BAR_WIDTH, report_bar_chart

    chart = report_bar_chart([("a", 10), ("b", 5), ("c", 0)])
    widths = [b.width for b in chart.bars]
    assert widths[0] == REPORT_BAR_WIDTH - REPORT_BAR_LABEL - 60
    assert widths[1] == widths[0] / 2
    assert widths[2] == 0
    assert [b.y for b in chart.bars] == sorted(b.y for b in chart.bars)
    assert all(b.width == 0 for b in report_bar_chart([("a", 0), ("b", 0)]).bars)


def test_the_goal_board_draws_its_t_score_with_the_line_chart() -> None:
    """Issue 12: the GAS section's chart is web.charts.line_chart (one series of T-scores,
    labelled every 10 points from 30 to 70 at least), not a second chart of its own."""
    from datetime import date

    from engine.goals import ScorePoint
    from web.charts import LineChart
    from web.goal_board import chart_of

    points = [
        ScorePoint(None, 37.4),
        ScorePoint(date(2026, 1, 15), None),  # undefined: left out
        ScorePoint(date(2026, 2, 1), 57.8),
        ScorePoint(date(2026, 3, 1), 71.2),
    ]
    made = chart_of(points)
    assert made is not None
    chart, days = made
    assert isinstance(chart, LineChart)
    assert chart == line_chart(
        ["", "2026-02-01", "2026-03-01"], [("T", [37.4, 57.8, 71.2])], 30, 80, 10
    )
    assert [t.label for t in chart.y_ticks] == ["30", "40", "50", "60", "70", "80"]
    assert [p.value for p in chart.series[0].points] == [37.4, 57.8, 71.2]
    assert days == [None, date(2026, 2, 1), date(2026, 3, 1)]
    assert chart_of(points[:2]) is None  # one defined score: no line
