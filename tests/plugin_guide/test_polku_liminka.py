"""Tests of the Liminka plugin, with Polku's test kit (the pytest plugin engine.testing: no
conftest needed). Each test gets an empty database; set POLKU_TEST_DATABASE_URL to run them on
PostgreSQL too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polku_liminka

from engine.runtime import Runtime
from engine.testing import assert_allowed, assert_denied, make_client, referral_options_of

RuntimeWith = Callable[..., Runtime]
TODAY = date(2026, 11, 23)
WORKSHOP = "liminka.nuorten_paja_ry.workshop"
YOUNG = date(2004, 1, 1)  # 22 on TODAY


def test_our_municipality_joins_its_county_and_employment_area(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_liminka)
    client, _journey = make_client(runtime, municipality_code="425", birth_date=YOUNG)
    options = referral_options_of(runtime, client, today=TODAY)
    # offered by Polku's own Pohjois-Pohjanmaa plugin, because we declared the county and area
    assert "pohjois_pohjanmaan_hyvinvointialue.aikuissosiaalityo.social_rehabilitation" in options
    assert "oulun_seudun_tyollisyysalue.work_trial" in options


def test_the_workshop_is_for_young_people_who_visited_it(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_liminka)
    visited = {"liminka_workshop_interview": True}
    young, _ = make_client(
        runtime, municipality_code="425", birth_date=YOUNG, facts=visited, facts_from=TODAY
    )
    assert referral_options_of(runtime, young, today=TODAY)[WORKSHOP].eligible
    older, _ = make_client(
        runtime,
        municipality_code="425",
        birth_date=date(1990, 1, 1),
        facts=visited,
        facts_from=TODAY,
    )
    [why] = referral_options_of(runtime, older, today=TODAY)[WORKSHOP].eligibility.denied
    assert why.rule == "liminka_workshop_under_29"
    assert why.legal_source == "Nuorisolaki 1285/2016, 3 § (nuori: alle 29-vuotias)"
    assert why.text("en") == "The client is 36; the service is for people under 29."


def test_the_visit_is_recorded_first(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_liminka)
    client, _ = make_client(runtime, municipality_code="425", birth_date=YOUNG)
    option = referral_options_of(runtime, client, today=TODAY)[WORKSHOP]
    assert option.eligibility.missing_facts == ("liminka_workshop_interview",)


def test_muhos_clients_see_the_workshop_but_may_not_go(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_liminka)
    muhos, _ = make_client(
        runtime,
        municipality_code="494",
        birth_date=YOUNG,
        facts={"liminka_workshop_interview": True},
        facts_from=TODAY,
    )
    [why] = referral_options_of(runtime, muhos, today=TODAY)[WORKSHOP].eligibility.denied
    assert why.rule == "liminka_workshop_residents_only"
    assert why.text("fi") == "Palvelu on vain kunnan Liminka asukkaille."
    # a Kittilä client is not offered the workshop at all
    kittila, _ = make_client(runtime, municipality_code="261", birth_date=YOUNG)
    assert WORKSHOP not in referral_options_of(runtime, kittila, today=TODAY)


def test_a_referral_needs_the_birth_date(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_liminka)
    _client, journey = make_client(
        runtime, municipality_code="425", birth_date=None, state="individual_work"
    )
    verdict = assert_denied(
        runtime,
        journey,
        "refer",
        rule="liminka_birth_date_before_referral",
        legal_source=polku_liminka.LOCAL_DECISION,
    )
    assert verdict.text("en") == "Record the birth date before referring."
    _client, known = make_client(runtime, municipality_code="425", state="individual_work")
    assert_allowed(runtime, known, "refer")


def test_it_loads_without_warnings(runtime_with: RuntimeWith) -> None:
    assert runtime_with(polku_liminka).plugin_warnings == []
