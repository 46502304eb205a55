"""Meta-tests of docs/plugins.md: the generated parts are in step with the YAML, the shipped
plugins and the tested example; every name ``engine`` exports is documented with every field;
and following the step-by-step guide literally (its own commands and code blocks) gives the
module and tests that Polku's suite runs (tests/plugin_guide/)."""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import engine
from engine.cli import app
from engine.plugin_docs import GUIDE, GUIDE_EXAMPLE, SECTIONS, generated

TEXT = GUIDE.read_text(encoding="utf-8")


def section(title: str) -> str:
    start = TEXT.index(f"\n## {title}\n")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start : end if end != -1 else None]


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_generated_parts_are_in_step(name: str) -> None:
    assert generated(TEXT, name) == SECTIONS[name](), (
        f"docs/plugins.md's generated part {name!r} is out of date: run "
        "`.venv/bin/python -m engine.plugin_docs`"
    )


def test_the_pathway_tables_name_every_trigger_of_every_loaded_version() -> None:
    from engine.plugins import BUILTIN_PLUGINS, build_plugin_manager
    from engine.runtime import collect_guards, load_pathways

    pm = build_plugin_manager(only=",".join(BUILTIN_PLUGINS))
    table = generated(TEXT, "pathways") or ""
    for pathway in load_pathways(pm, collect_guards(pm)):
        assert f"#### `{pathway.key}` version {pathway.version} " in table
        for transition in pathway.definition.transitions:
            assert f"| `{transition.trigger}` (" in table


def test_the_municipality_table_has_the_right_codes() -> None:
    table = generated(TEXT, "municipalities") or ""
    for code, name in (("689", "Rautjärvi"), ("700", "Ruokolahti"), ("623", "Puumala")):
        assert f"| {code} | {name} |" in table
    assert "| 074 | Halsua |" in table


@pytest.mark.parametrize("name", sorted(engine.__all__))
def test_every_exported_name_is_documented_with_its_fields(name: str) -> None:
    api = section("Plugin API")
    heading = f"#### `{name}`\n"
    assert heading in api, f"docs/plugins.md, Plugin API, lacks {heading.strip()}"
    start = api.index(heading)
    end = api.find("\n#### ", start + 1)
    entry = api[start : end if end != -1 else None]
    value = getattr(engine, name)
    if isinstance(value, type) and dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            row = rf"^\| (`\w+`, )*`{field.name}`(, `\w+`)* \|"
            assert re.search(row, entry, re.M), (
                f"{name}.{field.name} is not in its table in docs/plugins.md"
            )


def test_engine_exports_what_the_hooks_receive_and_return() -> None:
    from engine import hookspecs

    names = set(engine.__all__) | {"date", "Path", "Any", "None"}
    for hook in (getattr(hookspecs, n) for n in dir(hookspecs) if n.startswith("polku_")):
        for annotation in hook.__annotations__.values():  # strings (postponed annotations)
            for word in re.findall(r"[A-Za-z_]+", str(annotation)):
                if word not in {"list", "dict", "str"}:
                    assert word in names, f"{hook.__name__}: {word} is not exported by engine"


# --- the step-by-step guide, followed literally ---------------------------------------------------


GUIDE_SECTION = section("Write a plugin for your municipality")


def code_blocks(language: str) -> list[str]:
    blocks = re.findall(rf"^( *)```{language}\n(.*?)^\1```", GUIDE_SECTION, re.M | re.S)
    return [textwrap.dedent(body) for _indent, body in blocks]


def polku_new_args() -> list[str]:
    [command] = [
        " ".join(line.rstrip("\\").strip() for line in block.splitlines())
        for block in code_blocks("sh")
        if "plugins new" in block
    ]
    return shlex.split(command)[1:]  # without .venv/bin/polku


def test_the_guides_code_is_the_tested_module() -> None:
    module = (GUIDE_EXAMPLE / "polku_liminka.py").read_text(encoding="utf-8")
    python = code_blocks("python")
    assert len(python) >= 3
    for block in python:
        if block.startswith('"""Tests of the Liminka plugin'):
            assert block == (GUIDE_EXAMPLE / "test_polku_liminka.py").read_text(encoding="utf-8")
        else:
            assert block in module, f"this guide block is not in polku_liminka.py:\n{block}"


def test_following_the_guide_gives_the_tested_module(tmp_path: Path) -> None:
    args = polku_new_args()
    assert args[:3] == ["plugins", "new", "liminka"]
    assert args[-2:] == ["--into", ".."]
    result = CliRunner().invoke(app, [*args[:-1], str(tmp_path)])
    assert result.exit_code == 0, result.output
    scaffolded = (tmp_path / "polku-liminka" / "polku_liminka.py").read_text(encoding="utf-8")
    final = (GUIDE_EXAMPLE / "polku_liminka.py").read_text(encoding="utf-8")
    added = [
        line[1:].strip()
        for line in difflib.unified_diff(scaffolded.splitlines(), final.splitlines(), lineterm="")
        if line.startswith("+") and not line.startswith("+++") and line[1:].strip()
    ]
    told = "\n".join(code_blocks("python")) + GUIDE_SECTION
    for line in added:
        assert line in told, f"the guide never tells the reader to write: {line}"
    # and the scaffold's own tests pass as created (tests/test_plugin_scaffold.py runs them)
    assert (tmp_path / "polku-liminka" / "tests" / "test_polku_liminka.py").exists()


def test_the_guides_try_commands_show_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.plugins
    from engine.settings import get_settings

    runner = CliRunner()
    tries = [shlex.split(" ".join(ln.rstrip("\\").strip() for ln in b.splitlines()))[1:]
             for b in code_blocks("sh") if "plugins try" in b]  # fmt: skip
    assert len(tries) == 3
    # the guide's module, loaded as if installed (as its step 2 does)
    # (only these: a copy installed from the guide must not load twice)
    loaded = (*engine.plugins.BUILTIN_PLUGINS, "tests.plugin_guide.polku_liminka")
    monkeypatch.setattr(engine.plugins, "BUILTIN_PLUGINS", loaded)
    monkeypatch.setenv("POLKU_PLUGINS", ",".join(loaded))
    get_settings.cache_clear()
    try:
        options = runner.invoke(app, tries[0])
        transition = runner.invoke(app, tries[1])
        muhos = runner.invoke(app, tries[2])
    finally:
        get_settings.cache_clear()
    assert options.exit_code == 0, options.output
    assert "Social rehabilitation, Pohjois-Pohjanmaan hyvinvointialue: no" in options.output
    assert "Work trial, Oulun seudun työllisyysalue: no" in options.output
    assert transition.exit_code == 0, transition.output
    assert "refer: individual_work -> referred: denied" in transition.output
    assert (
        "deny       liminka_birth_date_before_referral: Record the birth date before referring. "
        "[Limingan kunnanhallitus 12.1.2026 § 8 (kuvitteellinen)]"
    ) in transition.output
    assert "Workshop, Liminka: no" in muhos.output
    assert "liminka_workshop_residents_only: The service is only for residents of Liminka." in (
        muhos.output
    )
