"""GAS goals (tavoitteet, Goal Attainment Scaling) and their follow-up ratings (seuranta).

A coach sets goals with the client: the goal, its five levels -2..+2 each described in the
client's own words (0 = the expected outcome), the baseline (-1, or -2 when nothing worse is
possible) and the weight (importance x difficulty, each 0-3, or unweighted: 1). A goal may be
saved as a draft; it can be rated, and it counts for the ``gas_goals_described`` guard on
entering goal setting, only once all five levels are described. A goal can be changed until it
is first rated; then the ratings refer to it, so a changed goal is a new goal.

A follow-up rates every described goal on one date. Ratings are history: only ever added; a
correction is a new rating for the same goal and date, and the latest recorded one counts.

:func:`t_score_series` gives the Kiresuk-Sherman T-score (:mod:`engine.gas`) at the baseline and
at each follow-up, with the change from the previous point and from the baseline. The change
from the baseline compares the same goals (those rated at that follow-up).

Goal texts are client data: they never go into logs or error messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import bindparam, exists, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from engine import dates
from engine.driver import DriverStatement, connection_of
from engine.errors import InputRequired, NotFound
from engine.gas import LEVELS, Rating, t_score, weight
from engine.inputs import Input, blank_is_none, checks_of
from engine.models import GasGoal, GasRating

TEXT_MAX = 500
#: The column of each level's description.
LEVEL_FIELDS: dict[int, str] = {
    -2: "level_minus_2",
    -1: "level_minus_1",
    0: "level_0",
    1: "level_plus_1",
    2: "level_plus_2",
}
BASELINES = (-2, -1)


Level = Annotated[int, Field(ge=-2, le=2)]
Score = Annotated[int, Field(ge=0, le=3)]


class NewGoal(Input):
    """A goal as set (or changed) with the client: the API's body and the goal forms alike.
    A form's five level fields (``level_minus_2`` ... ``level_plus_2``) are the ``levels``;
    missing levels make a draft. :func:`add_goal` and :func:`edit_goal` apply the rest of the
    rules (both weights or neither)."""

    goal: str = Field(min_length=1, max_length=TEXT_MAX)
    #: Level (-2..+2) -> its description in the client's words; missing levels: a draft.
    levels: dict[Level, Annotated[str, Field(max_length=TEXT_MAX)]] = Field(default_factory=dict)
    baseline: int = Field(default=-1, ge=-2, le=-1)
    #: Both or neither (unweighted: weight 1).
    importance: Score | None = None
    difficulty: Score | None = None

    _blank = field_validator("baseline", "importance", "difficulty", mode="before")(blank_is_none)

    @model_validator(mode="before")
    @classmethod
    def form_levels(cls, data: Any) -> Any:
        """The form's level fields become ``levels``; a blank baseline is the default -1."""
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        names = {name: level for level, name in LEVEL_FIELDS.items()}
        levels = {names[k]: values.pop(k) for k in list(values) if k in names}
        if levels:
            values["levels"] = {**values.get("levels", {}), **levels}
        if isinstance(values.get("baseline"), str) and not values["baseline"].strip():
            values.pop("baseline")
        return values

    @property
    def field_values(self) -> dict[str, Any]:
        """The keyword arguments of :func:`add_goal` and :func:`edit_goal`."""
        return {
            "goal": self.goal,
            "levels": self.levels,
            "baseline": self.baseline,
            "importance": self.importance,
            "difficulty": self.difficulty,
        }


class NewFollowUp(Input):
    """A follow-up: the date (not in the future) and each goal's level -2..+2 (a form's
    ``goal_<id>`` fields are the ``levels``; a blank one is a goal left unrated)."""

    rated_on: date
    levels: dict[int, Level | None] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def form_levels(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        found = {
            k.removeprefix("goal_"): values.pop(k)
            for k in list(values)
            if k.startswith("goal_")
            and k.removeprefix("goal_").isascii()
            and k.removeprefix("goal_").isdigit()
        }
        if found:
            values["levels"] = {
                int(k): (None if isinstance(v, str) and not v.strip() else v)
                for k, v in found.items()
            }
        return values

    @field_validator("rated_on")
    @classmethod
    def not_in_future(cls, day: date, info: ValidationInfo) -> date:
        checks = checks_of(info)
        if checks is not None and day > checks.today:
            raise ValueError("a follow-up cannot be in the future")
        return day


def level_text(goal: GasGoal, level: int) -> str:
    return str(getattr(goal, LEVEL_FIELDS[level]))


def is_described(goal: GasGoal) -> bool:
    """All five levels are described: the goal can be rated. The same rule as the SQL of
    :func:`has_described_goal` (a level is stored stripped, so described means not empty)."""
    return all(level_text(goal, level) != "" for level in LEVELS)


def goal_weight(goal: GasGoal) -> float:
    return weight(goal.importance, goal.difficulty)


def _described_condition() -> list[object]:
    """:func:`is_described` in SQL."""
    return [col(getattr(GasGoal, name)) != "" for name in LEVEL_FIELDS.values()]


#: :func:`has_described_goal`'s statement, built once: building it cost five times running it
#: (issue 16: 172 µs of the ``set_goals`` step against 31 µs), and SQLAlchemy reuses the compiled
#: form of one statement object.
_HAS_DESCRIBED_GOAL = select(
    exists().where(
        col(GasGoal.client_id) == bindparam("client_id"),
        *_described_condition(),  # type: ignore[arg-type]
    )
)


_HAS_DESCRIBED_GOAL_FAST = DriverStatement(_HAS_DESCRIBED_GOAL)


def has_described_goal(session: Session | Connection, client_id: int) -> bool:
    """The client has at least one goal with all five levels described (one SELECT, on the
    driver's cursor: a guard of the transition path)."""
    row = _HAS_DESCRIBED_GOAL_FAST.first(connection_of(session), {"client_id": client_id})
    return row is not None and bool(row[0])


def goals_of(session: Session, client_id: int, *, lock: bool = False) -> list[GasGoal]:
    """The client's goals; ``lock``: FOR UPDATE, freshly read (writers that must not interleave:
    a follow-up and a change of a goal)."""
    stmt = select(GasGoal).where(col(GasGoal.client_id) == client_id).order_by(col(GasGoal.id))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session.execute(stmt).scalars())


def ratings_of(session: Session, client_id: int) -> list[GasRating]:
    """Every rating of the client's goals, in the order recorded."""
    return list(
        session.execute(
            select(GasRating)
            .where(col(GasRating.client_id) == client_id)
            .order_by(col(GasRating.rated_on), col(GasRating.id))
        ).scalars()
    )


def _check_goal(
    goal: str,
    levels: Mapping[int, str],
    baseline: int,
    importance: int | None,
    difficulty: int | None,
) -> tuple[str, dict[int, str]]:
    text = goal.strip()
    if not text:
        raise InputRequired("goal", "write the goal")
    if len(text) > TEXT_MAX:
        raise InputRequired("goal", f"the goal is at most {TEXT_MAX} characters")
    described: dict[int, str] = {}
    for level, name in LEVEL_FIELDS.items():
        value = (levels.get(level) or "").strip()
        if len(value) > TEXT_MAX:
            raise InputRequired(name, f"a level is described in at most {TEXT_MAX} characters")
        described[level] = value
    if unknown := set(levels) - set(LEVEL_FIELDS):
        raise InputRequired("levels", f"levels are -2..+2, not {sorted(unknown)}")
    if baseline not in BASELINES:
        raise InputRequired("baseline", "the baseline is -1, or -2 when nothing worse is possible")
    if (importance is None) != (difficulty is None):
        missing = "difficulty" if difficulty is None else "importance"
        raise InputRequired(missing, "give both importance and difficulty, or neither")
    for label, score in (("importance", importance), ("difficulty", difficulty)):
        if score is not None and not 0 <= score <= 3:
            raise InputRequired(label, f"{label} is 0-3")
    return text, described


def add_goal(
    session: Session,
    *,
    client_id: int,
    actor_id: int | None,
    goal: str,
    levels: Mapping[int, str],
    baseline: int = -1,
    importance: int | None = None,
    difficulty: int | None = None,
    now: datetime,
) -> GasGoal:
    """Save a goal of the client; raises :class:`InputRequired` naming the field."""
    text, described = _check_goal(goal, levels, baseline, importance, difficulty)
    row = GasGoal(
        client_id=client_id,
        goal=text,
        baseline=baseline,
        importance=importance,
        difficulty=difficulty,
        created_by=actor_id,
        created_at=now,
        updated_by=actor_id,
        updated_at=now,
    )
    for level, value in described.items():
        setattr(row, LEVEL_FIELDS[level], value)
    session.add(row)
    session.flush()
    return row


def edit_goal(
    session: Session,
    goal_id: int,
    *,
    client_id: int,
    actor_id: int | None,
    goal: str,
    levels: Mapping[int, str],
    baseline: int = -1,
    importance: int | None = None,
    difficulty: int | None = None,
    now: datetime,
) -> GasGoal:
    """Change a goal that has not been rated yet (a rated goal is history: add a new one).

    The client's goals are locked first, as :func:`record_follow_up` locks them: a follow-up
    being saved at the same moment either commits first (then this refuses) or rates the
    changed goal, never the old text under the new one."""
    row = next((g for g in goals_of(session, client_id, lock=True) if g.id == goal_id), None)
    if row is None:
        raise NotFound(f"goal {goal_id} of client {client_id}")
    rated = session.execute(select(exists().where(col(GasRating.goal_id) == goal_id))).scalar()
    if rated:
        raise InputRequired("goal", "a rated goal cannot be changed; add a new goal instead")
    text, described = _check_goal(goal, levels, baseline, importance, difficulty)
    row.goal, row.baseline = text, baseline
    row.importance, row.difficulty = importance, difficulty
    for level, value in described.items():
        setattr(row, LEVEL_FIELDS[level], value)
    row.updated_by, row.updated_at = actor_id, now
    session.add(row)
    session.flush()
    return row


def rating_field(goal_id: int) -> str:
    """The name of a goal's level in a follow-up (form field, error field)."""
    return f"goal_{goal_id}"


def record_follow_up(
    session: Session,
    *,
    client_id: int,
    actor_id: int | None,
    rated_on: date,
    levels: Mapping[int, int | None],
    today: date,
    now: datetime,
    zone: tzinfo | None = None,
) -> list[GasRating]:
    """Rate every described goal of the client on ``rated_on`` (``levels``: goal id -> -2..+2).

    Raises :class:`InputRequired` naming ``rated_on`` or the goal's field (``goal_<id>``):
    ``rated_on`` in the future, or before a goal it rates was set (its baseline, the day in
    ``zone``: :func:`engine.dates.check_follow_up_date`, :class:`engine.dates.TooEarly`)."""
    if rated_on > today:
        raise InputRequired("rated_on", "a follow-up cannot be in the future")
    goals = {g.id: g for g in goals_of(session, client_id, lock=True)}
    for goal_id in levels:
        goal = goals.get(goal_id)
        if goal is None:
            raise InputRequired(rating_field(goal_id), "not a goal of this client")
        if not is_described(goal):
            raise InputRequired(rating_field(goal_id), "describe all five levels before rating")
    ratable = [g for g in goals.values() if is_described(g)]
    if not ratable:
        raise InputRequired("goals", "describe all five levels of a goal before rating it")
    dates.check_follow_up_date(
        rated_on, {g.id: g.created_at for g in ratable if g.id is not None}, zone
    )
    rows: list[GasRating] = []
    for goal in ratable:
        assert goal.id is not None
        level = levels.get(goal.id)
        if level is None or level not in LEVELS:
            raise InputRequired(rating_field(goal.id), "rate every goal: a level -2..+2")
        rows.append(
            GasRating(
                goal_id=goal.id,
                client_id=client_id,
                rated_on=rated_on,
                level=level,
                rated_by=actor_id,
                rated_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


# --- T-score over time ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    """The T-score at the baseline (``rated_on`` None) or at one follow-up; None: undefined
    (every weight 0). Changes are None at the baseline or when either side is undefined."""

    rated_on: date | None
    t: float | None
    from_previous: float | None = None
    from_baseline: float | None = None
    #: goal id -> level at this point
    levels: Mapping[int, int] = field(default_factory=dict)

    @property
    def is_baseline(self) -> bool:
        return self.rated_on is None


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def series(goals: Sequence[GasGoal], ratings: Iterable[GasRating], rho: float) -> list[ScorePoint]:
    """The baseline and each follow-up date, oldest first (pure: no database)."""
    described = [g for g in goals if is_described(g)]
    weights = {g.id: goal_weight(g) for g in described}
    baselines = {g.id: g.baseline for g in described}

    def score(levels: Mapping[int, int]) -> float | None:
        return t_score((Rating(level, weights[gid]) for gid, level in levels.items()), rho)

    by_date: dict[date, dict[int, int]] = {}
    for r in sorted(ratings, key=lambda r: (r.rated_on, r.id or 0)):
        if r.goal_id in weights:
            by_date.setdefault(r.rated_on, {})[r.goal_id] = r.level  # the latest counts
    if not described:
        return []
    base = {gid: level for gid, level in baselines.items() if gid is not None}
    points = [ScorePoint(None, score(base), levels=base)]
    for day in sorted(by_date):
        levels = by_date[day]
        t = score(levels)
        same_goals_baseline = score({gid: baselines[gid] for gid in levels})
        points.append(
            ScorePoint(
                day,
                t,
                from_previous=_difference(t, points[-1].t),
                from_baseline=_difference(t, same_goals_baseline),
                levels=levels,
            )
        )
    return points


def t_score_series(session: Session, client_id: int, rho: float) -> list[ScorePoint]:
    """:func:`series` of the client's goals and ratings (two SELECTs)."""
    return series(goals_of(session, client_id), ratings_of(session, client_id), rho)
