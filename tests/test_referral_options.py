"""Referral options: national rules, local rules, validity dates, areas, and failing closed.

Assessment itself needs no database: these tests build the runtime with the shipped plugins (and
test plugins) and assess made-up clients with facts given as values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine import (
    Municipality,
    ReferralOption,
    ReferralTarget,
    Rule,
    RuleContext,
    ServiceProvider,
    Verdict,
    hookimpl,
)
from engine.facts import Facts
from engine.models import Client
from engine.plugins import PluginError
from engine.runtime import Runtime
from engine.testing import plugin_manager_with, settings_for_tests

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Build runtimes that never open their (SQLite) database."""
    made: list[Runtime] = []
    url = f"sqlite:///{tmp_path_factory.mktemp('offline') / 'unused.db'}"

    def make(*plugins: object) -> Runtime:
        pm = plugin_manager_with(*plugins) if plugins else None
        runtime = Runtime(settings_for_tests(url), plugin_manager=pm)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture(scope="module")
def shipped(offline: Any) -> Runtime:
    runtime: Runtime = offline()
    return runtime


def person(code: str = "261", born: date | None = date(1990, 1, 1)) -> Client:
    return Client(
        id=1, first_name="Salainen", last_name="Nimi", municipality_code=code, birth_date=born
    )


def options(
    runtime: Runtime, client: Client, today: date = TODAY, **facts: Any
) -> dict[str, ReferralOption]:
    known = Facts.from_values(runtime.facts.definitions, facts, today)
    found = runtime.referral_options.for_client(client, known, today)
    return {
        f"{o.plugin}/{o.target.key}" if o.target.key == "unavailable" else o.target.key: o
        for o in found
    }


def verdicts(option: ReferralOption) -> dict[str, bool | None]:
    return {v.rule: v.allowed for v in option.eligibility.verdicts}


# --- where targets are offered ------------------------------------------------------------------


def test_targets_are_offered_in_their_area_only(shipped: Runtime) -> None:
    kittila = options(shipped, person("261"))
    assert "kittila.outreach_youth_work" in kittila
    assert "tunturi_lappi.ohjaamo.ohjaamo" in kittila
    assert not any(key.startswith(("mikkeli", "kemijarvi", "posio")) for key in kittila)
    assert {o.plugin for o in kittila.values()} == {"plugins.lappi"}


def test_resident_only_service_is_listed_but_blocked_for_neighbours(shipped: Runtime) -> None:
    key = "kemijarvi.ita_lapin_paja_ry.rehabilitative_work_activity"
    posio = options(shipped, person("614"))[key]
    kemijarvi = options(shipped, person("320"))[key]
    [why] = [v for v in posio.eligibility.denied if v.rule == "kemijarvi_residents_only"]
    assert why.text("fi") == "Palvelu on vain kunnan Kemijärvi asukkaille."
    assert why.text("en") == "The service is only for residents of Kemijärvi."
    assert verdicts(kemijarvi)["kemijarvi_residents_only"] is True


# --- national rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "youth_work", "ohjaamo"),
    [
        (date(1997, 11, 24), True, True),  # 28
        (date(1997, 11, 23), False, True),  # 29 today
        (date(1996, 11, 24), False, True),  # 29
        (date(1996, 11, 23), False, False),  # 30 today
    ],
)
def test_youth_age_limits(shipped: Runtime, born: date, youth_work: bool, ohjaamo: bool) -> None:
    found = options(shipped, person("261", born))
    assert found["kittila.outreach_youth_work"].eligible is youth_work
    assert found["tunturi_lappi.ohjaamo.ohjaamo"].eligible is ohjaamo


def test_age_limit_says_why_with_the_legal_source(shipped: Runtime) -> None:
    option = options(shipped, person("261", date(1991, 5, 1)))["kittila.outreach_youth_work"]
    [why] = option.eligibility.denied
    assert why.rule == "outreach_youth_work_under_29"
    assert why.legal_source == "Nuorisolaki 1285/2016, 3 § ja 11 §"
    assert why.text("fi") == "Asiakas on 35-vuotias; palvelu on alle 29-vuotiaille."
    assert why.text("sv") == "Klienten är 35 år; tjänsten är för personer under 29 år."


def test_unknown_birth_date_asks_for_it(shipped: Runtime) -> None:
    option = options(shipped, person("261", None))["kittila.outreach_youth_work"]
    assert not option.eligible
    assert option.eligibility.missing_facts == ("birth_date",)
    assert option.eligibility.denied[0].text("en") == "Record first: birth date."


REHAB = "kittila.rehabilitative_work_activity"
LONG_TERM: dict[str, Any] = {
    "unemployed_since": "2025-11-23",
    "benefit": "labour_market_subsidy",
    "activation_plan": True,
}


def test_rehabilitative_work_activity_for_long_term_unemployed_with_a_plan(
    shipped: Runtime,
) -> None:
    option = options(shipped, person(), **LONG_TERM)[REHAB]
    assert option.eligible
    assert verdicts(option) == {
        "rehabilitative_work_long_term_unemployed": True,
        "rehabilitative_work_benefit": True,
        "rehabilitative_work_plan": True,
    }


@pytest.mark.parametrize(
    ("change", "rule", "reason"),
    [
        ({"unemployed_since": "2025-11-24"}, "rehabilitative_work_long_term_unemployed", "11 kk"),
        ({"benefit": "earnings_related_allowance"}, "rehabilitative_work_benefit", "toimeentulo"),
        (
            {"activation_plan": False, "multi_agency_employment_plan": False},
            "rehabilitative_work_plan",
            "Aktivointisuunnitelma",
        ),
    ],
)
def test_rehabilitative_work_activity_blocked(
    shipped: Runtime, change: dict[str, object], rule: str, reason: str
) -> None:
    option = options(shipped, person(), **(LONG_TERM | change))[REHAB]
    [why] = option.eligibility.denied
    assert why.rule == rule
    assert reason in why.text("fi")
    assert why.legal_source is not None
    assert "189/2001" in why.legal_source


def test_either_plan_will_do_and_unknown_plans_are_asked_for(shipped: Runtime) -> None:
    facts = LONG_TERM | {"activation_plan": False, "multi_agency_employment_plan": True}
    assert options(shipped, person(), **facts)[REHAB].eligible
    unknown = {k: v for k, v in LONG_TERM.items() if k != "activation_plan"}
    option = options(shipped, person(), **unknown)[REHAB]
    assert option.eligibility.missing_facts == ("activation_plan", "multi_agency_employment_plan")


class CompanyWorkshop:
    """A plugin offering rehabilitative work activity run by a company (not allowed)."""

    @hookimpl
    def polku_referral_targets(self) -> list[ReferralTarget]:
        company = ServiceProvider("test.oy", "Testi Oy", "company", "261")
        return [
            ReferralTarget(
                "test.company_rehab",
                "rehabilitative_work_activity",
                {"fi": "Yritys", "sv": "Företag", "en": "Company"},
                provider=company,
                area=("261",),
            )
        ]


def test_rehabilitative_work_activity_is_not_organised_by_companies(offline: Any) -> None:
    runtime = offline(CompanyWorkshop())
    found = options(runtime, person(), **LONG_TERM)
    assert found[REHAB].eligible
    company = found["test.company_rehab"]
    assert [v.rule for v in company.eligibility.denied] == ["rehabilitative_work_organiser"]


WORK_TRIAL = "tunturi_lapin_tyollisyysalue.work_trial"


@pytest.mark.parametrize(
    ("facts", "blocked_by"),
    [
        ({"work_trial_in_plan": True}, []),
        ({"work_trial_in_plan": False}, ["work_trial_in_employment_plan"]),
        ({"work_trial_in_plan": True, "work_trial_months": 11}, []),
        ({"work_trial_in_plan": True, "work_trial_months": 12}, ["work_trial_12_months_total"]),
        (
            {
                "work_trial_in_plan": True,
                "work_trial_months": 7,
                "work_trial_organiser": "tunturi_lapin_tyollisyysalue",
                "work_trial_organiser_months": 6,
            },
            ["work_trial_6_months_per_organiser"],
        ),
        (
            {
                "work_trial_in_plan": True,
                "work_trial_months": 7,
                "work_trial_organiser": "some_other_organiser",
                "work_trial_organiser_months": 6,
            },
            [],
        ),
    ],
)
def test_work_trial(shipped: Runtime, facts: dict[str, Any], blocked_by: list[str]) -> None:
    option = options(shipped, person(), **facts)[WORK_TRIAL]
    assert [v.rule for v in option.eligibility.denied] == blocked_by


def test_work_trial_rules_are_not_asked_before_the_2025_reform(shipped: Runtime) -> None:
    option = options(shipped, person(), date(2024, 6, 1), work_trial_in_plan=False)[WORK_TRIAL]
    assert option.eligible
    assert verdicts(option) == {}


@pytest.mark.parametrize(("done", "eligible"), [(True, True), (False, False)])
def test_social_rehabilitation_after_service_needs_assessment(
    shipped: Runtime, done: bool, eligible: bool
) -> None:
    key = "lapin_hyvinvointialue.aikuissosiaalityo.social_rehabilitation"
    option = options(shipped, person(), service_needs_assessment=done)[key]
    assert option.eligible is eligible
    assert verdicts(option) == {"social_rehabilitation_service_needs_assessment": done}


MULTI_AGENCY = "raahen_seudun_tyollisyysalue.multi_agency_employment_support"
OBSTACLES = {"employment_status": "unemployed", "work_ability_obstacles": True}


def test_multi_agency_under_the_old_act_needed_months_of_unemployment(shipped: Runtime) -> None:
    young = person("678", date(2001, 1, 10))  # 23 in 2024
    option = options(shipped, young, date(2024, 6, 1), unemployed_since="2024-03-01", **OBSTACLES)[
        MULTI_AGENCY
    ]
    [why] = option.eligibility.denied
    assert why.rule == "multi_agency_unemployment_length_1369_2014"
    assert why.text("fi") == "Asiakas on ollut työttömänä 3 kk; vaatimus oli 6 kk."
    assert why.legal_source is not None
    assert "1369/2014" in why.legal_source
    older = person("678", date(1990, 1, 10))
    seven_months = options(
        shipped, older, date(2024, 10, 1), unemployed_since="2024-03-01", **OBSTACLES
    )[MULTI_AGENCY]
    assert "vaatimus oli 12 kk" in seven_months.eligibility.denied[0].text("fi")


def test_multi_agency_since_2025_needs_no_length_of_unemployment(shipped: Runtime) -> None:
    young = person("678", date(2001, 1, 10))
    option = options(shipped, young, date(2025, 6, 1), unemployed_since="2025-03-01", **OBSTACLES)[
        MULTI_AGENCY
    ]
    assert option.eligible
    assert verdicts(option) == {"multi_agency_target_group": True}
    employed = options(shipped, young, employment_status="employed", work_ability_obstacles=True)
    assert "työttömille" in employed[MULTI_AGENCY].eligibility.denied[0].text("fi")


def test_rule_validity_dates_are_inclusive() -> None:
    rule = Rule(
        key="r",
        legal_source="Testilaki 1/2026",
        check=lambda *, context: None,
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
    )
    assert [rule.in_force(d) for d in (date(2024, 12, 31), date(2025, 1, 1))] == [False, True]
    assert [rule.in_force(d) for d in (date(2025, 12, 31), date(2026, 1, 1))] == [True, False]
    assert Rule(key="open", legal_source="x", check=lambda *, context: None).in_force(TODAY)


def test_waiting_list_blocks_until_the_day_it_is_full(shipped: Runtime) -> None:
    key = "kittila.nuorten_tyopaja.workshop"
    full = options(shipped, person(), date(2027, 3, 31))[key]
    assert not full.eligible
    assert full.eligibility.denied[0].text("fi") == (
        "Kaikki 8 paikkaa ovat täynnä 31.3.2027 asti; asiakkaan voi laittaa jonoon."
    )
    assert options(shipped, person(), date(2027, 4, 1))[key].eligible


# --- failing closed -----------------------------------------------------------------------------


class BrokenTargets:
    @hookimpl
    def polku_referral_targets(self, client: Client) -> list[ReferralTarget]:
        raise RuntimeError(f"cannot serve {client.first_name}")


class NonsenseTargets:
    @hookimpl
    def polku_referral_targets(self) -> str:
        return "kittila.outreach_youth_work"


def _crash(*, context: RuleContext) -> Verdict:
    raise KeyError(context.client.last_name)


def _yes(*, context: RuleContext) -> str:
    return "yes"


class BrokenRule:
    @hookimpl
    def polku_referral_targets(self) -> list[ReferralTarget]:
        label = {"fi": "T", "sv": "T", "en": "T"}
        return [
            ReferralTarget(
                "test.crashing_rule",
                "other_activity",
                label,
                area=("261",),
                rules=(Rule(key="crashing", legal_source="x", check=_crash),),
            ),
            ReferralTarget(
                "test.odd_rule",
                "other_activity",
                label,
                area=("261",),
                rules=(Rule(key="odd", legal_source="x", check=_yes),),  # type: ignore[arg-type]
            ),
            ReferralTarget("test.fine", "other_activity", label, area=("261",)),
        ]


def test_raising_plugin_is_blocked_and_logged_others_still_answer(
    offline: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenTargets()
    runtime = offline(broken)
    name = runtime.pm.get_name(broken)
    found = options(runtime, person())
    unavailable = found[f"{name}/unavailable"]
    assert not unavailable.eligible
    assert [v.rule for v in unavailable.eligibility.denied] == [f"plugin:{name}"]
    assert "kittila.outreach_youth_work" in found  # the built-in plugins still answer
    assert f"plugin {name} failed in polku_referral_targets" in caplog.text
    assert "raised RuntimeError" in caplog.text
    assert "test_referral_options.py" in caplog.text
    assert "Salainen" not in caplog.text
    assert "Nimi" not in caplog.text


def test_nonsense_answer_is_blocked_and_logged(
    offline: Any, caplog: pytest.LogCaptureFixture
) -> None:
    nonsense = NonsenseTargets()
    runtime = offline(nonsense)
    name = runtime.pm.get_name(nonsense)
    assert not options(runtime, person())[f"{name}/unavailable"].eligible
    assert "answered polku_referral_targets with str" in caplog.text


def test_raising_rule_denies_its_target_only(
    offline: Any, caplog: pytest.LogCaptureFixture
) -> None:
    found = options(offline(BrokenRule()), person())
    crashing = found["test.crashing_rule"].eligibility.denied
    assert [(v.rule, v.text("en")) for v in crashing] == [
        ("crashing", "The rule could not be checked, so it blocks to be safe.")
    ]
    assert [v.rule for v in found["test.odd_rule"].eligibility.denied] == ["odd"]
    assert found["test.fine"].eligible
    assert "crashing failed in referral rule for target test.crashing_rule" in caplog.text
    assert "raised KeyError" in caplog.text
    assert "Nimi" not in caplog.text


class BrokenRulesAtStartUp:
    @hookimpl
    def polku_referral_rules(self) -> list[Rule]:
        raise ValueError("bad data")


class Impostor:
    @hookimpl
    def polku_municipalities(self) -> list[Municipality]:
        return [Municipality("261", {"fi": "Kittilä", "sv": "Kittilä"}, "Väärä", "Väärä")]


class SameKittila:
    @hookimpl
    def polku_municipalities(self) -> list[Municipality]:
        from plugins.lappi import KITTILA

        return [KITTILA]


class WrongRecords:
    @hookimpl
    def polku_municipalities(self) -> list[dict[str, str]]:
        return [{"code": "999"}]


class WrongGuards:
    @hookimpl
    def polku_guards(self) -> list[str]:
        return ["not_a_mapping"]


def test_static_contributions_fail_at_start_up(offline: Any) -> None:
    with pytest.raises(PluginError, match="raised ValueError in polku_referral_rules"):
        offline(BrokenRulesAtStartUp())
    with pytest.raises(PluginError, match="returned a dict, not a Municipality"):
        offline(WrongRecords())
    with pytest.raises(PluginError, match="polku_guards returned list"):
        offline(WrongGuards())
    with pytest.raises(PluginError, match=r"'261' is contributed by both plugins\.lappi and"):
        offline(Impostor())
    assert offline(SameKittila()).municipalities["261"].employment_area


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Municipality("26", {"fi": "X", "sv": "X"}, "c", "a"), "three digits"),
        (lambda: Municipality("261", {"fi": "X"}, "c", "a"), "missing text in sv"),
        (lambda: ServiceProvider("p", "P", "shop", "261"), "unknown kind"),
        (lambda: ReferralTarget("t", "workshop", {"fi": "T", "sv": "T"}), "missing text in en"),
        (lambda: ReferralTarget("T!", "workshop", {"fi": "T", "sv": "T", "en": "T"}), "ident"),
        (lambda: Rule(key="r", legal_source="", check=_crash), "legal source"),
        (
            lambda: Rule(
                key="r",
                legal_source="x",
                check=_crash,
                valid_from=date(2026, 1, 1),
                valid_to=date(2025, 1, 1),
            ),
            "before valid_from",
        ),
    ],
)
def test_records_check_themselves(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_offline_runtime_never_touched_its_database(tmp_path_factory: Any) -> None:
    # The module's runtimes are built on a database file that is never opened.
    assert not list(Path(tmp_path_factory.getbasetemp()).glob("offline*/unused.db"))
