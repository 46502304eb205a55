"""Assessment, strengths and CV pages through the app (both databases): recording a Kykyviisari
summary twice and seeing the change and the chart; the profile's gaps; 422 naming the item with
the typed values kept; htmx fragments and plain 303s; the care team only; every view logged; the
CV's print view with its content and nothing internal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, Assessment, ContactEntry, Experience, Role, Strength
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

HX = {"HX-Request": "true"}
KYKY_FIRST = {
    "overall_work_ability": "4",
    "mental_wellbeing": "5",
    "social_participation": "3",
    "physical_capacity": "7",
    "skills": "6",
    "everyday_coping": "5",
}


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


def count(runtime: Runtime, model: Any) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def kyky_form(on: str, scores: dict[str, str]) -> dict[str, str]:
    return {"instrument": "kykyviisari", "assessed_on": on} | {
        f"score.{k}": v for k, v in scores.items()
    }


def test_the_client_page_links_to_assessments_strengths_and_the_cv(
    coach: UserClient, client_id: int
) -> None:
    html = coach.get(f"/clients/{client_id}").text
    section = html.split('id="assessments_links"')[1].split("</section>")[0]
    for path in ("assessments", "strengths", "cv"):
        assert f'href="/clients/{client_id}/{path}"' in section


def test_a_summary_recorded_twice_shows_the_change_and_a_chart(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    today = runtime.clock.today()
    earlier = (today - timedelta(days=90)).isoformat()
    url = f"/clients/{client_id}/assessments"
    first = coach.post(url, data=kyky_form(earlier, KYKY_FIRST), follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == url
    later = KYKY_FIRST | {"overall_work_ability": "6", "skills": "5"}
    second = coach.post(url, data=kyky_form(today.isoformat(), later), headers=HX)
    assert second.status_code == 200
    # htmx: the forms in place with a notice, the results out of band
    assert second.text.startswith('<section id="assessment_forms"')
    assert "Arviointi tallennettiin." in second.text
    assert 'id="assessment_results" aria-labelledby="results-title" hx-swap-oob="true"' in (
        second.text
    )
    page = coach.get(url)
    assert page.status_code == 200
    html = page.text
    row = re.search(r'<tr data-item="overall_work_ability">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Työ- ja toimintakyky kokonaisuutena" in row.group(1)
    assert "<td>4</td><td>6</td>" in row.group(1)
    assert "+2" in row.group(1)
    skills = re.search(r'<tr data-item="skills">(.*?)</tr>', html, re.S)
    assert skills is not None
    assert "−1" in skills.group(1)
    # the chart: inline SVG with title and description, six lines, and the data table beside it
    assert re.search(
        r'<svg class="chart__svg"[^>]*role="img"\s+aria-labelledby="chart-kykyviisari-title '
        r'chart-kykyviisari-desc"',
        html,
    )
    assert '<title id="chart-kykyviisari-title">' in html
    assert html.count("<polyline") == 6
    assert 'class="chart-data"' in html
    assert "<script" not in html.split('<main id="main"')[1]  # no script in the page itself
    # the client page loads the latest change and the chart into its section (htmx, on load)
    summary = coach.get(url, headers=HX | {"HX-Target": "assessment_summary"})
    assert summary.text.startswith('<div id="assessment_summary"')
    assert "+2" in summary.text
    assert summary.text.count("<polyline") == 6
    assert 'id="summary-chart-kykyviisari"' in summary.text
    assert access_rows(runtime, "record_assessment") == 2
    assert access_rows(runtime, "assessments") == 2
    # both are lines of the client's timeline, with the instrument's name and the date assessed
    timeline = coach.get(f"/clients/{client_id}").text.split('id="timeline"')[1]
    lines = re.findall(r"timeline__item--assessment\">(.*?)</li>", timeline, re.S)
    assert len(lines) == 2
    assert all("Arviointi" in line and "Kykyviisari" in line for line in lines)


def test_a_score_out_of_scale_is_a_422_naming_the_item_and_keeps_the_values(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    url = f"/clients/{client_id}/assessments"
    bad = KYKY_FIRST | {"physical_capacity": "11"}
    plain = coach.post(url, data=kyky_form(runtime.clock.today().isoformat(), bad))
    assert plain.status_code == 422
    assert "Fyysinen toimintakyky: anna kokonaisluku 0–10" in plain.text
    assert 'name="score.physical_capacity" type="number"' in plain.text
    assert 'value="11" aria-invalid="true"' in plain.text
    assert 'value="7"' not in plain.text
    assert 'value="6"' in plain.text
    fragment = coach.post(url, data=kyky_form("tomorrow", KYKY_FIRST), headers=HX)
    assert fragment.status_code == 422
    assert fragment.text.startswith('<section id="assessment_forms"')
    assert "Arviointipäivä" in fragment.text
    assert count(runtime, Assessment) == 0
    unknown = coach.post(url, data={"instrument": "melba", "score.x": "1"})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "instrument"


def test_the_profile_lists_gaps_and_strong_points(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    data = {
        "instrument": "ability_profile",
        "assessed_on": runtime.clock.today().isoformat(),
        "requirement_of": "Varastotyö",
        "score.lifting": "1",
        "requirement.lifting": "4",
        "score.punctuality": "5",
        "requirement.punctuality": "3",
    }
    assert coach.post(f"/clients/{client_id}/assessments", data=data).status_code == 200
    html = coach.get(f"/clients/{client_id}/assessments").text
    assert "”Varastotyö”" in html
    gaps = html.split('class="gaps"')[1].split("</ul>")[0]
    assert "Nostaminen ja kantaminen: asiakas 1, vaatimus 4 (ero 3)" in gaps
    strong = html.split('class="strong-points"')[1].split("</ul>")[0]
    assert "Täsmällisyys: asiakas 5, vaatimus 3 (+2)" in strong
    missing = dict(data, **{"requirement.lifting": ""})
    refused = coach.post(f"/clients/{client_id}/assessments", data=missing)
    assert refused.status_code == 422
    assert "Nostaminen ja kantaminen: anna" in refused.text


def test_outside_the_care_team_is_refused_and_nothing_is_stored(
    runtime: Runtime, api_as: Callable[..., UserClient], client_id: int
) -> None:
    stranger = api_as(Role.coach)
    for path in ("assessments", "strengths", "cv"):
        assert stranger.get(f"/clients/{client_id}/{path}").status_code == 403
    posted = stranger.post(
        f"/clients/{client_id}/assessments", data=kyky_form("2026-01-01", KYKY_FIRST)
    )
    assert posted.status_code == 403
    strength = stranger.post(
        f"/clients/{client_id}/strengths", data={"category": "skill", "text": "x"}
    )
    assert strength.status_code == 403
    assert count(runtime, Assessment) == 0
    assert count(runtime, Strength) == 0
    assert access_rows(runtime, "assessments") == 0
    assert access_rows(runtime, "cv") == 0


def test_strengths_and_experiences_are_added_edited_and_removed(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    base = f"/clients/{client_id}"
    added = coach.post(
        f"{base}/strengths", data={"category": "quality", "text": "Hyvä kuuntelija"}, headers=HX
    )
    assert added.status_code == 200
    assert added.text.startswith('<section id="strengths_list"')
    assert "Hyvä kuuntelija" in added.text
    assert "Henkilökohtaiset ominaisuudet" in added.text
    empty = coach.post(f"{base}/strengths", data={"category": "skill", "text": "  "})
    assert empty.status_code == 422
    assert 'aria-describedby="strength-new-text-error"' in empty.text
    with runtime.db.read() as session:
        (strength,) = session.execute(select(Strength)).scalars()
    edited = coach.post(
        f"{base}/strengths/{strength.id}",
        data={"category": "skill", "text": "Kuuntelen"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == f"{base}/strengths"
    exp = coach.post(
        f"{base}/experiences",
        data={"kind": "volunteering", "title": "Ruoka-apu", "place": "SPR", "period": "2023"},
        follow_redirects=False,
    )
    assert exp.status_code == 303
    bad = coach.post(f"{base}/experiences", data={"kind": "volunteering", "title": ""}, headers=HX)
    assert bad.status_code == 422
    assert bad.text.startswith('<section id="experiences_list"')
    page = coach.get(f"{base}/strengths").text
    assert "Kuuntelen" in page
    assert "Ruoka-apu" in page
    assert "SPR" in page
    with runtime.db.read() as session:
        (experience,) = session.execute(select(Experience)).scalars()
    other, _ = make_client(runtime, care_team=(coach.user_id,))
    # another client's row through this client's URL: not found, nothing changed
    assert coach.post(f"/clients/{other}/strengths/{strength.id}/remove").status_code == 404
    assert coach.post(f"{base}/strengths/{strength.id}/remove").status_code == 200
    assert coach.post(f"{base}/experiences/{experience.id}/remove").status_code == 200
    assert count(runtime, Strength) == 0
    assert count(runtime, Experience) == 0
    # seven changes asked for, and the refused one on another client's URL: every view logged
    assert access_rows(runtime, "record_strengths") == 8
    # the page, and the page again after each of the two removals' 303
    assert access_rows(runtime, "strengths") == 3


def test_the_cv_is_a_print_view_of_strengths_and_experiences_only(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    base = f"/clients/{client_id}"
    coach.post(f"{base}/strengths", data={"category": "skill", "text": "Korjaan pyöriä"})
    coach.post(
        f"{base}/experiences",
        data={"kind": "work", "title": "Varastoapulainen", "place": "Kauppa Oy"},
    )
    coach.post(f"{base}/assessments", data=kyky_form("2026-01-01", KYKY_FIRST))
    with runtime.db.write() as session:
        session.add(
            ContactEntry(
                client_id=client_id,
                coach_id=coach.user_id,
                occurred_at=runtime.clock.now(),
                kind="phone",
                note="SISÄINEN MUISTIINPANO",
            )
        )
    cv = coach.get(f"{base}/cv")
    assert cv.status_code == 200
    html = cv.text
    assert '<html lang="fi">' in html
    assert "Aino Esimerkki" in html
    assert html.index("Korjaan pyöriä") < html.index("Varastoapulainen")
    assert "Vahvuuteni" in html
    assert "Työkokemus" in html
    assert "Kauppa Oy" in html
    # nothing internal: no navigation, journey state, notes or assessments
    for internal in ("site-nav", "SISÄINEN", "Etsivä kontakti", "Kykyviisari", "kirjaa"):
        assert internal not in html
    assert "css/app.css" in html
    assert 'class="cv__tools no-print"' in html
    assert 'class="cv__contact"' not in html  # the record's own phone or e-mail: never
    chosen = coach.post(
        f"{base}/cv-contact",
        data={"phone": "", "email": "aino@example.org", "location": "Posio"},
        headers=HX,
    )
    assert chosen.status_code == 200
    assert chosen.text.startswith('<section id="cv_contact_form"')
    bad = coach.post(f"{base}/cv-contact", data={"email": "aino at example"})
    assert bad.status_code == 422
    assert 'aria-describedby="cv-email-error"' in bad.text
    assert 'value="aino at example"' in bad.text
    contact = coach.get(f"{base}/cv").text.split('class="cv__contact"')[1].split("</ul>")[0]
    assert "aino@example.org" in contact
    assert "Posio" in contact
    swedish = coach.get(f"{base}/cv?lang=sv").text
    assert '<html lang="sv">' in swedish
    assert "Arbetserfarenhet" in swedish
    assert access_rows(runtime, "cv") == 3


def test_an_assessment_of_an_instrument_no_longer_offered_is_still_listed(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    with runtime.db.write() as session:
        session.add(
            Assessment(
                client_id=client_id,
                instrument="retired_form",
                assessed_on=runtime.clock.today(),
                recorded_by=coach.user_id,
            )
        )
    page = coach.get(f"/clients/{client_id}/assessments")
    assert page.status_code == 200
    assert 'id="assessment-retired_form"' in page.text
    summary = coach.get(
        f"/clients/{client_id}/assessments", headers=HX | {"HX-Target": "assessment_summary"}
    )
    assert summary.status_code == 200
    assert "retired_form" not in summary.text
