"""A client's GAS goals (tavoitteet) in the JSON API: the goals with the T-score at the baseline
and at each follow-up, setting a goal, and recording a follow-up. The rules are in
:mod:`engine.goals`; bad input is a 422 naming the field (``InputRequired``).

Access rules (care team, as for the contact log): ``client:goals`` to read,
``client:set_goal`` to add a goal, ``client:rate_goals`` to record a follow-up; each request
writes one access-log row. Goal texts are client data: never logged.

- ``GET /api/clients/{id}/goals``: the goals and the T-score series
- ``POST /api/clients/{id}/goals``: set a goal (201)
- ``POST /api/clients/{id}/goals/{goal_id}``: change a goal not rated yet
- ``POST /api/clients/{id}/goals/follow-ups``: rate every described goal on a date (201)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from engine.access import What
from engine.bounds import Id
from engine.gas import LEVELS
from engine.goals import (
    NewGoal,
    add_goal,
    edit_goal,
    goal_weight,
    goals_of,
    is_described,
    level_text,
    ratings_of,
    record_follow_up,
    series,
)
from engine.models import GasGoal
from web.api.clients import ERRORS
from web.api.schemas import Strict
from web.deps import RuntimeDep
from web.security import ClientAccess, client_rule

router = APIRouter(prefix="/api/clients", tags=["goals"])

GoalsView = Annotated[ClientAccess, Depends(client_rule(What.goals, by="client"))]
SetGoal = Annotated[ClientAccess, Depends(client_rule(What.set_goal, by="client"))]
RateGoals = Annotated[ClientAccess, Depends(client_rule(What.rate_goals, by="client"))]

Level = Annotated[int, Field(ge=-2, le=2)]
Score = Annotated[int, Field(ge=0, le=3)]


#: The body of a new or changed goal: the engine's input model (the goal forms build it too).
GoalCreate = NewGoal


class GoalOut(BaseModel):
    id: int
    goal: str
    levels: dict[int, str]
    #: All five levels described: the goal can be rated.
    described: bool
    baseline: int
    importance: int | None
    difficulty: int | None
    weight: float
    created_at: datetime
    created_by: int | None


class RatingIn(Strict):
    goal_id: Id
    level: Level


class FollowUpCreate(Strict):
    rated_on: date
    #: Every described goal of the client, once.
    ratings: list[RatingIn] = Field(min_length=1, max_length=100)


class ScorePointOut(BaseModel):
    #: None: the baseline.
    rated_on: date | None
    #: None: undefined (every weight 0).
    t_score: float | None
    change_from_previous: float | None
    change_from_baseline: float | None
    #: Goal id -> level at this point.
    levels: dict[int, int]


class GoalsOut(BaseModel):
    client_id: Id
    rho: float
    goals: list[GoalOut]
    t_scores: list[ScorePointOut]


def goal_out(goal: GasGoal) -> GoalOut:
    assert goal.id is not None
    return GoalOut(
        id=goal.id,
        goal=goal.goal,
        levels={level: level_text(goal, level) for level in LEVELS},
        described=is_described(goal),
        baseline=goal.baseline,
        importance=goal.importance,
        difficulty=goal.difficulty,
        weight=goal_weight(goal),
        created_at=goal.created_at,
        created_by=goal.created_by,
    )


def goals_out(access: ClientAccess, rho: float) -> GoalsOut:
    goals = goals_of(access.session, access.client_id)
    points = series(goals, ratings_of(access.session, access.client_id), rho)
    return GoalsOut(
        client_id=access.client_id,
        rho=rho,
        goals=[goal_out(g) for g in goals],
        t_scores=[
            ScorePointOut(
                rated_on=p.rated_on,
                t_score=p.t,
                change_from_previous=p.from_previous,
                change_from_baseline=p.from_baseline,
                levels=dict(p.levels),
            )
            for p in points
        ],
    )


@router.get("/{client_id}/goals", response_model=GoalsOut, responses=ERRORS)
def read_goals(client_id: Id, view: GoalsView, runtime: RuntimeDep) -> GoalsOut:
    """The client's goals with their five levels, and the T-score at the baseline and at each
    follow-up with its change from the previous point and from the baseline."""
    return goals_out(view, runtime.settings.gas_rho)


@router.post(
    "/{client_id}/goals",
    status_code=status.HTTP_201_CREATED,
    response_model=GoalOut,
    responses=ERRORS,
)
def create_goal(client_id: Id, body: GoalCreate, work: SetGoal, runtime: RuntimeDep) -> GoalOut:
    """Set a goal with the client (a draft until all five levels are described)."""
    goal = add_goal(
        work.session,
        client_id=client_id,
        actor_id=work.principal.user_id,
        goal=body.goal,
        levels=body.levels,
        baseline=body.baseline,
        importance=body.importance,
        difficulty=body.difficulty,
        now=runtime.clock.now(),
    )
    return goal_out(goal)


@router.post(
    "/{client_id}/goals/follow-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=GoalsOut,
    responses=ERRORS,
)
def create_follow_up(
    client_id: Id, body: FollowUpCreate, work: RateGoals, runtime: RuntimeDep
) -> GoalsOut:
    """Rate every described goal on one date (a correction is a new follow-up on the same
    date); answers with the goals and the new T-score series."""
    record_follow_up(
        work.session,
        client_id=client_id,
        actor_id=work.principal.user_id,
        rated_on=body.rated_on,
        levels={r.goal_id: r.level for r in body.ratings},
        today=runtime.clock.today(),
        now=runtime.clock.now(),
        zone=runtime.clock.zone,
    )
    return goals_out(work, runtime.settings.gas_rho)


# after follow-ups: "follow-ups" is not a goal id
@router.post("/{client_id}/goals/{goal_id}", response_model=GoalOut, responses=ERRORS)
def change_goal(
    client_id: Id, goal_id: Id, body: GoalCreate, work: SetGoal, runtime: RuntimeDep
) -> GoalOut:
    """Change a goal that has not been rated yet (all fields, as when it was set); a rated goal
    is history: 422 on ``goal``, add a new goal instead."""
    goal = edit_goal(
        work.session,
        goal_id,
        client_id=client_id,
        actor_id=work.principal.user_id,
        goal=body.goal,
        levels=body.levels,
        baseline=body.baseline,
        importance=body.importance,
        difficulty=body.difficulty,
        now=runtime.clock.now(),
    )
    return goal_out(goal)
