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
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from engine.access import What
from engine.bounds import Id
from engine.errors import InputRequired
from engine.goals import (
    LEVEL_FIELDS,
    add_goal,
    edit_goal,
    goals_of,
    rating_field,
    record_follow_up,
)
from web.coach import client_context
from web.deps import RuntimeDep, SubmittedForm
from web.goal_board import FormState, goal_board
from web.security import ClientAccess, client_rule
from web.templating import answer_post, render, render_blocks, wants_fragment

router = APIRouter(tags=["goal pages"], include_in_schema=False)

SetGoal = Annotated[ClientAccess, Depends(client_rule(What.set_goal, by="client"))]
RateGoals = Annotated[ClientAccess, Depends(client_rule(What.rate_goals, by="client"))]

TEMPLATE = "clients/_goals.html"
PAGE = "clients/detail.html"
#: The client page's next steps, refreshed out of band with the goals.
OOB = ((PAGE, "journey_actions"),)


def int_or_error(value: str, name: str, errors: dict[str, str]) -> int | None:
    """An optional whole number from a form; a bad one marks ``name``."""
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = "invalid"
        return None


def answer(
    request: Request,
    work: ClientAccess,
    runtime: RuntimeDep,
    *,
    goal_form: FormState | None = None,
    follow_up: FormState | None = None,
    editing: int | None = None,
    edit_form: FormState | None = None,
) -> Response:
    """Saved: the section (htmx) or a 303; errors: 422 with the section or the whole page."""
    work.session.expire_all()
    context = client_context(request, work, runtime)
    context["gas"] = goal_board(
        work.session,
        work.client_id,
        rho=runtime.settings.gas_rho,
        today=runtime.clock.today(),
        goal_form=goal_form,
        follow_up=follow_up,
        editing=editing,
        edit_form=edit_form,
    )
    failed = any(f is not None and f.errors for f in (goal_form, follow_up, edit_form))
    if not failed:
        return answer_post(
            request,
            redirect_to=f"/clients/{work.client_id}#goals",
            template=TEMPLATE,
            context=context,
            block="goals",
            oob=OOB,
        )
    if wants_fragment(request):
        return render_blocks(request, TEMPLATE, context, block="goals", status_code=422)
    return render(request, PAGE, context, status_code=422)


@dataclass
class GoalFields:
    """A goal form as posted (new goal, or a change): its values and the fields it gets wrong."""

    form: FormState
    levels: dict[int, str]
    baseline: int
    importance: int | None
    difficulty: int | None


def goal_fields(
    goal: Annotated[str, Form(max_length=500)] = "",
    level_minus_2: Annotated[str, Form(max_length=500)] = "",
    level_minus_1: Annotated[str, Form(max_length=500)] = "",
    level_0: Annotated[str, Form(max_length=500)] = "",
    level_plus_1: Annotated[str, Form(max_length=500)] = "",
    level_plus_2: Annotated[str, Form(max_length=500)] = "",
    baseline: Annotated[str, Form(max_length=2)] = "-1",
    importance: Annotated[str, Form(max_length=1)] = "",
    difficulty: Annotated[str, Form(max_length=1)] = "",
) -> GoalFields:
    texts = (level_minus_2, level_minus_1, level_0, level_plus_1, level_plus_2)
    form = FormState(
        {
            "goal": goal,
            **dict(zip(LEVEL_FIELDS.values(), texts, strict=True)),
            "baseline": baseline,
            "importance": importance,
            "difficulty": difficulty,
        }
    )
    base = int_or_error(baseline, "baseline", form.errors)
    return GoalFields(
        form,
        dict(zip(LEVEL_FIELDS, texts, strict=True)),
        -1 if base is None else base,
        int_or_error(importance, "importance", form.errors),
        int_or_error(difficulty, "difficulty", form.errors),
    )


Fields = Annotated[GoalFields, Depends(goal_fields)]


def save_goal(work: ClientAccess, fields: GoalFields, save: Callable[..., object]) -> None:
    """Run ``save`` (add_goal or a change) with the fields; mark the field the engine names."""
    if fields.form.errors:
        return
    try:
        with work.session.begin_nested():
            save(
                work.session,
                client_id=work.client_id,
                actor_id=work.principal.user_id,
                goal=fields.form.values["goal"],
                levels=fields.levels,
                baseline=fields.baseline,
                importance=fields.importance,
                difficulty=fields.difficulty,
            )
    except InputRequired as exc:
        fields.form.errors[exc.field] = "invalid"


@router.post("/clients/{client_id}/goals", name="add_goal")
def add_goal_page(
    request: Request, client_id: Id, work: SetGoal, runtime: RuntimeDep, fields: Fields
) -> Response:
    """Set a goal with the client: the goal, its five levels, the baseline and the weight."""
    save_goal(work, fields, partial(add_goal, now=runtime.clock.now()))
    if not fields.form.errors:
        return answer(request, work, runtime, goal_form=FormState(saved=True))
    return answer(request, work, runtime, goal_form=fields.form)


@router.post("/clients/{client_id}/goals/follow-ups", name="rate_goals")
def rate_goals_page(
    request: Request, submitted: SubmittedForm, client_id: Id, work: RateGoals, runtime: RuntimeDep
) -> Response:
    """A follow-up: the date and every described goal's level, -2..+2."""
    data = submitted
    form = FormState({k: v for k, v in data.items() if isinstance(v, str) and k != "csrf_token"})
    rated_on: date | None = None
    try:
        rated_on = date.fromisoformat(form.values.get("rated_on", "").strip())
    except ValueError:
        form.errors["rated_on"] = "invalid"
    levels: dict[int, int | None] = {}
    for goal in goals_of(work.session, client_id):
        assert goal.id is not None
        name = rating_field(goal.id)
        if name in form.values:
            levels[goal.id] = int_or_error(form.values[name], name, form.errors)
    if rated_on is not None and not form.errors:
        try:
            with work.session.begin_nested():
                record_follow_up(
                    work.session,
                    client_id=client_id,
                    actor_id=work.principal.user_id,
                    rated_on=rated_on,
                    levels=levels,
                    today=runtime.clock.today(),
                    now=runtime.clock.now(),
                )
        except InputRequired as exc:
            form.errors[exc.field] = "invalid"
    if not form.errors:
        return answer(request, work, runtime, follow_up=FormState(saved=True))
    return answer(request, work, runtime, follow_up=form)


# after follow-ups: "follow-ups" is not a goal id
@router.post("/clients/{client_id}/goals/{goal_id}", name="change_goal")
def change_goal_page(
    request: Request,
    client_id: Id,
    goal_id: Id,
    work: SetGoal,
    runtime: RuntimeDep,
    fields: Fields,
) -> Response:
    """Change a goal that has not been rated yet (e.g. describe a draft's missing levels)."""
    save_goal(work, fields, partial(edit_goal, goal_id=goal_id, now=runtime.clock.now()))
    if not fields.form.errors:
        return answer(request, work, runtime, edit_form=FormState(saved=True))
    return answer(request, work, runtime, editing=goal_id, edit_form=fields.form)
