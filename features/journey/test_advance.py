"""Steps for features/journey/advance.feature."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from engine.errors import Conflict, GuardRejected, InputRequired, InvalidTransition, PolkuError
from engine.models import Client
from engine.runtime import Runtime
from engine.testing import make_client, ready_for_goal_setting

scenarios("advance.feature")

MUNICIPALITIES = {"Kittilä": "261", "Posio": "614", "Raahe": "678"}


class Move:
    """What happened to the coach's last move: the event, or the refusal."""

    def __init__(self) -> None:
        self.error: PolkuError | None = None


@pytest.fixture
def move() -> Move:
    return Move()


@given(
    parsers.parse("a client reached through outreach in {place}, aged {age:d}"),
    target_fixture="journey_id",
)
def client_in_outreach(runtime: Runtime, place: str, age: int) -> int:
    today = runtime.clock.today()
    _client_id, journey_id = make_client(
        runtime,
        municipality_code=MUNICIPALITIES[place],
        birth_date=date(today.year - age, 1, 15),
        consent=False,
    )
    return journey_id


@given("the client has agreed to take part")
def client_agrees(runtime: Runtime, journey_id: int) -> None:
    with runtime.db.write() as session:
        _journey, client = runtime.journeys.get(session, journey_id)
        db_client = session.get(Client, client.id)
        assert db_client is not None
        db_client.participation_consent_at = runtime.clock.now()


def fire(
    runtime: Runtime,
    move: Move,
    journey_id: int,
    trigger: str,
    reason: str | None = None,
    **kw: object,
) -> None:
    move.error = None
    try:
        with runtime.db.write() as session:
            runtime.journeys.advance(
                session,
                journey_id,
                trigger,
                actor_id=None,
                reason=reason,
                **kw,  # type: ignore[arg-type]
            )
    except PolkuError as exc:
        move.error = exc


@given("the client has a goal with all five levels described")
def client_has_described_goal(runtime: Runtime, journey_id: int) -> None:
    with runtime.db.write() as session:
        ready_for_goal_setting(session, journey_id, now=runtime.clock.now())


@given(parsers.parse('the client has moved through "{triggers}"'))
def moved_through(runtime: Runtime, move: Move, journey_id: int, triggers: str) -> None:
    for trigger in triggers.split(", "):
        fire(runtime, move, journey_id, trigger)
        assert move.error is None, move.error


@when(parsers.parse('the coach moves the client with "{trigger}" without a reason'))
@when(parsers.parse('the coach moves the client with "{trigger}"'))
def coach_moves(runtime: Runtime, move: Move, journey_id: int, trigger: str) -> None:
    fire(runtime, move, journey_id, trigger)


@when(parsers.parse('the coach moves the client with "{trigger}" because "{reason}"'))
def coach_moves_with_reason(
    runtime: Runtime, move: Move, journey_id: int, trigger: str, reason: str
) -> None:
    fire(runtime, move, journey_id, trigger, reason)
    assert move.error is None, move.error


@when(parsers.parse('the coach closes the journey with the outcome "{outcome}"'))
def coach_closes(runtime: Runtime, move: Move, journey_id: int, outcome: str) -> None:
    fire(runtime, move, journey_id, "close", outcome=outcome)
    assert move.error is None, move.error


@when(
    parsers.parse('two coaches both move the client with "{trigger}" from version {version:d}'),
    target_fixture="race_results",
)
def two_coaches(runtime: Runtime, journey_id: int, trigger: str, version: int) -> list[str]:
    barrier = threading.Barrier(2)
    results: list[str] = []

    def coach() -> None:
        barrier.wait()
        try:
            with runtime.db.write() as session:
                runtime.journeys.advance(
                    session, journey_id, trigger, actor_id=None, expected_version=version
                )
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=coach) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@then(parsers.parse('the client\'s journey is at "{state}"'))
def journey_is_at(runtime: Runtime, journey_id: int, state: str) -> None:
    with runtime.db.read() as session:
        journey, _client = runtime.journeys.get(session, journey_id)
    assert journey.state == state


@then(parsers.parse('the journey history reads "{history}"'))
def history_reads(runtime: Runtime, journey_id: int, history: str) -> None:
    with runtime.db.read() as session:
        events = runtime.journeys.events(session, journey_id)
    assert " -> ".join(e.to_state for e in events) == history


@then(parsers.parse('the move is refused by the rule "{rule}"'))
def refused_by(move: Move, rule: str) -> None:
    assert isinstance(move.error, GuardRejected)
    assert [v.rule for v in move.error.denied] == [rule]


@then(parsers.parse('the coach is told in Finnish "{text}"'))
def told_in_finnish(move: Move, text: str) -> None:
    assert isinstance(move.error, GuardRejected)
    assert move.error.denied[0].text("fi") == text


@then(parsers.parse('the move is impossible and the possible moves are "{allowed}"'))
def impossible(move: Move, allowed: str) -> None:
    assert isinstance(move.error, InvalidTransition)
    assert ", ".join(move.error.allowed) == allowed


@then(parsers.parse('the coach sees that "{trigger}" waits for a rule to be met'))
def blocked_trigger(move: Move, trigger: str) -> None:
    assert isinstance(move.error, InvalidTransition)
    assert move.error.blocked == [trigger]


@then("the coach is asked for a reason")
def asked_for_reason(move: Move) -> None:
    assert isinstance(move.error, InputRequired)
    assert move.error.field == "reason"


@then("no further move is possible")
def no_further_move(runtime: Runtime, journey_id: int) -> None:
    with runtime.db.read() as session:
        journey, client = runtime.journeys.get(session, journey_id)
        assert runtime.journeys.available(session, journey, client) == []


@then("exactly one of them succeeds and the other is told someone was first")
def one_wins(race_results: list[str]) -> None:
    assert sorted(race_results) == ["conflict", "ok"]
