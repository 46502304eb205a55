"""Property: random trigger sequences keep ``state`` equal to the last event's destination and
never record a move the pathway does not allow (hypothesis stateful testing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from engine.errors import GuardRejected, InputRequired, InvalidTransition, MovedElsewhere
from engine.models import Client, Journey
from engine.runtime import Runtime
from engine.testing import make_client, ready_for_goal_setting

pytestmark = pytest.mark.slow


def test_random_trigger_sequences_keep_log_and_state_in_step(runtime: Runtime) -> None:
    pathway = runtime.pathways.latest("client_journey")
    definition = pathway.definition
    triggers = sorted({t.trigger for t in definition.transitions} | {"no_such_trigger"})
    outcomes = [*sorted(definition.outcomes), "not_an_outcome"]

    class JourneyMachine(RuleBasedStateMachine):
        @initialize(
            consent=st.sampled_from([True, True, False]), age=st.sampled_from([16, 30, 30, 70])
        )
        def open_journey(self, consent: bool, age: int) -> None:
            today = date.today()
            self.client_id, self.journey_id = make_client(
                runtime, consent=consent, birth_date=date(today.year - age, 1, 1)
            )
            self.consent, self.age = consent, age
            self.has_goal = False
            self.expected_state = definition.initial
            self.history: list[str] = [definition.initial]

        @rule(consent=st.booleans())
        def coach_records_consent(self, consent: bool) -> None:
            with runtime.db.write() as session:
                client = session.get(Client, self.client_id)
                assert client is not None
                client.participation_consent_at = datetime.now(UTC) if consent else None
            self.consent = consent

        @rule()
        def coach_describes_a_goal(self) -> None:
            with runtime.db.write() as session:
                ready_for_goal_setting(session, self.journey_id, now=runtime.clock.now())
            self.has_goal = True

        @precondition(lambda self: bool(pathway.triggers_from(self.expected_state)))
        @rule(data=st.data())
        def move_defined_here(self, data: st.DataObject) -> None:
            """A move the pathway defines from the current state (so runs get deep)."""
            trigger = data.draw(st.sampled_from(pathway.triggers_from(self.expected_state)))
            t = pathway.transition(trigger, self.expected_state)
            assert t is not None
            reason = data.draw(st.sampled_from(["Asiakkaan oma toive", "Syy", None]))
            outcome = data.draw(st.sampled_from(t.outcomes)) if t.outcomes else None
            self.check_move(trigger, reason, outcome)

        @rule(
            trigger=st.sampled_from(triggers),
            reason=st.sampled_from([None, "", "  ", "Syy"]),
            outcome=st.one_of(st.none(), st.sampled_from(outcomes)),
        )
        def any_move(self, trigger: str, reason: str | None, outcome: str | None) -> None:
            """Any trigger, reason and outcome at all: wrong ones must change nothing."""
            self.check_move(trigger, reason, outcome)

        def check_move(self, trigger: str, reason: str | None, outcome: str | None) -> None:
            expected = self.oracle(trigger, reason, outcome)
            try:
                with runtime.db.write() as session:
                    event = runtime.journeys.advance(
                        session,
                        self.journey_id,
                        trigger,
                        actor_id=None,
                        reason=reason,
                        outcome=outcome,
                    )
            except (InvalidTransition, GuardRejected, InputRequired, MovedElsewhere) as exc:
                assert expected is None, f"{trigger} from {self.expected_state} refused: {exc}"
                return
            assert expected == event.to_state, (trigger, self.expected_state, event.to_state)
            self.history.append(event.to_state)
            self.expected_state = event.to_state

        def oracle(self, trigger: str, reason: str | None, outcome: str | None) -> str | None:
            """An independent reading of the pathway file: where should ``trigger`` lead?"""
            source = self.expected_state
            found = [
                t for t in definition.transitions if t.trigger == trigger and source in t.source
            ]
            if not found:
                return None
            t = found[0]
            if t.moved_by is not None:  # only the referral loop fires it
                return None
            if t.reason == "required" and not (reason or "").strip():
                return None
            if (outcome not in t.outcomes) if t.outcomes else outcome is not None:
                return None
            if "participation_consent" in t.guards and not self.consent:
                return None
            if "working_age" in t.guards and not 15 <= self.age <= 64:
                return None
            if "gas_goals_described" in t.guards and not self.has_goal:
                return None
            if t.returns_to_previous:
                previous = self.history[-2]
                return previous if previous in t.dest else None
            return t.dest[0]

        @invariant()
        def state_is_projection_of_log(self) -> None:
            with runtime.db.read() as session:
                journey = session.get(Journey, self.journey_id)
                events = runtime.journeys.events(session, self.journey_id)
            assert journey is not None
            assert journey.state == events[-1].to_state == self.expected_state
            assert [e.seq for e in events] == list(range(1, journey.version + 1))
            for before, event in pairwise(events):
                assert event.from_state == before.to_state
                t = pathway.transition(event.trigger, event.from_state or "")
                assert t is not None, event
                assert event.to_state in t.dest, event

    run_state_machine_as_test(
        JourneyMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
