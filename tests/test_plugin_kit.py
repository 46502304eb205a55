"""Issue 17: what a plugin author for a municipality Polku does not ship relies on.

- a new municipality joins its wellbeing county's and employment area's services by declaring
  them (no copied code);
- warnings at load for a rule that can never deny and a target offered nowhere (start-up log,
  ``polku plugins list``);
- the test kit: a client with facts, a journey moved to a state, "this move is denied by this
  rule";
- ``polku plugins try``: every verdict with its reason and legal source, never cut, JSON, and
  a named transition for a made-up client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from engine import (
    ReferralTarget,
    Verdict,
    county_service,
    hookimpl,
    local_service,
    municipality,
    provider,
    residents_only,
)
from engine.cli import app
from engine.plugin_checks import plugin_warnings
from engine.runtime import Runtime
from engine.testing import (
    assert_allowed,
    assert_denied,
    make_client,
    move_journey_to,
    referral_options_of,
    transition_verdicts,
)

RuntimeWith = Callable[..., Runtime]
TODAY = date(2026, 11, 23)
DECISION = "Testikunnan päätös 1/2026 (kuvitteellinen)"

#: A municipality no shipped plugin describes, in a shipped wellbeing county and employment area.
TESTILA = municipality(
    "998",
    "Testilä",
    wellbeing_county="Etelä-Karjalan hyvinvointialue",
    employment_area="Etelä-Karjalan työllisyysalue",
    region="Etelä-Karjala",
)
YOUTH = provider("testila.nuoriso", "Testilän nuorisopalvelut", "municipality", TESTILA)


class Testila:
    """An outside plugin: one municipality and its own youth work, nothing copied."""

    @hookimpl
    def polku_municipalities(self) -> list[object]:
        return [TESTILA]

    @hookimpl
    def polku_referral_targets(self) -> list[ReferralTarget]:
        return [local_service("outreach_youth_work", YOUTH, [TESTILA], place="Testilä")]


# --- regions and counties as data ---------------------------------------------------------------


def test_a_new_municipality_receives_its_county_and_employment_area_services(
    runtime_with: RuntimeWith,
) -> None:
    runtime = runtime_with(Testila())
    client, _journey = make_client(runtime, municipality_code="998", birth_date=date(2000, 1, 1))
    options = referral_options_of(runtime, client, today=TODAY)
    by_type = {o.target.pathway_type: o for o in options.values()}
    assert set(by_type) == {
        "outreach_youth_work",
        "social_rehabilitation",
        "multi_agency_employment_support",
        "work_trial",
    }
    county = by_type["social_rehabilitation"]
    assert county.plugin == "plugins.etela_karjala"
    assert county.target.label["fi"] == "Sosiaalinen kuntoutus, Etelä-Karjalan hyvinvointialue"
    # the national rules apply to the county's service for the new municipality's client too
    assert county.eligibility.missing_facts == ("service_needs_assessment",)
    # a Lapland client does not get Etelä-Karjala's county services
    lapland, _journey = make_client(runtime, municipality_code="261")
    assert "etela_karjalan_hyvinvointialue.aikuissosiaalityo.social_rehabilitation" not in (
        referral_options_of(runtime, lapland, today=TODAY)
    )


def test_a_county_service_from_an_outside_plugin_reaches_the_shipped_municipalities(
    runtime_with: RuntimeWith,
) -> None:
    class Counselling:
        @hookimpl
        def polku_referral_targets(self) -> list[ReferralTarget]:
            by = provider("lappi.velkaneuvonta", "Velkaneuvonta", "wellbeing_county", TESTILA)
            return [county_service("other_activity", by, county="Lapin hyvinvointialue")]

    runtime = runtime_with(Counselling())
    kittila, _ = make_client(runtime, municipality_code="261")
    parikkala, _ = make_client(runtime, municipality_code="580")
    assert "lappi.velkaneuvonta.other_activity" in referral_options_of(runtime, kittila)
    assert "lappi.velkaneuvonta.other_activity" not in referral_options_of(runtime, parikkala)


# --- warnings at load ---------------------------------------------------------------------------


class Careless:
    """Well-formed, but a resident-only rule that can never deny and a target offered nowhere."""

    @hookimpl
    def polku_municipalities(self) -> list[object]:
        return [TESTILA]

    @hookimpl
    def polku_referral_targets(self) -> list[ReferralTarget]:
        return [
            local_service(
                "workshop",
                YOUTH,
                [TESTILA],
                place="Testilä",
                rules=[residents_only(TESTILA, key="testila_only", legal_source=DECISION)],
            ),
            local_service(
                "other_activity",
                YOUTH,
                ["123"],
                place="Testilä",
                rules=[residents_only(TESTILA, key="testila_only_too", legal_source=DECISION)],
            ),
        ]


def test_load_warnings_name_the_plugin_and_the_key(
    runtime_with: RuntimeWith, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="polku.plugins"):
        runtime = runtime_with(Careless(), only="national,etela_karjala")
    plugin = runtime.pm.get_name(
        next(p for p in runtime.pm.get_plugins() if isinstance(p, Careless))
    )
    assert [str(w) for w in runtime.plugin_warnings] == [
        f"plugin {plugin}: testila_only: residents-only rule on target testila.nuoriso.workshop "
        "can never deny: the target is offered only to 998, whose residents it allows",
        f"plugin {plugin}: testila.nuoriso.other_activity: target is offered to no "
        "municipality: no plugin describes area 123",
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "polku.plugins"]
    assert logged == [str(w) for w in runtime.plugin_warnings]


def test_a_residents_only_rule_that_can_deny_is_not_warned_about(runtime_with: RuntimeWith) -> None:
    class Careful:
        @hookimpl
        def polku_municipalities(self) -> list[object]:
            return [TESTILA]

        @hookimpl
        def polku_referral_targets(self) -> list[ReferralTarget]:
            return [
                local_service(
                    "workshop",
                    YOUTH,
                    [TESTILA, "580"],  # Parikkala's clients too, who the rule denies
                    place="Testilä",
                    rules=[residents_only(TESTILA, key="testila_only", legal_source=DECISION)],
                )
            ]

    runtime = runtime_with(Careful())
    assert runtime.plugin_warnings == []
    parikkala, _ = make_client(runtime, municipality_code="580")
    [why] = referral_options_of(runtime, parikkala)["testila.nuoriso.workshop"].eligibility.denied
    assert why.rule == "testila_only"


def test_the_shipped_plugins_load_without_warnings() -> None:
    from engine.plugins import BUILTIN_PLUGINS, build_plugin_manager, collect_records
    from engine.rules import Municipality

    pm = build_plugin_manager(only=",".join(BUILTIN_PLUGINS))
    municipalities = collect_records(pm, "polku_municipalities", Municipality, lambda m: m.code)
    assert len(municipalities) == 22
    assert plugin_warnings(pm, municipalities) == []


@pytest.fixture
def with_careless(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """tests/careless_plugin.py loaded as if it were built in, next to the shipped ones."""
    import engine.plugins
    from engine.settings import get_settings

    loaded = (*engine.plugins.BUILTIN_PLUGINS, "tests.careless_plugin")
    monkeypatch.setattr(engine.plugins, "BUILTIN_PLUGINS", loaded)
    monkeypatch.setenv("POLKU_PLUGINS", ",".join(loaded))  # no installed plugin
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("with_careless")
def test_plugins_list_prints_the_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.plugin_cli.out", Console(width=80, soft_wrap=True))
    result = CliRunner().invoke(app, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: plugin tests.careless_plugin: careless_only: residents-only rule on target "
        "careless.workshop can never deny: the target is offered only to 997, whose residents "
        "it allows"
    ) in result.output


# --- the test kit ---------------------------------------------------------------------------------


class NoReferralWithoutBirthDate:
    @hookimpl
    def polku_check_transition(self, context: object) -> Verdict | None:
        client = context.client  # type: ignore[attr-defined]
        if context.trigger == "refer" and client.birth_date is None:  # type: ignore[attr-defined]
            return Verdict.deny(
                "birth_date_first", fi="fi", sv="sv", en="Record the birth date.",
                legal_source=DECISION,
            )  # fmt: skip
        return None


def test_kit_moves_a_journey_and_names_the_denying_rule(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(NoReferralWithoutBirthDate())
    _client, journey = make_client(runtime, birth_date=None, state="individual_work")
    verdict = assert_denied(
        runtime, journey, "refer", rule="birth_date_first", legal_source=DECISION
    )
    assert verdict.text("en") == "Record the birth date."
    with pytest.raises(AssertionError, match="not denied by 'working_age'"):
        assert_denied(runtime, journey, "refer", rule="working_age")
    with pytest.raises(AssertionError, match="cites"):
        assert_denied(runtime, journey, "refer", rule="birth_date_first", legal_source="Laki")
    with pytest.raises(AssertionError, match="'engage' is not a move from 'individual_work'"):
        assert_denied(runtime, journey, "engage", rule="birth_date_first")
    with pytest.raises(AssertionError, match="'refer' is denied: birth_date_first"):
        assert_allowed(runtime, journey, "refer")
    assert_allowed(runtime, journey, "pause")
    # nothing was stored by asking
    with runtime.db.read() as session:
        view, _ = runtime.journeys.load(session, journey)
    assert view.state == "individual_work"


def test_move_journey_to_fires_each_move_and_reports_a_denial(runtime: Runtime) -> None:
    _client, journey = make_client(runtime)
    assert move_journey_to(runtime, journey, "referred") == [
        "engage",
        "start_assessment",
        "set_goals",
        "start_group_work",
        "refer",
    ]
    _client, refused = make_client(runtime, consent=False)
    with pytest.raises(AssertionError, match="participation_consent"):
        move_journey_to(runtime, refused, "engaged")
    with pytest.raises(ValueError, match="no state 'nowhere'"):
        move_journey_to(runtime, refused, "nowhere")


def test_make_client_records_facts(runtime: Runtime) -> None:
    client, _journey = make_client(
        runtime,
        municipality_code="494",
        facts={"service_needs_assessment": True},
        facts_from=date(2026, 1, 1),
    )
    option = referral_options_of(runtime, client, today=TODAY)[
        "pohjois_pohjanmaan_hyvinvointialue.aikuissosiaalityo.social_rehabilitation"
    ]
    assert option.eligible
    verdicts = transition_verdicts(runtime, _journey, "engage")
    assert [v.rule for v in verdicts] == ["participation_consent", "working_age"]


# --- polku plugins try -------------------------------------------------------------------------


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A 40-column terminal, and a database the command must not create."""
    from engine.settings import get_settings

    monkeypatch.setattr("engine.plugin_cli.out", Console(width=40, soft_wrap=True))
    monkeypatch.setenv("POLKU_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    assert not (tmp_path / "unused.db").exists()


@pytest.mark.usefixtures("narrow")
def test_try_shows_every_verdict_with_its_whole_legal_source() -> None:
    args = ["plugins", "try", "--municipality", "614", "--birth-date", "1990-02-03"]
    result = CliRunner().invoke(app, [*args, "--on", "2026-11-23", "-l", "en"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # a long legal source stays whole on its line even in 40 columns: the terminal wraps it
    assert (
        "  deny       rehabilitative_work_plan: Record first: Activation plan made, Multi-agency "
        "employment plan made. [Laki kuntouttavasta työtoiminnasta 189/2001; Laki "
        "työllistymistä edistävästä monialaisesta yhteispalvelusta 381/2023]"
    ) in lines
    assert (
        "  deny       outreach_youth_work_under_29: The client is 36; the service is for people "
        "under 29. [Nuorisolaki 1285/2016, 3 § ja 11 §]"
    ) in lines
    # allowing verdicts are shown too
    assert "  allow      rehabilitative_work_organiser" not in lines  # no opinion: not listed
    work_trial = lines.index(next(line for line in lines if line.startswith("Work trial, ")))
    assert lines[work_trial + 1].startswith("  deny       work_trial_in_employment_plan")


@pytest.mark.usefixtures("narrow")
def test_try_as_json() -> None:
    args = ["plugins", "try", "--municipality", "261", "--birth-date", "2001-02-03"]
    result = CliRunner().invoke(app, [*args, "--on", "2026-11-23", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    [youth] = [o for o in document["options"] if o["key"] == "kittila.outreach_youth_work"]
    assert youth["eligible"] is True
    assert youth["verdicts"] == [
        {
            "rule": "outreach_youth_work_under_29",
            "allowed": True,
            "reason": {},
            "legal_source": "Nuorisolaki 1285/2016, 3 § ja 11 §",
        }
    ]


@pytest.mark.usefixtures("narrow")
def test_try_fires_a_named_transition_for_a_made_up_client() -> None:
    args = ["plugins", "try", "--municipality", "261", "--birth-date", "1950-02-03", "-l", "en"]
    result = CliRunner().invoke(app, [*args, "--transition", "engage", "--no-consent"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "engage: outreach -> engaged: denied (client_journey v3)" in lines
    assert (
        "  deny       participation_consent: The client's agreement to take part has not been "
        "recorded."
    ) in lines
    assert any(line.startswith("  deny       working_age: The client is ") for line in lines)
    as_json = CliRunner().invoke(app, [*args, "--transition", "set_goals", "--format", "json"])
    document = json.loads(as_json.output)
    assert (document["from"], document["allowed"]) == ("assessment", False)
    assert [v["rule"] for v in document["verdicts"]] == ["gas_goals_described"]
    wrong = CliRunner().invoke(app, [*args, "--transition", "refer", "--from", "outreach"])
    assert wrong.exit_code == 2
    assert "it moves from: group_work, individual_work, group_and_individual_work" in wrong.output
    unknown = CliRunner().invoke(app, [*args, "--transition", "fly"])
    assert unknown.exit_code == 2
    assert "its triggers: engage, decline" in unknown.output


@pytest.mark.usefixtures("narrow", "with_careless")
def test_try_shows_a_plugins_transition_check() -> None:
    args = ["plugins", "try", "--municipality", "997", "-l", "en", "--transition", "refer"]
    result = CliRunner().invoke(app, [*args, "--from", "individual_work"])
    assert result.exit_code == 0, result.output
    assert (
        "  deny       careless_no_referrals: Careless does not refer in December. "
        "[Testikunnan päätös 1/2026 (kuvitteellinen)]"
    ) in result.output.splitlines()
