"""Qualifications and cards through the app (both databases): added, edited and removed on the
strengths page (htmx fragments and plain 303s, 422 naming the field with the typed values kept),
listed on the client page and on the CV; only the care team; every view logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, Qualification, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

HX = {"HX-Request": "true"}


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


@pytest.fixture
def client_id(runtime: Runtime, coach: UserClient) -> int:
    cid, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        first_name="Aino",
        last_name="Esimerkki",
    )
    return cid


def access_rows(runtime: Runtime, what: str) -> int:
    with runtime.db.read() as session:
        stmt = select(func.count()).select_from(AccessLog).where(col(AccessLog.what) == what)
        return int(session.execute(stmt).scalar_one())


def stored(runtime: Runtime) -> list[Qualification]:
    with runtime.db.read() as session:
        return list(
            session.execute(select(Qualification).order_by(col(Qualification.id))).scalars()
        )


def card(runtime: Runtime, **changes: Any) -> dict[str, str]:
    return {
        "kind": "hygiene_card",
        "name": "Hygieniapassi",
        "gained_on": (runtime.clock.today() - timedelta(days=10)).isoformat(),
        "issuer": "Ruokavirasto",
        "valid_until": "",
    } | changes


def test_a_card_is_added_edited_and_removed_on_the_strengths_page(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    base = f"/clients/{client_id}"
    page = coach.get(f"{base}/strengths").text
    assert 'id="qualifications_list"' in page
    assert "Pätevyydet ja kortit" in page
    added = coach.post(f"{base}/qualifications", data=card(runtime), headers=HX)
    assert added.status_code == 200
    assert added.text.startswith('<section id="qualifications_list"')
    assert "Hygieniapassi" in added.text
    assert "Ruokavirasto" in added.text
    (row,) = stored(runtime)
    edited = coach.post(
        f"{base}/qualifications/{row.id}",
        data=card(
            runtime,
            kind="work_safety_card",
            name="Työturvallisuuskortti",
            issuer="Työturvallisuuskeskus TTK",
            valid_until="2031-11-30",
        ),
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == f"{base}/strengths"
    page = coach.get(f"{base}/strengths").text
    assert "Työturvallisuuskortti" in page
    assert "Työturvallisuuskeskus TTK" in page
    (row,) = stored(runtime)
    assert (row.kind, str(row.valid_until)) == ("work_safety_card", "2031-11-30")
    other, _ = make_client(runtime, care_team=(coach.user_id,))
    # another client's row through that client's URL: not found, nothing changed
    assert coach.post(f"/clients/{other}/qualifications/{row.id}/remove").status_code == 404
    removed = coach.post(f"{base}/qualifications/{row.id}/remove", headers=HX)
    assert removed.status_code == 200
    assert f'id="qualification-{row.id}"' not in removed.text
    assert "Työturvallisuuskeskus TTK" not in removed.text
    assert stored(runtime) == []
    # four changes asked for and the refused one on another client's URL: every one logged
    assert access_rows(runtime, "record_strengths") == 4


def test_bad_input_is_a_422_beside_the_field_with_the_typed_values_kept(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    base = f"/clients/{client_id}"
    future = (runtime.clock.today() + timedelta(days=3)).isoformat()
    fragment = coach.post(
        f"{base}/qualifications",
        data=card(runtime, name="Trukkikortti", gained_on=future),
        headers=HX,
    )
    assert fragment.status_code == 422
    assert fragment.text.startswith('<section id="qualifications_list"')
    assert 'aria-describedby="qualification-new-gained-on-error"' in fragment.text
    assert 'value="Trukkikortti"' in fragment.text
    assert f'value="{future}"' in fragment.text
    plain = coach.post(f"{base}/qualifications", data=card(runtime, issuer=" "))
    assert plain.status_code == 422
    assert "<html" in plain.text
    assert 'aria-describedby="qualification-new-issuer-error"' in plain.text
    bad_kind = coach.post(f"{base}/qualifications", data=card(runtime, kind="x"), headers=HX)
    assert bad_kind.status_code == 422
    assert 'aria-describedby="qualification-new-kind-error"' in bad_kind.text
    garbage = coach.post(f"{base}/qualifications", data=card(runtime, gained_on="eilen"))
    assert garbage.status_code == 422
    assert stored(runtime) == []


def test_the_client_page_and_the_cv_show_the_qualifications(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    base = f"/clients/{client_id}"
    coach.post(
        f"{base}/qualifications",
        data=card(
            runtime,
            kind="partial_qualification",
            name="Asiakaspalvelu",
            issuer="Lapin ammattiopisto",
        ),
    )
    client_page = coach.get(base).text
    section = client_page.split('id="assessments_links"')[1].split("</section>")[0]
    assert "Asiakaspalvelu" in section
    assert "Lapin ammattiopisto" in section
    assert "Tutkinnon osa" in section
    cv = coach.get(f"{base}/cv").text
    assert "Pätevyydet ja kortit" in cv
    assert "Asiakaspalvelu" in cv
    assert cv.index("Vahvuuteni") < cv.index("Asiakaspalvelu")
    english = coach.get(f"{base}/cv?lang=en").text
    assert "Qualifications and cards" in english
    assert "Partial qualification" in english


def test_outside_the_care_team_nothing_is_stored_or_shown(
    runtime: Runtime, api_as: Callable[..., UserClient], coach: UserClient, client_id: int
) -> None:
    coach.post(f"/clients/{client_id}/qualifications", data=card(runtime))
    (row,) = stored(runtime)
    stranger = api_as(Role.coach)
    assert (
        stranger.post(
            f"/clients/{client_id}/qualifications", data=card(runtime, name="X")
        ).status_code
        == 403
    )
    assert stranger.post(f"/clients/{client_id}/qualifications/{row.id}/remove").status_code == 403
    assert [r.name for r in stored(runtime)] == ["Hygieniapassi"]
