"""Steps for features/reporting/quarter_report.feature: the coordinator's report page and its
export as a project manager uses them (the figures worked out by hand in tests/esf_kit.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, scenarios, then, when

from engine.audit import client_log
from engine.clock import FrozenClock
from engine.esf_export import read_xlsx
from engine.runtime import Runtime
from tests import esf_kit
from tests.esf_kit import Fixture
from web.app import create_app
from web.testing import (
    sign_in,
)

scenarios("quarter_report.feature")


@dataclass
class Work:
    runtime: Runtime
    fx: Fixture
    manager: TestClient
    page: str = ""
    sheets: dict | None = None


@given(
    parsers.parse(
        'the project "{code}" with a co-implementer and seven participants with filled forms'
    ),
    target_fixture="work",
)
def project_with_participants(code: str, make_runtime: Callable[..., Runtime]) -> Work:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    assert fx.project.code == code
    manager = TestClient(create_app(runtime=runtime), follow_redirects=False)
    sign_in(manager, runtime, fx.coordinator_main)
    return Work(runtime, fx, manager)


def _row(page: str, key: str) -> list[int]:
    match = re.search(rf'<tr data-key="{key}">(.*?)</tr>', page, re.S)
    assert match, key
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', match.group(1))]


@when(parsers.parse("the project manager opens the funder report from {since} to {until}"))
def open_report(work: Work, since: str, until: str) -> None:
    answer = work.manager.get(
        f"/reports/funder?project={work.fx.project.id}&from={since}&to={until}"
    )
    assert answer.status_code == 200
    work.page = answer.text


@when(
    parsers.parse(
        'the project manager opens the funder report from {since} to {until} for "{name}"'
    )
)
def open_report_for(work: Work, since: str, until: str, name: str) -> None:
    organisation = next(i for i in work.fx.project.implementers if i.name == name)
    answer = work.manager.get(
        f"/reports/funder?project={work.fx.project.id}&from={since}&to={until}"
        f"&organisation={organisation.organisation_id}"
    )
    assert answer.status_code == 200
    work.page = answer.text


@then(
    parsers.parse(
        "the report says {total:d} participants entered: {women:d} woman, {men:d} man, "
        "{nb:d} non-binary and {declined:d} who declined"
    )
)
def entered(work: Work, total: int, women: int, men: int, nb: int, declined: int) -> None:
    # columns: total, women, men, non-binary, declined gender, gender not recorded, declined, gaps
    assert _row(work.page, "total")[:5] == [total, women, men, nb, declined]


@then(parsers.parse("the long-term unemployed are {men:d} man with {gaps:d} gap"))
def long_term(work: Work, men: int, gaps: int) -> None:
    row = _row(work.page, "long_term_unemployed")
    assert (row[2], row[-1]) == (men, gaps)


@then(parsers.parse('the result "in employment upon leaving" is {women:d} woman'))
def employed_at_exit(work: Work, women: int) -> None:
    assert _row(work.page, "exit_employed")[:2] == [women, women]


@then(parsers.parse("the plan of {planned:d} participants has {actual:d} so far"))
def planned(work: Work, planned: int, actual: int) -> None:
    assert f'<td class="num">{planned}</td><td class="num">{actual}</td>' in work.page


@when("the project manager exports the quarter as XLSX")
def export_xlsx(work: Work) -> None:
    answer = work.manager.post(
        "/reports/funder/export",
        data={
            "project": str(work.fx.project.id),
            "from": "2026-04-01",
            "to": "2026-06-30",
            "format": "xlsx",
        },
    )
    assert answer.status_code == 200
    work.sheets = read_xlsx(answer.content)


@then(parsers.parse("the file lists participants {first:d} to {last:d} by number and no names"))
def lists_participants(work: Work, first: int, last: int) -> None:
    assert work.sheets is not None
    rows = work.sheets["Osallistujat"]
    assert [r[0] for r in rows[1:]] == list(range(first, last + 1))
    assert "Testi" not in repr(work.sheets)


@then(parsers.parse('the total\'s cells show "{text}"'))
def total_cells(work: Work, text: str) -> None:
    assert work.sheets is not None
    total = next(
        r for r in work.sheets["Raportti"] if len(r) > 3 and r[2] == "Total number of participants"
    )
    assert total[3] == text


@then(parsers.parse('each of the {n:d} participants\' log reports shows the export to "{funder}"'))
def in_the_log(work: Work, n: int, funder: str) -> None:
    with work.runtime.db.read() as session:
        shown = [
            client_id
            for client_id in work.fx.clients.values()
            if any(
                d.organisation_name == funder
                for d in client_log(session, client_id, now=work.runtime.clock.now()).disclosed
            )
        ]
    assert len(shown) == n
