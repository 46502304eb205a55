"""What the client page's GAS goals section shows (``clients/_goals.html``): the goals with their
five levels, the T-score at the baseline and at each follow-up with its change, a small line
chart of it, and the two forms (a new goal; a follow-up rating every goal on one date).

Read in the client page's transaction, so the page's one access-log row covers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from sqlmodel import Session

from engine.bounds import Id
from engine.dates import TooEarly, local_day
from engine.gas import LEVELS
from engine.goals import (
    LEVEL_FIELDS,
    ScorePoint,
    goal_weight,
    goals_of,
    is_described,
    level_text,
    rating_field,
    ratings_of,
    series,
)
from engine.models import GasGoal
from web.charts import LineChart, line_chart
from web.forms import Attempt

#: The levels as the forms and tables list them: best first.
LEVELS_DOWN = tuple(reversed(LEVELS))


@dataclass
class FormState:
    """A form's values as typed (strings), its errors by field, and whether it was just saved."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    saved: bool = False
    #: A date refused as too early (:class:`engine.dates.TooEarly`): the first date allowed.
    earliest: date | None = None

    @classmethod
    def of(cls, values: dict[str, str], done: Attempt[Any]) -> FormState:
        """The form after an attempt: fresh when saved, else as typed with the fields marked."""
        if done.ok:
            return cls(saved=True)
        early = done.error.earliest if isinstance(done.error, TooEarly) else None
        return cls(values, dict(done.errors), earliest=early)


def chart_of(points: Sequence[ScorePoint]) -> tuple[LineChart, list[date | None]] | None:
    """The defined T-scores as a :func:`web.charts.line_chart` (one series, labelled every 10
    points, 50 = as expected) and the day of each column (None: the baseline); None when fewer
    than two are defined."""
    defined = [p for p in points if p.t is not None]
    if len(defined) < 2:
        return None
    values = [p.t for p in defined if p.t is not None]
    low = min(30, 10 * int(min(values) // 10))
    high = max(70, 10 * int(-(-max(values) // 10)))
    days = [p.rated_on for p in defined]
    labels = ["" if day is None else day.isoformat() for day in days]
    return line_chart(labels, [("T", values)], low, high, y_step=10), days


@dataclass
class GoalBoard:
    goals: list[GasGoal]
    points: list[ScorePoint]
    #: The T-score chart (web.charts) and the day of each of its columns (None: baseline).
    chart: LineChart | None
    chart_days: list[date | None]
    today: date
    goal_form: FormState = field(default_factory=FormState)
    follow_up: FormState = field(default_factory=FormState)
    #: The goal whose change form ``edit_form`` holds (values and errors as posted).
    editing: int | None = None
    edit_form: FormState = field(default_factory=FormState)
    levels: tuple[int, ...] = LEVELS_DOWN
    level_fields: dict[int, str] = field(default_factory=lambda: dict(LEVEL_FIELDS))
    #: The first date a follow-up may have: the day the latest described goal was set.
    first_follow_up: date | None = None

    @property
    def described(self) -> list[GasGoal]:
        return [g for g in self.goals if is_described(g)]

    def is_described(self, goal: GasGoal) -> bool:
        return is_described(goal)

    def level_text(self, goal: GasGoal, level: int) -> str:
        return level_text(goal, level)

    def weight(self, goal: GasGoal) -> float:
        return goal_weight(goal)

    def values_of(self, goal: GasGoal) -> dict[str, str]:
        """A saved goal as its change form's values."""
        values = {name: level_text(goal, level) for level, name in LEVEL_FIELDS.items()}
        weights = {"importance": goal.importance, "difficulty": goal.difficulty}
        values.update({k: "" if v is None else str(v) for k, v in weights.items()})
        return {**values, "goal": goal.goal, "baseline": str(goal.baseline)}

    def field(self, goal: GasGoal) -> str:
        return rating_field(goal.id or 0)

    def latest(self, goal: GasGoal) -> tuple[date, int] | None:
        """The goal's level at the latest follow-up that rated it."""
        for point in reversed(self.points):
            if point.rated_on is not None and goal.id is not None and goal.id in point.levels:
                return point.rated_on, point.levels[goal.id]
        return None


def goal_board(
    session: Session,
    client_id: Id,
    *,
    rho: float,
    today: date,
    goal_form: FormState | None = None,
    follow_up: FormState | None = None,
    editing: int | None = None,
    edit_form: FormState | None = None,
    zone: tzinfo | None = None,
) -> GoalBoard:
    """The section's data (two SELECTs); ``zone``: the local time zone (a goal's day)."""
    goals = goals_of(session, client_id)
    points = series(goals, ratings_of(session, client_id), rho)
    set_days = [local_day(g.created_at, zone) for g in goals if is_described(g)]
    chart, days = chart_of(points) or (None, [])
    return GoalBoard(
        goals,
        points,
        chart,
        days,
        today,
        goal_form or FormState(),
        follow_up or FormState(),
        editing,
        edit_form or FormState(),
        first_follow_up=max(set_days, default=None),
    )
