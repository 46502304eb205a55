"""Steps shared by the plugin features: a client somewhere, the coach's view of the referral
options on a day, recorded facts, and what the coach is told. State passes through
``target_fixture``: ``runtime`` (a step may swap in another one), ``client``, ``options``
(by Finnish label) and ``checked`` (the option a Then step looked at)."""

from __future__ import annotations

from datetime import date

import pytest
from pytest_bdd import given, parsers, then, when

from engine import ReferralOption
from engine.runtime import Runtime
from engine.testing import make_client, record_facts, referral_options_of


@pytest.fixture(autouse=True)
def _every_backend(database_url: str) -> None:
    """Steps ask for ``runtime`` only while running; naming the parametrised database here
    makes every scenario run on SQLite and, with POLKU_TEST_DATABASE_URL, on PostgreSQL."""


def _day(text: str) -> date:
    return date.fromisoformat(text)


@given(parsers.parse("a client in {place} born on {born}"), target_fixture="client")
def a_client(runtime: Runtime, place: str, born: str) -> int:
    [code] = [c for c, m in runtime.municipalities.items() if m.name["fi"] == place]
    client, _journey = make_client(
        runtime, municipality_code=code, birth_date=_day(born), last_name="Virtaperä"
    )
    return client


@given(parsers.parse("the coach has recorded these facts as of {day}:"))
def recorded_facts(runtime: Runtime, client: int, day: str, datatable: list[list[str]]) -> None:
    """Facts by their Finnish label, choices by their Finnish label too (as the coach sees
    them); yes/no as kyllä/ei."""
    by_label = {d.label["fi"]: d for d in runtime.facts.definitions.values()}
    values: dict[str, object] = {}
    for label, text in datatable[1:]:
        definition = by_label[label]
        choices = {c["fi"]: key for key, c in definition.choices.items()}
        values[definition.key] = choices.get(text, text)
    record_facts(runtime, client, valid_from=_day(day), **values)


@when(parsers.parse("the coach looks at the referral options on {day}"), target_fixture="options")
def look_at_options(runtime: Runtime, client: int, day: str) -> dict[str, ReferralOption]:
    found = referral_options_of(runtime, client, today=_day(day)).values()
    by_label = {o.target.label["fi"]: o for o in found}
    assert len(by_label) == len(found), "two options with the same label would confuse the coach"
    return by_label


@then(parsers.parse('"{label}" is open to the client'), target_fixture="checked")
def is_open(options: dict[str, ReferralOption], label: str) -> ReferralOption:
    option = options[label]
    assert option.eligible, [v.text("fi") for v in option.eligibility.denied]
    return option


@then(parsers.parse('"{label}" is blocked because "{reason}"'), target_fixture="checked")
def is_blocked(options: dict[str, ReferralOption], label: str, reason: str) -> ReferralOption:
    option = options[label]
    assert not option.eligible
    assert reason in [v.text("fi") for v in option.eligibility.denied]
    return option


@then(parsers.parse('the legal source given is "{source}"'))
def legal_source(checked: ReferralOption, source: str) -> None:
    shown = checked.eligibility.denied if not checked.eligible else checked.eligibility.verdicts
    assert source in [v.legal_source for v in shown]


@then(parsers.parse('the rule "{rule}" was not asked'))
def not_asked(checked: ReferralOption, rule: str) -> None:
    assert rule not in {v.rule for v in checked.eligibility.verdicts}


@then(parsers.parse('the rule "{rule}" allows "{label}"'))
def rule_allows(options: dict[str, ReferralOption], rule: str, label: str) -> None:
    assert {v.rule: v.allowed for v in options[label].eligibility.verdicts}[rule] is True
