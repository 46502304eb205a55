"""Tests of the Esimerkkilä plugin, as a plugin author writes them.

``runtime_with`` (from Polku's pytest plugin ``engine.testing``) registers this plugin on a fresh
plugin manager, next to Polku's built-in plugins, with an empty database; the tests run on
SQLite, and on PostgreSQL too when ``POLKU_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polku_esimerkkila

from engine.runtime import Runtime
from engine.testing import make_client, record_facts, referral_options_of

RuntimeWith = Callable[..., Runtime]
TODAY = date(2026, 11, 23)


def test_the_municipality_is_known(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    esimerkkila = runtime.municipalities["999"]
    assert esimerkkila.name == {"fi": "Esimerkkilä", "sv": "Exempelby"}
    assert esimerkkila.employment_area == "Esimerkkiseudun työllisyysalue"


def test_only_our_clients_see_our_services(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    ours, _ = make_client(runtime, municipality_code="999")
    theirs, _ = make_client(runtime, municipality_code="261")
    assert "esimerkkila.housing_coaching" in referral_options_of(runtime, ours, today=TODAY)
    assert not any(
        key.startswith(("esimerkkila.", "esimerkkimaa."))
        for key in referral_options_of(runtime, theirs, today=TODAY)
    )


def test_national_youth_work_age_limit_applies_to_our_service(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    young, _ = make_client(runtime, municipality_code="999", birth_date=date(2000, 1, 1))
    older, _ = make_client(runtime, municipality_code="999", birth_date=date(1990, 1, 1))
    key = "esimerkkila.outreach_youth_work"
    assert referral_options_of(runtime, young, today=TODAY)[key].eligible
    blocked = referral_options_of(runtime, older, today=TODAY)[key]
    [why] = blocked.eligibility.denied
    assert why.rule == "outreach_youth_work_under_29"
    assert why.legal_source is not None
    assert "1285/2016" in why.legal_source


def test_housing_coaching_needs_counselling_first(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    client, _ = make_client(runtime, municipality_code="999")
    key = "esimerkkila.housing_coaching"
    unknown = referral_options_of(runtime, client, today=TODAY)[key]
    assert unknown.eligibility.missing_facts == ("esimerkkila_housing_counselling",)
    record_facts(
        runtime, client, valid_from=date(2026, 10, 1), esimerkkila_housing_counselling=False
    )
    not_yet = referral_options_of(runtime, client, today=TODAY)[key]
    assert [v.rule for v in not_yet.eligibility.denied] == ["esimerkkila_housing_counselling_first"]
    assert "asumisneuvonnan" in not_yet.eligibility.denied[0].text("fi")
    record_facts(
        runtime, client, valid_from=date(2026, 11, 1), esimerkkila_housing_counselling=True
    )
    assert referral_options_of(runtime, client, today=TODAY)[key].eligible
    # Before the rule came into force (1.1.2026) it was not asked at all.
    earlier = referral_options_of(runtime, client, today=date(2025, 12, 1))[key]
    assert "esimerkkila_housing_counselling_first" not in {
        v.rule for v in earlier.eligibility.verdicts
    }


def test_nature_workshop_runs_in_summer(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    client, _ = make_client(runtime, municipality_code="999")
    key = "esimerkkila.nature_workshop"
    assert referral_options_of(runtime, client, today=date(2027, 7, 1))[key].eligible
    winter = referral_options_of(runtime, client, today=date(2027, 1, 10))[key]
    assert winter.eligibility.denied[0].text("en") == (
        "The nature workshop runs only from June to August."
    )


def test_our_regional_rule_joins_the_national_one(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_esimerkkila)
    minor, _ = make_client(runtime, municipality_code="999", birth_date=date(2010, 5, 5))
    record_facts(runtime, minor, valid_from=date(2026, 1, 1), service_needs_assessment=True)
    option = referral_options_of(runtime, minor, today=TODAY)["esimerkkimaa.social_rehabilitation"]
    verdicts = {v.rule: v.allowed for v in option.eligibility.verdicts}
    assert verdicts == {
        "social_rehabilitation_service_needs_assessment": True,
        "esimerkkimaa_social_rehabilitation_adults": False,
    }
