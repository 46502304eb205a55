"""Meta-tests of the plugin contract: every hook documented with its exact signature and called
by the engine; all shipped plugins load cleanly; the shipped data is complete and fictional.

What every shipped municipality must offer is a property of the shipped plugins, not of the
contract: those tests load the built-in plugins only (``shipped``), so an outside plugin
installed next to Polku cannot make them fail (tests/test_outside_plugin.py proves it)."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pluggy
import pytest
from typer.testing import CliRunner

from engine import hookspecs
from engine.cli import app
from engine.hookspecs import hookimpl
from engine.models import Journey, JourneyEvent
from engine.plugins import BUILTIN_PLUGINS, build_plugin_manager, describe_plugins
from engine.runtime import Runtime
from engine.settings import ROOT
from engine.testing import make_client, referral_options_of

GUIDE = ROOT / "docs" / "plugins.md"
HOOKS = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("polku_")
}

#: The seed municipalities of ../shared/DOMAIN.md.
SEED = {
    "Parikkala", "Ruokolahti", "Rautjärvi",
    "Kemijärvi", "Posio", "Kittilä",
    "Muhos", "Pudasjärvi", "Utajärvi", "Raahe", "Ylivieska",
    "Mikkeli", "Kangasniemi", "Mäntyharju", "Juva", "Puumala",
    "Kaustinen", "Halsua", "Lestijärvi", "Toholampi", "Veteli", "Perho",
}  # fmt: skip


def signature_line(name: str) -> str:
    # hookspecs uses postponed annotations, so every annotation is a string: drop the quotes.
    return f"def {name}{inspect.signature(HOOKS[name])}".replace("'", "")


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_is_documented_with_its_exact_signature(name: str) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert signature_line(name) in guide.splitlines(), f"docs/plugins.md lacks {name}'s signature"
    assert f"| `{name}` |" in guide, f"the hook table in docs/plugins.md lacks {name}"
    assert (HOOKS[name].__doc__ or "").strip(), f"{name} has no docstring"


def test_the_guide_documents_no_hook_that_does_not_exist() -> None:
    documented = set(re.findall(r"^def (polku_\w+)\(", GUIDE.read_text(encoding="utf-8"), re.M))
    assert documented == set(HOOKS)


def test_hooks_take_keyword_arguments_only() -> None:
    # pluggy always calls with keyword arguments; no defaults, *args or **kwargs in a spec.
    for name, function in HOOKS.items():
        for parameter in inspect.signature(function).parameters.values():
            assert parameter.kind is parameter.POSITIONAL_OR_KEYWORD, (name, parameter)
            assert parameter.default is parameter.empty, (name, parameter)


class Recorder:
    """Implements every hook, answers "nothing", and records which hooks the engine called."""

    def __init__(self) -> None:
        self.called: set[str] = set()

    @hookspecs.hookimpl
    def polku_municipalities(self) -> None:
        self.called.add("polku_municipalities")

    @hookspecs.hookimpl
    def polku_pathway_files(self) -> None:
        self.called.add("polku_pathway_files")

    @hookspecs.hookimpl
    def polku_guards(self) -> None:
        self.called.add("polku_guards")

    @hookspecs.hookimpl
    def polku_referral_targets(self, client: Any, facts: Any, today: date) -> None:
        assert client.id is not None
        assert facts.as_of == today
        self.called.add("polku_referral_targets")

    @hookspecs.hookimpl
    def polku_referral_rules(self) -> None:
        self.called.add("polku_referral_rules")

    @hookspecs.hookimpl
    def polku_fact_definitions(self) -> None:
        self.called.add("polku_fact_definitions")

    @hookspecs.hookimpl
    def polku_assessment_instruments(self) -> None:
        self.called.add("polku_assessment_instruments")

    @hookspecs.hookimpl
    def polku_check_transition(self, context: Any) -> None:
        self.called.add("polku_check_transition")

    @hookspecs.hookimpl
    def polku_after_transition(self, journey: Journey, event: JourneyEvent) -> None:
        self.called.add("polku_after_transition")

    @hookspecs.hookimpl
    def polku_statutory_bases(self) -> None:
        self.called.add("polku_statutory_bases")

    @hookspecs.hookimpl
    def polku_local_holidays(self) -> None:
        self.called.add("polku_local_holidays")


def test_recorder_implements_every_hook() -> None:
    pm = pluggy.PluginManager("polku")
    pm.add_hookspecs(hookspecs)
    recorder = Recorder()
    pm.register(recorder)
    assert {caller.name for caller in pm.get_hookcallers(recorder) or ()} == set(HOOKS)


def test_every_hook_is_called_by_the_engine(runtime_with: Callable[..., Runtime]) -> None:
    """Start-up, a transition and a referral-options request call every hook there is."""
    recorder = Recorder()
    runtime = runtime_with(recorder)
    client, journey = make_client(runtime, municipality_code="261")
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey, "engage", actor_id=None)
    referral_options_of(runtime, client, today=date(2026, 11, 23))
    assert recorder.called == set(HOOKS)


def test_all_shipped_plugins_load_and_check_pending() -> None:
    pm = build_plugin_manager()
    pm.check_pending()  # no hookimpl without a matching hookspec, in any shipped plugin
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert names >= {"engine.defaults", *BUILTIN_PLUGINS}
    for module in BUILTIN_PLUGINS:
        assert (pm.get_plugin(module).__doc__ or "").strip(), f"{module} has no docstring"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The core and the built-in plugins only: no installed entry point is loaded."""
    from engine.testing import settings_for_tests

    url = f"sqlite:///{tmp_path_factory.mktemp('shipped') / 'unused.db'}"
    return Runtime(settings_for_tests(url, plugins=",".join(BUILTIN_PLUGINS)))


def test_every_seed_municipality_is_described(shipped: Runtime) -> None:
    described = {m.name["fi"]: m for m in shipped.municipalities.values()}
    assert set(described) >= SEED
    for name in SEED:
        m = described[name]
        assert m.wellbeing_county.endswith("hyvinvointialue"), name
        assert m.employment_area.endswith("työllisyysalue"), name
        assert re.fullmatch(r"\d{3}", m.code)


def _shipped_targets(runtime: Runtime) -> list[Any]:
    return [
        target
        for module in BUILTIN_PLUGINS
        for target in getattr(runtime.pm.get_plugin(module), "TARGETS", [])
    ]


def test_shipped_targets_are_unique_known_and_fictional(shipped: Runtime) -> None:
    targets = _shipped_targets(shipped)
    keys = [t.key for t in targets]
    assert len(keys) == len(set(keys)), "target keys must be unique"
    from engine import PATHWAY_TYPES

    for target in targets:
        assert target.pathway_type in PATHWAY_TYPES, target.key
        assert set(target.area) <= set(shipped.municipalities), target.key
        provider = target.provider
        assert provider is not None, target.key
        assert provider.email, target.key
        assert provider.phone, target.key
        assert provider.email.endswith("@example.org"), provider.email
        assert re.fullmatch(r"\+358 00 000 \d{4}", provider.phone), provider.phone
    rule_keys = [r.key for t in targets for r in t.rules] + [
        r.key for r in shipped.referral_options.rules
    ]
    assert len(rule_keys) == len(set(rule_keys)), "rule keys must be unique"


def test_every_seed_municipality_has_outreach_youth_work_and_a_local_rule(
    shipped: Runtime,
) -> None:
    targets = _shipped_targets(shipped)
    assert {pm_name for pm_name in map(shipped.pm.get_name, shipped.pm.get_plugins())} == {
        "engine.defaults",
        *BUILTIN_PLUGINS,
    }
    for code, municipality in shipped.municipalities.items():
        offered = [t for t in targets if t.offered_in(code, shipped.municipalities)]
        types = {t.pathway_type for t in offered}
        assert {"outreach_youth_work", "social_rehabilitation", "work_trial"} <= types, code
        assert "multi_agency_employment_support" in types, municipality.name["fi"]
    regions_with_local_rules = {
        module
        for module in BUILTIN_PLUGINS[1:]
        if any(t.rules for t in getattr(shipped.pm.get_plugin(module), "TARGETS", ()))
    }
    assert regions_with_local_rules == set(BUILTIN_PLUGINS[1:])


def test_core_instruments(shipped: Runtime) -> None:
    kyky = shipped.instruments["kykyviisari"]
    assert kyky.scores_only
    assert [item.key for item in kyky.items] == [
        "overall_work_ability",
        "mental_wellbeing",
        "social_participation",
        "physical_capacity",
        "skills",
        "everyday_coping",
    ]
    assert {(i.scale.minimum, i.scale.maximum) for i in kyky.items} == {(0, 10)}
    profile = shipped.instruments["ability_profile"]
    assert {(i.scale.minimum, i.scale.maximum) for i in profile.items} == {(1, 5)}
    assert not profile.scores_only
    assert len(profile.items) == 10
    assert kyky.check_scores({"overall_work_ability": 7, "skills": 10}) == []
    assert kyky.check_scores({"overall_work_ability": 11, "mood": 3, "skills": True}) == [
        "overall_work_ability: 11 is outside 0-10",
        "mood: not an item of kykyviisari",
        "skills: a score is a whole number",
    ]


# --- discovery, restriction, tracing, the command line -------------------------------------------


def test_polku_plugins_restricts_built_in_plugins() -> None:
    pm = build_plugin_manager(only="national, lappi")
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert names == {"engine.defaults", "plugins.national", "plugins.lappi"}
    assert build_plugin_manager(only="plugins.etela_savo").get_plugin("plugins.etela_savo")


def test_tracing_logs_hook_calls_without_arguments(
    make_runtime: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="polku.hooks"):
        runtime = make_runtime(trace_hooks=True)  # as POLKU_TRACE_HOOKS=1 does
        client, journey = make_client(runtime, first_name="Salainen", last_name="Nimi")
        with runtime.db.write() as session:
            runtime.journeys.advance(session, journey, "engage", actor_id=None)
        referral_options_of(runtime, client)
    logging.getLogger("polku.hooks").setLevel(logging.NOTSET)
    traced = [r.getMessage() for r in caplog.records if r.name == "polku.hooks"]
    assert "call polku_pathway_files -> engine.defaults" in traced
    assert "done polku_pathway_files" in traced
    assert "ask polku_guards -> engine.defaults" in traced
    assert "ask polku_referral_targets -> plugins.lappi" in traced
    assert "ask polku_check_transition -> plugins.national" not in traced  # no such impl
    assert not any("Salainen" in line or "Nimi" in line for line in traced)


def test_without_the_setting_nothing_is_traced(
    make_runtime: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="polku.hooks"):
        runtime = make_runtime()
        client, _journey = make_client(runtime)
        referral_options_of(runtime, client)
    assert not [r for r in caplog.records if r.name == "polku.hooks"]


def test_describe_plugins_names_sources_versions_and_municipalities() -> None:
    recorder = Recorder()
    pm = build_plugin_manager()
    pm.register(recorder, name="my_test_plugin")
    infos = {info.name: info for info in describe_plugins(pm)}
    assert infos["engine.defaults"].source == "core"
    lappi = infos["plugins.lappi"]
    assert (lappi.source, lappi.version) == ("built-in", infos["engine.defaults"].version)
    assert lappi.municipalities == [("261", "Kittilä"), ("320", "Kemijärvi"), ("614", "Posio")]
    assert "polku_referral_targets" in lappi.hooks
    assert (infos["my_test_plugin"].source, infos["my_test_plugin"].version) == ("registered", "-")


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's console, wide enough for a table row to stay on one line."""
    from rich.console import Console

    monkeypatch.setattr("engine.plugin_cli.out", Console(width=250, soft_wrap=True))


@pytest.mark.usefixtures("wide")
def test_plugins_list_command() -> None:
    result = CliRunner().invoke(app, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if "plugins.etela_savo" in line]
    assert "built-in" in row
    assert "178 Juva, 213 Kangasniemi, 491 Mikkeli, 507 Mäntyharju, 623 Puumala" in row


@pytest.mark.usefixtures("wide")
def test_plugins_try_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLKU_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    from engine.settings import get_settings

    get_settings.cache_clear()
    try:
        args = ["plugins", "try", "--municipality", "614", "--birth-date", "2001-02-03"]
        result = CliRunner().invoke(app, [*args, "--on", "2026-11-23", "-l", "en"])
        bad = CliRunner().invoke(app, [*args, "--fact", "benefit=lots"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "614 Posio, 2026-11-23" in result.output
    [row] = [line for line in result.output.splitlines() if "Outreach youth work, Posio" in line]
    assert "yes" in row
    assert "The service is only for residents of Kemijärvi." in result.output
    assert bad.exit_code == 2
    assert "benefit: expected one of" in bad.output
    assert not (tmp_path / "unused.db").exists()


def test_hook_wrappers_are_refused_at_start_up() -> None:
    """A wrapper would never be asked (every plugin is asked separately): refused, not ignored."""
    from engine.plugins import PluginError
    from engine.testing import plugin_manager_with

    class Wrapping:
        @hookimpl(wrapper=True)
        def polku_check_transition(self, context: object) -> object:
            return (yield)

    class OldStyle:
        @hookimpl(hookwrapper=True)
        def polku_referral_targets(self) -> object:
            yield

    for plugin in (Wrapping(), OldStyle()):
        with pytest.raises(PluginError, match="hook wrapper"):
            plugin_manager_with(plugin)


def test_engine_trigger_names_are_reserved(tmp_path: Path) -> None:
    from engine.guards import core_registry
    from engine.pathway import load_files

    text = (ROOT / "pathways" / "client_journey.yaml").read_text(encoding="utf-8")
    path = tmp_path / "x.yaml"
    path.write_text(text.replace("trigger: decline", "trigger: start"), encoding="utf-8")
    _ok, problems = load_files([path], core_registry().names())
    assert any("'start' is reserved" in str(p) for p in problems)
