"""The ESF+ pages as a coach and a coordinator use them: how the client was found at intake, the
entry form from the client page once the client engages, the exit form when the journey ends,
the data page with gaps, the six-month reminder on the caseload, and the funder report page
with its filters and exports (only for the coordinators of the project's organisations)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from engine.clock import FrozenClock
from engine.esf_export import DISCLOSED, read_xlsx
from engine.models import Client, Disclosure, ParticipantForm, Role
from engine.runtime import Runtime
from engine.testing import (
    make_client,
    make_organisation,
    make_user,
)
from tests import esf_kit
from tests.esf_kit import Fixture
from web.app import create_app
from web.testing import (
    sign_in,
)


@pytest.fixture
def world(make_runtime: Callable[..., Runtime]) -> Iterator[tuple[Fixture, Runtime, Callable]]:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    app = create_app(runtime=runtime)
    made: list[TestClient] = []

    def as_user(user_id: int) -> TestClient:
        http = TestClient(app, follow_redirects=False)
        sign_in(http, runtime, user_id)
        made.append(http)
        return http

    yield fx, runtime, as_user
    for http in made:
        http.close()


def test_intake_asks_how_the_client_was_found(world: tuple) -> None:
    fx, runtime, as_user = world
    coach = as_user(fx.coach_main)
    page = coach.get("/clients/new")
    assert 'name="found_via"' in page.text
    assert "Diakonia" in page.text
    bad = coach.post(
        "/clients/new",
        data={"first_name": "Kettu", "municipality_code": "580", "found_via": "rumour"},
    )
    assert bad.status_code == 422
    assert 'value="Kettu"' in bad.text
    ok = coach.post(
        "/clients/new",
        data={"first_name": "Kettu", "municipality_code": "580", "found_via": "diaconia"},
    )
    assert ok.status_code == 303
    client_id = int(ok.headers["location"].rsplit("/", 1)[1])
    with runtime.db.read() as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert client.found_via == "diaconia"


def test_entry_form_from_the_client_page_once_the_client_engages(world: tuple) -> None:
    fx, runtime, as_user = world
    coach = as_user(fx.coach_main)
    client_id, journey_id = make_client(
        runtime, organisation_id=fx.main_id, municipality_code="580", care_team=(fx.coach_main,)
    )
    page = coach.get(f"/clients/{client_id}")
    assert "esf-prompt-entry" not in page.text  # in outreach: not yet
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "engage", actor_id=fx.coach_main)
    page = coach.get(f"/clients/{client_id}")
    assert f"esf-prompt-entry-{fx.project.id}" in page.text
    form = coach.get(f"/clients/{client_id}/participant/entry?project={fx.project.id}")
    assert form.status_code == 200
    # every item says why it is asked; sensitive items offer "declined to answer"
    assert "Rahoittaja pyytää kaikki osallistujatiedot sukupuolen mukaan" in form.text
    assert 'id="f-gender-declined"' in form.text
    assert 'id="f-disability-declined"' in form.text
    assert 'id="f-rural-declined"' not in form.text  # rural residence is not sensitive
    # a form that does not fit keeps every value and marks the field
    bad = coach.post(
        f"/clients/{client_id}/participant/entry",
        data={
            "project_id": str(fx.project.id),
            "occurred_on": "2026-07-10",
            "gender": "woman",
            "labour_market_status": "inactive",
            "unemployed_since": "2026-01-01",  # only when unemployed
        },
    )
    assert bad.status_code == 422
    assert 'id="err-unemployed_since"' in bad.text
    assert 'id="f-gender-woman" name="gender" value="woman" checked' in bad.text
    assert 'value="2026-01-01"' in bad.text
    ok = coach.post(
        f"/clients/{client_id}/participant/entry",
        data={
            "project_id": str(fx.project.id),
            "occurred_on": "2026-07-10",
            "gender": "woman",
            "labour_market_status": "inactive",
        },
    )
    assert ok.status_code == 303
    data = coach.get(f"/clients/{client_id}/participant")
    assert "Nainen" in data.text
    assert "Työvoiman ulkopuolella" in data.text
    assert data.text.count('class="gap"') >= 7  # education, the characteristics, birth date...
    assert "Osallistujanumero" in data.text
    assert "<strong>8</strong>" in data.text
    page = coach.get(f"/clients/{client_id}")
    assert "esf-prompt-entry" not in page.text


def test_exit_form_when_the_journey_ends_and_the_follow_up_reminder(world: tuple) -> None:
    fx, runtime, as_user = world
    coach = as_user(fx.coach_main)
    p2 = fx.clients["p2"]
    with runtime.db.write() as session:
        for trigger in ("engage", "drop_out"):
            runtime.journeys.advance(
                session,
                fx.journeys["p2"],
                trigger,
                actor_id=fx.coach_main,
                reason="Testi" if trigger == "drop_out" else None,
            )
    page = coach.get(f"/clients/{p2}")
    assert f"esf-prompt-exit-{fx.project.id}" in page.text
    before_entry = coach.post(
        f"/clients/{p2}/participant/exit",
        data={"project_id": str(fx.project.id), "occurred_on": "2026-04-01", "situation": "none"},
    )
    assert before_entry.status_code == 422
    assert 'id="occurred_on-error"' in before_entry.text
    none_and_more = coach.post(
        f"/clients/{p2}/participant/exit",
        data={
            "project_id": str(fx.project.id),
            "occurred_on": "2026-07-01",
            "situation": ["none", "employed"],
        },
    )
    assert none_and_more.status_code == 422
    assert 'id="err-situation"' in none_and_more.text
    ok = coach.post(
        f"/clients/{p2}/participant/exit",
        data={
            "project_id": str(fx.project.id),
            "occurred_on": "2026-07-01",
            "situation": ["job_searching", "in_education"],
        },
    )
    assert ok.status_code == 303
    assert "esf-prompt-exit" not in coach.get(f"/clients/{p2}").text
    # on 2 Jan 2027 the caseload shows the follow-ups due: p5 (exit 15 Apr), p1 (20 Jun), p2
    # (1 Jul); p6's was recorded already
    caseload = coach.get("/clients")
    assert "Kuuden kuukauden seuranta" not in caseload.text
    runtime.clock.set(esf_kit.TODAY.replace(year=2027, month=1, day=2))
    coach = as_user(fx.coach_main)  # the old session has long ended
    caseload = coach.get("/clients")
    assert caseload.text.count("Kuuden kuukauden seuranta") == 3
    follow = coach.post(
        f"/clients/{p2}/participant/follow_up",
        data={
            "project_id": str(fx.project.id),
            "occurred_on": "2027-01-02",
            "situation": "employed",
        },
    )
    assert follow.status_code == 303
    assert coach.get("/clients").text.count("Kuuden kuukauden seuranta") == 2  # p1, p5


def test_a_correction_is_a_new_form(world: tuple) -> None:
    fx, runtime, as_user = world
    coach = as_user(fx.coach_co)
    p4 = fx.clients["p4"]
    with runtime.db.read() as session:
        entries = session.execute(
            select(ParticipantForm).where(col(ParticipantForm.kind) == "entry")
        ).scalars()
        p4_entry = next(f for f in entries if f.occurred_on == date(2026, 6, 1))
    form = coach.get(
        f"/clients/{p4}/participant/entry?project={fx.project.id}&corrects={p4_entry.id}"
    )
    assert f'name="corrects_id" value="{p4_entry.id}"' in form.text
    assert 'value="declined" checked' in form.text
    ok = coach.post(
        f"/clients/{p4}/participant/entry",
        data={
            "project_id": str(fx.project.id),
            "corrects_id": str(p4_entry.id),
            "occurred_on": "2026-06-01",
            "gender": "man",
        },
    )
    assert ok.status_code == 303
    with runtime.db.read() as session:
        count = session.execute(select(func.count()).select_from(ParticipantForm)).scalar_one()
    assert count == 16  # the kit's 15 forms and the correction; nothing changed in place
    assert "1 aiempaa versiota on korjattu" in coach.get(f"/clients/{p4}/participant").text


def test_the_funder_report_page_for_the_project_coordinators_only(world: tuple) -> None:
    fx, runtime, as_user = world
    main = as_user(fx.coordinator_main)
    listing = main.get("/reports/funder")
    assert "VALTO-T" in listing.text
    page = main.get(f"/reports/funder?project={fx.project.id}&from=2026-04-01&to=2026-06-30")
    assert page.status_code == 200
    assert "Pitkäaikaistyöttömät" in page.text
    assert 'id="chart-gender"' in page.text
    # the gender columns and the item's own declined / not recorded are told apart by a group
    # header over each (both have a "declined" and a "not recorded" column)
    assert (
        '<th scope="colgroup" colspan="5" class="report-table__group">Sukupuolen mukaan'
        in page.text
    )
    assert 'class="report-table__group">Tähän kohtaan ei vastausta</th>' in page.text
    # qualifications and cards (engine/qualifications.py): none recorded in the kit
    assert "0 osallistujaa suoritti jakson aikana tutkinnon osan tai kortin" in page.text
    assert (
        '<tr data-key="total"><th scope="row">Osallistujia yhteensä</th><td class="num">4</td>'
        in page.text
    )
    co = as_user(fx.coordinator_co)
    assert co.get(f"/reports/funder?project={fx.project.id}").status_code == 200
    outsider = as_user(
        make_user(
            runtime, Role.coordinator, organisation_id=make_organisation(runtime, "project", "Muu")
        ).id
    )
    assert outsider.get(f"/reports/funder?project={fx.project.id}").status_code == 403
    assert "VALTO-T" not in outsider.get("/reports/funder").text
    refused = outsider.post(
        "/reports/funder/export", data={"project": str(fx.project.id), "format": "csv"}
    )
    assert refused.status_code == 403
    filtered = main.get(
        f"/reports/funder?project={fx.project.id}&from=2026-04-01&to=2026-06-30"
        f"&organisation={fx.co_id}"
    )
    assert (
        '<tr data-key="total"><th scope="row">Osallistujia yhteensä</th><td class="num">2</td>'
        in filtered.text
    )
    # by municipality: of those who entered in Q2 only p3 lives in Ruokolahti
    assert f'<option value="{esf_kit.RUOKOLAHTI}"' in page.text
    in_ruokolahti = main.get(
        f"/reports/funder?project={fx.project.id}&from=2026-04-01&to=2026-06-30"
        f"&municipality={esf_kit.RUOKOLAHTI}"
    )
    assert (
        '<tr data-key="total"><th scope="row">Osallistujia yhteensä</th><td class="num">1</td>'
        in in_ruokolahti.text
    )
    bad = main.get(f"/reports/funder?project={fx.project.id}&from=2026-06-30&to=2026-04-01")
    assert bad.status_code == 422
    assert 'id="to-error"' in bad.text


def test_exporting_from_the_page_is_a_logged_disclosure(world: tuple) -> None:
    fx, runtime, as_user = world
    main = as_user(fx.coordinator_main)
    answer = main.post(
        "/reports/funder/export",
        data={
            "project": str(fx.project.id),
            "from": "2026-04-01",
            "to": "2026-06-30",
            "format": "xlsx",
        },
    )
    assert answer.status_code == 200
    assert 'filename="VALTO-T_2026-04-01_2026-06-30.xlsx"' in answer.headers["content-disposition"]
    assert [r[0] for r in read_xlsx(answer.content)["Osallistujat"][1:]] == [1, 2, 3, 4, 5, 6]
    with runtime.db.read() as session:
        rows = session.execute(select(col(Disclosure.what), col(Disclosure.disclosed_by))).all()
    assert rows == [(DISCLOSED, fx.coordinator_main)] * 6
    bad = main.post("/reports/funder/export", data={"project": str(fx.project.id), "format": "pdf"})
    assert bad.status_code == 422


def test_the_data_page_leaves_out_questions_that_do_not_apply(world: tuple) -> None:
    fx, _runtime, as_user = world
    coach = as_user(fx.coach_main)
    # p1 is unemployed: "unemployed since" applies; p5 is employed: it does not
    assert "Työttömänä alkaen" in coach.get(f"/clients/{fx.clients['p1']}/participant").text
    assert "Työttömänä alkaen" not in coach.get(f"/clients/{fx.clients['p5']}/participant").text
