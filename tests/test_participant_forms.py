"""The participant form file as data: checked at load with problems naming the file and the key;
the answers' rules; the long-term unemployment rule; filled forms are append-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine.clock import FrozenClock
from engine.errors import InputRequired
from engine.participant_forms import DEFAULT_FORM, FORMS_DIR, FormError, load_forms
from engine.runtime import Runtime
from tests import esf_kit

GOOD = (FORMS_DIR / f"{DEFAULT_FORM}.yaml").read_text(encoding="utf-8")


def broken(tmp_path: Path, text_: str) -> FormError:
    (tmp_path / "broken.yaml").write_text(text_, encoding="utf-8")
    with pytest.raises(FormError) as caught:
        load_forms(tmp_path)
    return caught.value


def test_the_shipped_file_loads_with_three_forms() -> None:
    form_file = load_forms()[DEFAULT_FORM]
    assert [len(form_file.form(k).items) for k in ("entry", "exit", "follow_up")] == [11, 1, 1]
    assert all(i.why["fi"] for k in ("entry", "exit") for i in form_file.form(k).items)
    assert "declined" in form_file.form("entry").item("gender").choices()


def test_problems_name_the_file_and_the_key(tmp_path: Path) -> None:
    problem = broken(tmp_path, GOOD.replace("kind: yes_no", "kind: maybe", 1))
    assert "broken.yaml: forms.entry.items[5].kind" in str(problem)
    wrong = "only_if: {labour_market_status: retired}"
    problem = broken(tmp_path, GOOD.replace("only_if: {labour_market_status: unemployed}", wrong))
    assert (
        "broken.yaml: forms.entry.items[3].only_if: labour_market_status has no 'retired'"
        in str(problem)
    )
    problem = broken(tmp_path, GOOD.replace("  exit:\n", "  exit:\n  exit:\n", 1))
    assert "broken.yaml: line" in str(problem)
    assert "duplicate key 'exit'" in str(problem)
    problem = broken(tmp_path, GOOD.replace("  months: 12\n", "", 1))
    assert "broken.yaml: long_term_unemployment.months" in str(problem)


def test_an_unchanged_form_file_is_parsed_once_and_an_edited_one_afresh(tmp_path: Path) -> None:
    (tmp_path / "forms.yaml").write_text(GOOD, encoding="utf-8")
    first = load_forms(tmp_path)[DEFAULT_FORM].definition
    assert load_forms(tmp_path)[DEFAULT_FORM].definition is first
    edit = GOOD.replace("  months: 12\n", "  months: 6\n", 1)
    (tmp_path / "forms.yaml").write_text(edit, encoding="utf-8")
    edited = load_forms(tmp_path)[DEFAULT_FORM]
    assert edited.long_term.months == 6
    assert first.long_term_unemployment.months == 12


def test_answers_are_checked_against_the_items() -> None:
    form_file = load_forms()[DEFAULT_FORM]
    assert form_file.check_answers("entry", {"gender": "", "rural": "no"}) == {"rural": "no"}
    with pytest.raises(InputRequired) as caught:
        form_file.check_answers("entry", {"rural": "declined"})  # rural is not sensitive
    assert caught.value.field == "rural"
    with pytest.raises(InputRequired):
        form_file.check_answers("entry", {"shoe_size": "44"})
    with pytest.raises(InputRequired):
        form_file.check_answers("entry", {"labour_market_status": "unemployed",
                                          "unemployed_since": "31.12.2025"})  # fmt: skip
    assert form_file.check_answers("exit", {"situation": ["employed", "job_searching"]}) == {
        "situation": ["job_searching", "employed"]
    }


@pytest.mark.parametrize(
    ("since", "entered", "age", "expected"),
    [
        (date(2025, 1, 10), date(2026, 1, 10), 30, False),  # exactly 12 months: not more
        (date(2025, 1, 9), date(2026, 1, 10), 30, True),
        (date(2025, 7, 9), date(2026, 1, 10), 24, True),  # young: more than 6 months
        (date(2025, 7, 10), date(2026, 1, 10), 24, False),
        (date(2025, 7, 9), date(2026, 1, 10), 25, False),  # 25: the adult rule
        (date(2025, 7, 9), date(2026, 1, 10), None, False),  # age unknown: the adult rule
    ],
)
def test_long_term_unemployment_rule(
    since: date, entered: date, age: int | None, expected: bool
) -> None:
    rule = load_forms()[DEFAULT_FORM].long_term
    assert rule.applies(unemployed_since=since, entered_on=entered, age=age) is expected
    assert "12 months" in rule.source


def test_filled_forms_are_append_only(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    esf_kit.build(runtime)
    for statement in (
        "UPDATE participant_form SET answers = '{}'",
        "DELETE FROM participant_form",
    ):
        with pytest.raises(DatabaseError), runtime.db.write() as session:
            session.execute(text(statement))
