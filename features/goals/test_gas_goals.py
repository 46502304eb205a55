"""Steps for features/goals/gas_goals.feature: the client page as the coach uses it (plain form
posts, as without JavaScript), the T-scores read from the page's table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlmodel import col

from engine.clock import FrozenClock
from engine.goals import LEVEL_FIELDS
from engine.models import GasGoal, Journey, Role
from engine.runtime import Runtime
from engine.testing import EXAMPLE_LEVELS, make_client
from web.testing import UserClient, sign_in

scenarios("gas_goals.feature")

#: When the scenarios start: the engine's clock, moved by "N days pass" (never the wall clock).
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock(START))


@dataclass
class Work:
    coach: UserClient
    client_id: int
    journey_id: int
    page: str = ""


@given("a client in the assessment of the whole situation with a coach", target_fixture="work")
def client_in_assessment(runtime: Runtime, api_as: Callable[..., UserClient]) -> Work:
    coach = api_as(Role.coach)
    client_id, journey_id = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    with runtime.db.write() as session:
        for trigger in ("engage", "start_assessment"):
            runtime.journeys.advance(session, journey_id, trigger, actor_id=coach.user_id)
    return Work(coach, client_id, journey_id)


def save_goal(work: Work, goal: str, **fields: str) -> None:
    levels = {name: EXAMPLE_LEVELS[level] for level, name in LEVEL_FIELDS.items()}
    answer = work.coach.post(
        f"/clients/{work.client_id}/goals", data={"goal": goal, **levels, **fields}
    )
    assert answer.status_code == 200, answer.text[:300]  # after the 303, the client page
    work.page = answer.text


@when(
    parsers.parse(
        'the coach sets the goal "{goal}" with baseline {baseline:d}, importance {importance:d} '
        "and difficulty {difficulty:d}"
    )
)
def set_weighted_goal(
    work: Work, goal: str, baseline: int, importance: int, difficulty: int
) -> None:
    save_goal(
        work,
        goal,
        baseline=str(baseline),
        importance=str(importance),
        difficulty=str(difficulty),
    )


@when(parsers.parse('the coach sets the goal "{goal}" unweighted with baseline {baseline:d}'))
def set_unweighted_goal(work: Work, goal: str, baseline: int) -> None:
    save_goal(work, goal, baseline=str(baseline))


@when(parsers.parse('the coach saves the goal "{goal}" with only the expected level described'))
def save_draft(work: Work, goal: str) -> None:
    save_goal(work, goal, level_minus_2="", level_minus_1="", level_plus_1="", level_plus_2="")


def goal_id(runtime: Runtime, work: Work, goal: str) -> int:
    with runtime.db.read() as session:
        found = session.execute(
            select(col(GasGoal.id)).where(
                col(GasGoal.client_id) == work.client_id, col(GasGoal.goal) == goal
            )
        ).scalar_one()
    return int(found)


@when(parsers.parse("the coach records a follow-up {days:d} days ago: {ratings}"))
def follow_up(runtime: Runtime, work: Work, days: int, ratings: str) -> None:
    data = {"rated_on": (runtime.clock.today() - timedelta(days=days)).isoformat()}
    for goal, level in re.findall(r'"([^"]+)" at (-?\d)', ratings):
        data[f"goal_{goal_id(runtime, work, goal)}"] = level
    answer = work.coach.post(f"/clients/{work.client_id}/goals/follow-ups", data=data)
    assert answer.status_code == 200, answer.text[:300]
    work.page = answer.text


@when(parsers.parse("{days:d} days pass"))
def days_pass(runtime: Runtime, work: Work, days: int) -> None:
    """The engine's clock moves on; the coach signs in again (the old session has ended)."""
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.advance(days=days)
    work.coach.csrf_token = sign_in(work.coach, runtime, work.coach.user_id)


@then(parsers.parse('a follow-up {days:d} days ago is refused because "{why}"'))
def follow_up_refused(runtime: Runtime, work: Work, days: int, why: str) -> None:
    with runtime.db.read() as session:
        ids = list(
            session.execute(
                select(col(GasGoal.id)).where(col(GasGoal.client_id) == work.client_id)
            ).scalars()
        )
    data = {"rated_on": (runtime.clock.today() - timedelta(days=days)).isoformat()}
    data |= {f"goal_{i}": "1" for i in ids}
    answer = work.coach.post(f"/clients/{work.client_id}/goals/follow-ups", data=data)
    assert answer.status_code == 422
    assert why in answer.text
    assert f'value="{data["rated_on"]}"' in answer.text  # kept


@when("the coach moves the client to goal setting")
def move_to_goal_setting(runtime: Runtime, work: Work) -> None:
    with runtime.db.read() as session:
        journey = session.get(Journey, work.journey_id)
        assert journey is not None
        version = journey.version
    answer = work.coach.post(
        f"/clients/{work.client_id}/advance",
        data={"trigger": "set_goals", "expected_version": str(version)},
    )
    work.page = answer.text


def t_scores(page: str) -> list[str]:
    return re.findall(r"<td data-t-score>([^<]*)</td>", page)


@then(parsers.parse('the T-scores read "{values}"'))
def t_scores_read(work: Work, values: str) -> None:
    page = work.coach.get(f"/clients/{work.client_id}").text
    assert t_scores(page) == values.split("; ")


@then(
    parsers.parse(
        'the latest follow-up changed the T-score by "{previous}" from the previous and '
        '"{baseline}" from the baseline'
    )
)
def latest_change(work: Work, previous: str, baseline: str) -> None:
    rows = work.page.split('<table class="t-scores"')[1].split("<tr>")
    cells = re.findall(r"<td>([^<]*)</td>", rows[-1])
    assert cells == [previous, baseline]


@then(parsers.parse('the step is blocked because "{words}" are not described'))
def blocked(work: Work, words: str) -> None:
    page = work.coach.get(f"/clients/{work.client_id}").text
    why_not = page.split('class="why-not"')[1]
    assert "Aseta tavoitteet" in why_not
    assert words in why_not
    assert 'name="trigger" value="set_goals"' not in page


@then(parsers.parse('the goal "{goal}" is a draft that cannot be rated yet'))
def draft(work: Work, goal: str) -> None:
    assert goal in work.page
    assert "Luonnos: kuvaa kaikki viisi tasoa" in work.page
    assert "Kirjaa seuranta" not in work.page  # nothing to rate


@then(parsers.parse('the client\'s journey is at "{state}"'))
def journey_at(runtime: Runtime, work: Work, state: str) -> None:
    with runtime.db.read() as session:
        journey = session.get(Journey, work.journey_id)
        assert journey is not None
        assert journey.state == state
