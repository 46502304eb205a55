"""Pathway files: every kind of mistake is a clear error naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.guards import core_registry
from engine.pathway import PathwayError, diagram, load_files
from engine.settings import ROOT

GOOD = """\
pathway: tiny
version: 1
title: {fi: Pieni, sv: Liten, en: Tiny}
initial: a
states:
  a: {label: {fi: A, sv: A, en: A}}
  b: {label: {fi: B, sv: B, en: B}, final: true}
transitions:
  - trigger: go
    label: {fi: Mene, sv: Gå, en: Go}
    source: a
    dest: b
    guards: [participation_consent]
"""

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    _ok, problems = load_files([path], core_registry().names())
    return [str(p) for p in problems]


def test_good_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    pathways, problems = load_files([path], core_registry().names())
    assert problems == []
    assert [p.key for p in pathways] == ["tiny"]


def test_an_unchanged_file_is_parsed_once_and_a_changed_one_afresh(tmp_path: Path) -> None:
    """Runtimes share the parse of an unchanged file (engine.pathway.load_text); an edit on disk,
    good or broken, is what the next load sees."""
    path = write(tmp_path, GOOD)
    (first,), _ = load_files([path], core_registry().names())
    (again,), _ = load_files([path], core_registry().names())
    assert again is first
    write(tmp_path, GOOD.replace("en: Tiny", "en: Small"))
    (edited,), _ = load_files([path], core_registry().names())
    assert edited is not first
    assert edited.definition.title.en == "Small"
    write(tmp_path, GOOD.replace("dest: b", "dest: nowhere"))
    assert f"{path}: transitions[0].dest: unknown state 'nowhere'" in problems_of(path)
    write(tmp_path, GOOD)
    pathways, problems = load_files([path], set())  # the same text, but no such guard now
    assert pathways == []
    assert [p.key for p in problems] == ["transitions[0].guards"]


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (("dest: b", "dest: nowhere"), "transitions[0].dest", "unknown state 'nowhere'"),
        (("source: a", "source: nowhere"), "transitions[0].source", "unknown state 'nowhere'"),
        (("initial: a", "initial: x"), "initial", "initial state 'x' is not defined"),
        (
            ("guards: [participation_consent]", "guards: [no_such_guard]"),
            "transitions[0].guards",
            "unknown guard name 'no_such_guard'",
        ),
        (("version: 1", "version: zero"), "version", "valid integer"),
        (
            ("title: {fi: Pieni, sv: Liten, en: Tiny}", "title: {fi: Pieni}"),
            "title.sv",
            "Field required",
        ),
        (
            ("    source: a\n", "    source: a\n    colour: red\n"),
            "transitions[0].colour",
            "Extra inputs",
        ),
    ],
)
def test_mistakes_name_file_and_key(
    tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    found = problems_of(path)
    assert any(p.startswith(f"{path}: {key}: ") and message in p for p in found), found


def test_missing_initial_state(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("initial: a\n", ""))
    assert any(f"{path}: initial: Field required" in p for p in problems_of(path))


def test_unreachable_state(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  b: {label", "  lonely: {label: {fi: Y, sv: Y, en: Y}, final: true}\n  b: {label"
    )
    path = write(tmp_path, text)
    assert f"{path}: states.lonely: unreachable from initial state 'a'" in problems_of(path)


def test_duplicate_trigger_from_same_source(tmp_path: Path) -> None:
    text = GOOD + (
        "  - trigger: go\n    label: {fi: M, sv: G, en: G}\n    source: a\n    dest: b\n"
    )
    path = write(tmp_path, text)
    assert any(
        p.startswith(f"{path}: transitions[1].trigger: duplicate trigger 'go' from 'a'")
        for p in problems_of(path)
    )


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("  b: {label", "  a: {label: {fi: A, sv: A, en: A}}\n  b: {label")
    path = write(tmp_path, text)
    found = problems_of(path)
    assert len(found) == 1
    assert "duplicate key 'a'" in found[0]
    assert found[0].startswith(f"{path}: line 7")


def test_bad_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("initial: a", "initial: [a"))
    found = problems_of(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}: line ")
    assert "bad YAML" in found[0]


def test_dead_end_state(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(", final: true}", "}"))
    assert f"{path}: states.b: not final, but no transition leaves it" in problems_of(path)


def test_final_state_cannot_be_left(tmp_path: Path) -> None:
    text = (
        GOOD + "  - trigger: back\n    label: {fi: T, sv: T, en: T}\n    source: b\n    dest: a\n"
    )
    path = write(tmp_path, text)
    assert any("transitions[1].source: 'b' is a final state" in p for p in problems_of(path))


def test_check_command_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD)
    result = runner.invoke(app, ["pathways", "check", str(good)])
    assert result.exit_code == 0, result.output
    bad = write(tmp_path, GOOD.replace("dest: b", "dest: nowhere"), "bad.yaml")
    result = runner.invoke(app, ["pathways", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: transitions[0].dest: unknown state 'nowhere'" in result.output


def test_shipped_pathways_are_valid() -> None:
    result = runner.invoke(app, ["pathways", "check"])
    assert result.exit_code == 0, result.output
    assert "client_journey v1" in result.output


def test_diagram_command_prints_mermaid() -> None:
    result = runner.invoke(app, ["pathways", "diagram", "client_journey", "--language", "fi"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stateDiagram-v2\n")
    assert "[*] --> outreach" in result.output
    assert 'state "Etsivä kontakti" as outreach' in result.output
    assert "outreach --> engaged : Kiinnittyy toimintaan" in result.output
    assert "closed --> [*]" in result.output


def test_diagram_unknown_pathway_is_an_error() -> None:
    result = runner.invoke(app, ["pathways", "diagram", "nope"])
    assert result.exit_code == 1
    assert "client_journey" in result.output


def test_diagram_highlights_current_state() -> None:
    pathways, _ = load_files([ROOT / "pathways" / "client_journey.yaml"], core_registry().names())
    text = diagram(pathways[0], "en", current="engaged")
    assert text.rstrip().endswith("class engaged current")


def test_loading_error_raises_with_all_problems(tmp_path: Path) -> None:
    from engine.hookspecs import hookimpl
    from engine.runtime import load_pathways
    from engine.testing import plugin_manager_with

    bad = write(tmp_path, GOOD.replace("dest: b", "dest: nowhere"))

    class BrokenPathway:
        @hookimpl
        def polku_pathway_files(self) -> list[Path]:
            return [bad]

    pm = plugin_manager_with(BrokenPathway())
    with pytest.raises(PathwayError) as info:
        load_pathways(pm, core_registry())
    assert f"{bad}: transitions[0].dest" in str(info.value)


def test_diagram_groups_moves_from_many_states() -> None:
    pathways, _ = load_files([ROOT / "pathways" / "client_journey.yaml"], core_registry().names())
    text = diagram(pathways[0], "fi")
    pause = [line for line in text.splitlines() if line.endswith(": Tauko")]
    assert len(pause) == 1
    assert pause[0].strip().startswith("__group_")
    assert "as __group_" in text
    assert "mistä tahansa 7 tilasta" in text
    assert "takaisin edelliseen tilaan" in text
    # the main line is still drawn state to state
    assert "    outreach --> engaged : Kiinnittyy toimintaan" in text
    ungrouped = diagram(pathways[0], "fi", group_from=99)
    assert len([ln for ln in ungrouped.splitlines() if ln.endswith(": Tauko")]) == 7
