"""Steps for features/assessments/kykyviisari.feature, through the web pages a coach uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, Assessment, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

scenarios("kykyviisari.feature")


class Answer:
    """The last page the coach got back."""

    status: int = 0
    text: str = ""


@pytest.fixture
def answer() -> Answer:
    return Answer()


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


@given("a client in my care team", target_fixture="client_id")
def client_in_care_team(runtime: Runtime, coach: UserClient) -> int:
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    return client_id


@when(
    parsers.re(
        r"I record a Kykyviisari summary dated (?P<when>today|\d+ days ago) with overall work "
        r"ability (?P<overall>\d+) and skills (?P<skills>\d+)"
    )
)
def record_summary(
    runtime: Runtime,
    coach: UserClient,
    client_id: int,
    answer: Answer,
    when: str,
    overall: str,
    skills: str,
) -> None:
    days = 0 if when == "today" else int(when.split()[0])
    on = runtime.clock.today() - timedelta(days=days)
    data = {
        "instrument": "kykyviisari",
        "assessed_on": on.isoformat(),
        "score.overall_work_ability": overall,
        "score.mental_wellbeing": "5",
        "score.social_participation": "4",
        "score.physical_capacity": "7",
        "score.skills": skills,
        "score.everyday_coping": "6",
    }
    response = coach.post(f"/clients/{client_id}/assessments", data=data)
    answer.status, answer.text = response.status_code, response.text


def change_row(coach: UserClient, client_id: int, label: str) -> str:
    page = coach.get(f"/clients/{client_id}/assessments")
    assert page.status_code == 200
    table = page.text.split('class="assessment-change"')[1].split("</table>")[0]
    row = next((r for r in table.split("<tr") if label in r), None)
    assert row is not None, f"no change row for {label}"
    return row


@then(parsers.parse('the change in "{label}" reads {first:d} -> {second:d}, "{change}"'))
def change_reads(
    coach: UserClient, client_id: int, label: str, first: int, second: int, change: str
) -> None:
    row = change_row(coach, client_id, label)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[0].strip() == str(first)
    assert cells[1].strip() == str(second)
    assert change in cells[2]


@then(parsers.parse('the assessments page shows a chart "{title}"'))
def chart_shown(coach: UserClient, client_id: int, title: str) -> None:
    html = coach.get(f"/clients/{client_id}/assessments").text
    assert f'<title id="chart-kykyviisari-title">{title}</title>' in html
    assert '<table class="chart-data">' in html


@then("each view of the assessments was recorded in the access log")
def views_logged(runtime: Runtime, coach: UserClient) -> None:
    with runtime.db.read() as session:
        rows = session.execute(
            select(col(AccessLog.what), func.count())
            .where(col(AccessLog.user_id) == coach.user_id)
            .group_by(col(AccessLog.what))
        ).all()
    # two recordings (each answered with the page after a 303) and four page views in the steps
    assert dict(rows) == {"record_assessment": 2, "assessments": 5}


@then(parsers.parse('I am told "{message}"'))
def told(answer: Answer, message: str) -> None:
    assert answer.status == 422
    assert message in answer.text


@then("no assessment is stored")
def nothing_stored(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Assessment)).scalar_one() == 0


@given("another coach who is not in the client's care team", target_fixture="other_coach")
def other_coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


@then("the other coach is refused the assessments page")
def other_refused(other_coach: UserClient, client_id: int) -> None:
    assert other_coach.get(f"/clients/{client_id}/assessments").status_code == 403
