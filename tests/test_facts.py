"""Client facts: typed definitions, dated records, the facts as of a day, corrections, clearing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from engine.errors import InputRequired, NotFound
from engine.facts import FactDefinition
from engine.runtime import Runtime

NewClient = Callable[..., tuple[int, int]]

STATUS = FactDefinition(
    "status",
    "choice",
    {"fi": "Tila", "sv": "Status", "en": "Status"},
    choices={"a": {"fi": "A", "sv": "A", "en": "A"}, "b": {"fi": "B", "sv": "B", "en": "B"}},
)


@pytest.mark.parametrize(
    ("kind", "given", "stored", "typed"),
    [
        ("bool", True, "true", True),
        ("bool", "Kyllä", "true", True),
        ("bool", "false", "false", False),
        ("int", "12", "12", 12),
        ("int", 0, "0", 0),
        ("date", "2025-03-01", "2025-03-01", date(2025, 3, 1)),
        ("date", date(2025, 3, 1), "2025-03-01", date(2025, 3, 1)),
        ("text", "  paja-1 ", "paja-1", "paja-1"),
    ],
)
def test_values_are_cleaned_and_typed(kind: str, given: object, stored: str, typed: object) -> None:
    definition = FactDefinition("x", kind, {"fi": "x", "sv": "x", "en": "x"})  # type: ignore[arg-type]
    assert definition.clean(given) == stored
    assert definition.parse(stored) == typed


@pytest.mark.parametrize(
    ("kind", "given"),
    [
        ("bool", "maybe"),
        ("int", "12.5"),
        ("int", -1),
        ("int", True),
        ("date", "1.3.2025"),
        ("text", ""),
        ("text", "x" * 501),
    ],
)
def test_wrong_values_are_refused(kind: str, given: object) -> None:
    definition = FactDefinition("x", kind, {"fi": "x", "sv": "x", "en": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        definition.clean(given)


def test_choice_values_and_definition_checks() -> None:
    assert STATUS.clean("b") == "b"
    with pytest.raises(ValueError, match="one of: a, b"):
        STATUS.clean("c")
    with pytest.raises(ValueError, match="identifier"):
        FactDefinition("Bad Key", "bool", {"fi": "x"})
    with pytest.raises(ValueError, match="choices"):
        FactDefinition("x", "text", {"fi": "x"}, choices={"a": {"fi": "A"}})


def test_record_and_read_as_of_a_day(runtime: Runtime, new_client: NewClient) -> None:
    client, _ = new_client()
    with runtime.db.write() as session:
        runtime.facts.record(
            session, client_id=client, key="benefit", value="none", valid_from=date(2025, 1, 1)
        )
        runtime.facts.record(
            session,
            client_id=client,
            key="benefit",
            value="labour_market_subsidy",
            valid_from=date(2025, 6, 1),
        )
        runtime.facts.record(
            session,
            client_id=client,
            key="unemployed_since",
            value="2024-05-01",
            valid_from=date(2025, 1, 1),
        )
    with runtime.db.read() as session:
        before = runtime.facts.current(session, client, as_of=date(2024, 12, 31))
        spring = runtime.facts.current(session, client, as_of=date(2025, 5, 31))
        summer = runtime.facts.current(session, client, as_of=date(2025, 6, 1))
    assert dict(before) == {}
    assert spring.value("benefit") == "none"
    assert summer.value("benefit") == "labour_market_subsidy"
    assert summer.value("unemployed_since") == date(2024, 5, 1)
    assert summer["benefit"].valid_from == date(2025, 6, 1)
    assert summer.label("benefit", "sv") == "Huvudsaklig förmån"


def test_a_correction_on_the_same_day_wins_and_history_keeps_both(
    runtime: Runtime, new_client: NewClient
) -> None:
    client, _ = new_client()
    day = date(2025, 2, 1)
    with runtime.db.write() as session:
        runtime.facts.record(
            session,
            client_id=client,
            key="activation_plan",
            value=False,
            valid_from=day,
            at=datetime(2025, 2, 1, 9, tzinfo=UTC),
        )
        runtime.facts.record(
            session,
            client_id=client,
            key="activation_plan",
            value=True,
            valid_from=day,
            at=datetime(2025, 2, 1, 15, tzinfo=UTC),
        )
    with runtime.db.read() as session:
        assert runtime.facts.current(session, client, as_of=day).value("activation_plan") is True
        history = runtime.facts.history(session, client)
    assert [row.value for row in history] == ["false", "true"]


def test_none_clears_a_fact_from_its_date(runtime: Runtime, new_client: NewClient) -> None:
    client, _ = new_client()
    with runtime.db.write() as session:
        runtime.facts.record(
            session, client_id=client, key="work_trial_months", value=3, valid_from=date(2025, 1, 1)
        )
        runtime.facts.record(
            session,
            client_id=client,
            key="work_trial_months",
            value=None,
            valid_from=date(2025, 3, 1),
        )
    with runtime.db.read() as session:
        assert (
            runtime.facts.current(session, client, as_of=date(2025, 2, 1)).value(
                "work_trial_months"
            )
            == 3
        )
        assert "work_trial_months" not in runtime.facts.current(
            session, client, as_of=date(2025, 3, 1)
        )


def test_unknown_key_wrong_value_unknown_client(runtime: Runtime, new_client: NewClient) -> None:
    client, _ = new_client()
    with pytest.raises(InputRequired) as unknown, runtime.db.write() as session:
        runtime.facts.record(session, client_id=client, key="shoe_size", value=42)
    assert unknown.value.field == "key"
    assert "benefit" in unknown.value.allowed
    with pytest.raises(InputRequired) as wrong, runtime.db.write() as session:
        runtime.facts.record(session, client_id=client, key="unemployed_since", value="eilen")
    assert wrong.value.field == "value"
    assert "YYYY-MM-DD" in str(wrong.value)
    with pytest.raises(NotFound), runtime.db.write() as session:
        runtime.facts.record(session, client_id=999_999, key="activation_plan", value=True)
    with pytest.raises(NotFound), runtime.db.read() as session:
        runtime.facts.current(session, 999_999)


def test_facts_no_plugin_defines_are_left_out(
    make_runtime: Callable[..., Runtime], runtime: Runtime, new_client: NewClient
) -> None:
    client, _ = new_client()
    with runtime.db.write() as session:
        runtime.facts.record(session, client_id=client, key="activation_plan", value=True)
    without_national = make_runtime(plugin_manager=None, plugins="lappi")
    with without_national.db.read() as session:
        assert dict(without_national.facts.current(session, client)) == {}
        assert [row.key for row in without_national.facts.history(session, client)] == [
            "activation_plan"
        ]


def test_what_was_known_before_a_later_correction(runtime: Runtime, new_client: NewClient) -> None:
    """A backdated correction changes what holds, not what was known before it was made."""
    from datetime import UTC, datetime

    client, _ = new_client()
    first = datetime(2025, 3, 1, 9, tzinfo=UTC)
    later = datetime(2025, 6, 1, 9, tzinfo=UTC)
    with runtime.db.write() as session:
        runtime.facts.record(
            session,
            client_id=client,
            key="benefit",
            value="none",
            valid_from=date(2025, 1, 1),
            at=first,
        )
        runtime.facts.record(  # a correction made in June, valid from January
            session,
            client_id=client,
            key="benefit",
            value="social_assistance",
            valid_from=date(2025, 1, 1),
            at=later,
        )
    with runtime.db.read() as session:
        now_known = runtime.facts.current_rows(session, client, as_of=date(2025, 3, 1))
        then_known = runtime.facts.current_rows(
            session, client, as_of=date(2025, 3, 1), known_at=datetime(2025, 3, 2, tzinfo=UTC)
        )
    assert [r.value for r in now_known] == ["social_assistance"]
    assert [r.value for r in then_known] == ["none"]
