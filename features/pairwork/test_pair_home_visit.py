"""Steps for features/pairwork/pair_home_visit.feature: the contact form as a coach uses it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, ContactEntry, Role, User
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user
from web.testing import UserClient

scenarios("pair_home_visit.feature")

NOTE = "Kotikäynti: keittiön remontti etenee, Mikko haluaa kokeilla työpajaa."


@dataclass
class Visit:
    anna: UserClient
    ville: UserClient
    client_id: int
    answer: Any = None


def _rename(runtime: Runtime, user_id: int, name: str) -> None:
    with runtime.db.write() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.display_name = name


@given(
    parsers.parse('the goal coach "Anna" with the client "Mikko" in her care team'),
    target_fixture="visit",
)
def anna_and_mikko(runtime: Runtime, api_as: Callable[..., UserClient]) -> Visit:
    anna = api_as(Role.coach)
    _rename(runtime, anna.user_id, "Anna Valmentaja")
    client_id, _ = make_client(
        runtime,
        organisation_id=anna.organisation_id,
        care_team=(anna.user_id,),
        first_name="Mikko",
        last_name="Esimerkki",
    )
    return Visit(anna=anna, ville=anna, client_id=client_id)


@given(
    parsers.parse('her colleague "Ville", a coach of the same project outside Mikko\'s care team')
)
def ville(runtime: Runtime, api_as: Callable[..., UserClient], visit: Visit) -> None:
    visit.ville = api_as(Role.coach, organisation_id=visit.anna.organisation_id)
    _rename(runtime, visit.ville.user_id, "Ville Työpari")


@when('Anna records a home visit of 90 minutes with "Ville" as her pair worker')
def record_with_ville(visit: Visit) -> None:
    page = visit.anna.get(f"/clients/{visit.client_id}").text
    assert f'<option value="{visit.ville.user_id}">Ville Työpari</option>' in page
    visit.answer = visit.anna.post(
        f"/clients/{visit.client_id}/contacts",
        data={
            "kind": "home_visit",
            "duration_minutes": "90",
            "note": NOTE,
            "pair_worker_id": str(visit.ville.user_id),
        },
        follow_redirects=False,
    )
    assert visit.answer.status_code == 303


@when("Anna records a home visit with a coach of another organisation as her pair worker")
def record_with_outsider(runtime: Runtime, visit: Visit) -> None:
    other = make_organisation(runtime, name="Toinen hanke")
    outsider = make_user(runtime, Role.coach, organisation_id=other)
    visit.answer = visit.anna.post(
        f"/clients/{visit.client_id}/contacts",
        data={"kind": "home_visit", "note": NOTE, "pair_worker_id": str(outsider.id)},
    )


@then(parsers.parse('Mikko\'s timeline shows the home visit written by "{writer}" with "{pair}"'))
def timeline_shows_both(visit: Visit, writer: str, pair: str) -> None:
    html = visit.anna.get(f"/clients/{visit.client_id}").text
    timeline = html.split('id="timeline"')[1]
    assert f"{writer} Valmentaja (kirjasi) ja työpari {pair} Työpari" in timeline
    assert "Kotikäynti" in timeline
    assert NOTE in timeline


@then("the contact was written by Anna with Ville as the pair worker")
def stored_row(runtime: Runtime, visit: Visit) -> None:
    with runtime.db.read() as session:
        (entry,) = session.execute(select(ContactEntry)).scalars()
    assert (entry.coach_id, entry.pair_worker_id, entry.kind, entry.duration_minutes) == (
        visit.anna.user_id,
        visit.ville.user_id,
        "home_visit",
        90,
    )


@then("Ville still cannot open Mikko's page")
def ville_refused(visit: Visit) -> None:
    assert visit.ville.get(f"/clients/{visit.client_id}").status_code == 403


@then("the access log has Anna's views of Mikko and none of Ville's")
def access_log_per_person(runtime: Runtime, visit: Visit) -> None:
    with runtime.db.read() as session:

        def rows(user_id: int) -> int:
            stmt = (
                select(func.count())
                .select_from(AccessLog)
                .where(
                    col(AccessLog.user_id) == user_id,
                    col(AccessLog.client_id) == visit.client_id,
                )
            )
            return int(session.execute(stmt).scalar_one())

        assert rows(visit.anna.user_id) >= 3  # the page, the contact, the page again
        assert rows(visit.ville.user_id) == 0


@then("the contact form answers 422 with the pair worker marked and the note kept")
def refused(visit: Visit) -> None:
    assert visit.answer.status_code == 422
    form = visit.answer.text.split('id="contact_form"')[1].split("</section>")[0]
    assert 'aria-invalid="true"' in form.split('id="contact-pair"')[1].split(">")[0]
    assert 'id="contact-pair-error"' in form
    assert NOTE in form


@then("Mikko has no contacts")
def nothing_saved(runtime: Runtime) -> None:
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(ContactEntry)).scalar_one() == 0
