"""GAS goals on the client page (tavoitteet, ``clients/_goals.html``): set a goal with the client
and record follow-ups; the page shows the goals and the T-score over time. The logic is in
:mod:`engine.goals`.

- ``POST /clients/{client_id}/goals``: a new goal; rule ``client:set_goal``
- ``POST /clients/{client_id}/goals/{goal_id}``: change a goal not rated yet (e.g. finish a
  draft); rule ``client:set_goal``
- ``POST /clients/{client_id}/goals/follow-ups``: every described goal rated on one date; rule
  ``client:rate_goals``

htmx gets the goals section and, out of band, the next steps (a described goal lets the journey
enter goal setting); a plain form post a 303 back to the client page. Bad input is answered 422
with the same section (or the whole page without JavaScript), the values kept and the fields
marked. Goal texts are client data: never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from engine.access import What
from engine.bounds import Id
from engine.goals import (
    LEVEL_FIELDS,
    NewFollowUp,
    NewGoal,
    add_goal,
    edit_goal,
    goals_of,
    rating_field,
    record_follow_up,
)
from engine.inputs import Checks, validated
from web.coach import client_context
from web.deps import RuntimeDep
from web.errors import page_router
from web.forms import Attempt, Posted, attempt, respond, typed_values
from web.goal_board import FormState, goal_board
from web.security import ClientAccess, client_rule

router = page_router(tags=["goal pages"])

SetGoal = Annotated[ClientAccess, Depends(client_rule(What.set_goal, by="client"))]
RateGoals = Annotated[ClientAccess, Depends(client_rule(What.rate_goals, by="client"))]

TEMPLATE = "clients/_goals.html"
PAGE = "clients/detail.html"
#: The client page's next steps, refreshed out of band with the goals.
OOB = ((PAGE, "journey_actions"),)


#: The goal forms' fields: the goal, its five levels, the baseline and the weight.
GOAL_FIELDS = ("goal", *LEVEL_FIELDS.values(), "baseline", "importance", "difficulty")
#: An engine error about a level names the form's field of that level.
LEVEL_ERRORS = {f"levels.{level}": name for level, name in LEVEL_FIELDS.items()}


def answer(
    request: Request,
    work: ClientAccess,
    runtime: RuntimeDep,
    done: Attempt[Any],
    *,
    goal_form: FormState | None = None,
    follow_up: FormState | None = None,
    editing: int | None = None,
    edit_form: FormState | None = None,
) -> Response:
    """Saved: the section (htmx) or a 303; errors: the section or the whole page, with the
    error's status, the typed values kept and the fields marked."""

    def context() -> dict[str, Any]:
        found = client_context(request, work, runtime)
        found["gas"] = goal_board(
            work.session,
            work.client_id,
            rho=runtime.settings.gas_rho,
            today=runtime.clock.today(),
            goal_form=goal_form,
            follow_up=follow_up,
            editing=editing,
            edit_form=edit_form,
            zone=runtime.clock.zone,
        )
        return found

    return respond(
        request,
        done,
        redirect_to=f"/clients/{work.client_id}#goals",
        template=TEMPLATE,
        context=context,
        block="goals",
        oob=OOB,
        failed_oob=(),
        page=PAGE,
    )


def save_goal(
    work: ClientAccess, runtime: RuntimeDep, values: dict[str, str], save: Callable[..., object]
) -> Attempt[object]:
    """Run ``save`` (add_goal or a change) with the goal the form describes."""

    def run() -> object:
        goal = validated(NewGoal, values, Checks.of(runtime.clock))
        return save(
            work.session,
            client_id=work.client_id,
            actor_id=work.principal.user_id,
            now=runtime.clock.now(),
            **goal.field_values,
        )

    return attempt(work.session, run, fields=LEVEL_ERRORS)


def form_state(values: dict[str, str], done: Attempt[Any]) -> FormState:
    """The form as typed, with the fields marked; or a fresh form after a save."""
    if done.ok:
        return FormState(saved=True)
    return FormState({name: values.get(name, "") for name in GOAL_FIELDS}, dict(done.errors))


@router.post("/clients/{client_id}/goals", name="add_goal")
def add_goal_page(
    request: Request, client_id: Id, work: SetGoal, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Set a goal with the client: the goal, its five levels, the baseline and the weight."""
    values = typed_values(posted, GOAL_FIELDS)
    done = save_goal(work, runtime, values, add_goal)
    return answer(request, work, runtime, done, goal_form=form_state(values, done))


@router.post("/clients/{client_id}/goals/follow-ups", name="rate_goals")
def rate_goals_page(
    request: Request, client_id: Id, work: RateGoals, runtime: RuntimeDep, posted: Posted
) -> Response:
    """A follow-up: the date and every described goal's level, -2..+2."""
    values = typed_values(posted)
    fields = {"rated_on"} | {
        rating_field(g.id) for g in goals_of(work.session, client_id) if g.id is not None
    }
    given = {k: v for k, v in values.items() if k in fields}

    def run() -> object:
        follow_up = validated(NewFollowUp, given, Checks.of(runtime.clock))
        return record_follow_up(
            work.session,
            client_id=client_id,
            actor_id=work.principal.user_id,
            rated_on=follow_up.rated_on,
            levels=follow_up.levels,
            today=runtime.clock.today(),
            now=runtime.clock.now(),
            zone=runtime.clock.zone,
        )

    renames = {f"levels.{name.removeprefix('goal_')}": name for name in fields}
    done = attempt(work.session, run, fields=renames)
    return answer(request, work, runtime, done, follow_up=FormState.of(values, done))


# after follow-ups: "follow-ups" is not a goal id
@router.post("/clients/{client_id}/goals/{goal_id}", name="change_goal")
def change_goal_page(
    request: Request,
    client_id: Id,
    goal_id: Id,
    work: SetGoal,
    runtime: RuntimeDep,
    posted: Posted,
) -> Response:
    """Change a goal that has not been rated yet (e.g. describe a draft's missing levels)."""
    values = typed_values(posted, GOAL_FIELDS)

    def change(session: Any, **kw: Any) -> object:
        return edit_goal(session, goal_id, **kw)

    done = save_goal(work, runtime, values, change)
    if done.ok:
        return answer(request, work, runtime, done, edit_form=FormState(saved=True))
    return answer(request, work, runtime, done, editing=goal_id, edit_form=form_state(values, done))
