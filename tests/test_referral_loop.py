"""The client journey and its referrals move as one (issue 13, docs/referrals.md "The loop").

- a stateful property test: any interleaving of referral moves (partner, coach) and client
  journey moves (coach, any trigger) keeps the loop's invariants after every step;
- the two kinds of referral, the generic route's 409, expiry, the funnel counted from real
  referrals, and `polku db verify` reporting a mismatch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlmodel import Session, col
from typer.testing import CliRunner

from engine.access import Principal
from engine.errors import MovedElsewhere, PolkuError
from engine.integrity import verify_journeys, verify_referral_loops
from engine.models import Journey, Referral, Role
from engine.reports import funnel
from engine.runtime import Runtime
from engine.settings import get_settings
from engine.testing import make_user
from tests.referral_kit import (
    ELIGIBLE_TARGET,
    coach_principal,
    partner_service,
    send_referral,
    young_client,
)
from web.testing import UserClient

#: A second target offered to a young Kittilä client: the supporting service in these tests.
SUPPORT_TARGET = "kittila.outreach_youth_work"
REFERRAL_TRIGGERS = ("accept", "reject", "start_work", "hold", "complete", "fail")
OUTCOMES = {"complete": "goal_reached", "fail": "no_contact"}


@dataclass
class World:
    runtime: Runtime
    coach: Principal
    partner: Principal
    follow_on: int  # receiving organisation ids
    supporting: int


def build_world(runtime: Runtime) -> World:
    coach = make_user(runtime, Role.coach)
    follow_on = partner_service(runtime, "Tunturi-Lapin Ohjaamo", ELIGIBLE_TARGET)
    support = partner_service(
        runtime, "Mielenterveyspalvelut", SUPPORT_TARGET, service_type="mental_health"
    )
    partner = make_user(runtime, Role.partner, organisation_id=follow_on.organisation_id)
    assert coach.id is not None
    assert partner.id is not None
    return World(
        runtime,
        coach_principal(coach.id, coach.organisation_id),
        Principal(partner.id, Role.partner, follow_on.organisation_id),
        follow_on.organisation_id,
        support.organisation_id,
    )


def replays(runtime: Runtime, session: Session, journey_id: int) -> None:
    """The event log replays to the stored state through transitions of its pathway (read in
    the caller's transaction: one snapshot with the other invariants)."""
    journey = session.get(Journey, journey_id)
    events = runtime.journeys.events(session, journey_id)
    assert journey is not None
    assert [e.seq for e in events] == list(range(1, journey.version + 1))
    assert events[-1].to_state == journey.state
    for before, event in pairwise(events):
        assert event.from_state == before.to_state, event
        pathway = runtime.pathways.get(journey.pathway_key, event.pathway_version)
        if event.trigger != "migrate_version":
            t = pathway.transition(event.trigger, event.from_state or "")
            assert t is not None, event
            assert event.to_state in t.dest, event


# --- the property ---------------------------------------------------------------------------


def test_any_interleaving_of_referral_and_journey_moves_keeps_the_loop(runtime: Runtime) -> None:
    world = build_world(runtime)  # built once; each example gets a fresh client (a cheap reset)
    client_triggers = sorted(
        {t.trigger for t in runtime.pathways.latest("client_journey").definition.transitions}
    )
    clock = runtime.clock
    examples: list[int] = []

    class Loop(RuleBasedStateMachine):
        @initialize(working=st.booleans())
        def new_client(self, working: bool) -> None:
            self.client_id, self.journey_id = young_client(
                runtime,
                organisation_id=world.coach.organisation_id,
                care_team=(world.coach.user_id,),
                working=working,
            )
            self.referrals: list[int] = []
            examples.append(self.client_id)

        def attempt(self, move: Callable[[], object]) -> None:
            # refused moves write nothing: the invariants below prove it
            with contextlib.suppress(PolkuError):
                move()

        @rule(follow_on=st.booleans())
        def coach_sends(self, follow_on: bool) -> None:
            def send() -> None:
                self.referrals.append(
                    send_referral(
                        runtime,
                        world.coach,
                        self.client_id,
                        consent_id=None,
                        statutory_basis="1301/2014:41§",
                        target_key=ELIGIBLE_TARGET if follow_on else SUPPORT_TARGET,
                    )
                )

            self.attempt(send)

        @rule(data=st.data(), trigger=st.sampled_from(REFERRAL_TRIGGERS))
        def partner_moves(self, data: st.DataObject, trigger: str) -> None:
            if not self.referrals:
                return
            referral_id = data.draw(st.sampled_from(self.referrals))

            def move() -> None:
                with runtime.db.write() as session:
                    runtime.referrals.advance(
                        session,
                        world.partner,
                        referral_id,
                        trigger,
                        reason="Syy",
                        outcome=OUTCOMES.get(trigger),
                        now=clock.now(),
                    )

            self.attempt(move)

        @rule(data=st.data())
        def coach_cancels(self, data: st.DataObject) -> None:
            if not self.referrals:
                return
            referral_id = data.draw(st.sampled_from(self.referrals))

            def cancel() -> None:
                with runtime.db.write() as session:
                    runtime.referrals.advance(
                        session,
                        world.coach,
                        referral_id,
                        "cancel",
                        reason="Asiakas muutti",
                        now=clock.now(),
                    )

            self.attempt(cancel)

        @rule(data=st.data())
        def coach_moves_from_here(self, data: st.DataObject) -> None:
            """A move the client journey's pathway defines from its state (so runs get deep;
            refer & co. included: they must be refused)."""
            with runtime.db.read() as session:
                journey = session.get(Journey, self.journey_id)
                assert journey is not None
                pathway = runtime.journeys.pathway_of(journey)
                here = pathway.triggers_from(journey.state)
            if not here:
                return
            trigger = data.draw(st.sampled_from(here))
            t = pathway.transition(trigger, journey.state)
            assert t is not None
            self.coach_moves_the_journey(trigger, t.outcomes[0] if t.outcomes else None)

        @rule(trigger=st.sampled_from(client_triggers), outcome=st.sampled_from([None, "other"]))
        def coach_moves_the_journey(self, trigger: str, outcome: str | None) -> None:
            def move() -> None:
                with runtime.db.write() as session:
                    runtime.journeys.advance(
                        session,
                        self.journey_id,
                        trigger,
                        actor_id=world.coach.user_id,
                        reason="Syy",
                        outcome=outcome,
                    )

            self.attempt(move)

        @rule()
        def time_passes_and_referrals_expire(self) -> None:
            with runtime.db.write() as session:
                runtime.referrals.expire(session, clock.now() + timedelta(days=30))

        @invariant()
        def the_loop_holds(self) -> None:
            with runtime.db.read() as session:
                assert verify_referral_loops(session, self.client_id) == []
                journeys = session.execute(
                    select(col(Journey.id)).where(col(Journey.client_id) == self.client_id)
                ).scalars()
                for journey_id in list(journeys):
                    replays(runtime, session, journey_id)

    run_state_machine_as_test(
        Loop,
        settings=settings(
            max_examples=100,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    assert len(examples) >= 100
    with runtime.db.read() as session:
        assert verify_journeys(session) == []


# --- the two kinds, one by one ----------------------------------------------------------------


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def _client(world: World, working: bool = True) -> tuple[int, int]:
    return young_client(
        world.runtime,
        organisation_id=world.coach.organisation_id,
        care_team=(world.coach.user_id,),
        working=working,
    )


def _state(runtime: Runtime, journey_id: int) -> str:
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        return journey.state


def _send(world: World, client_id: int, target: str = ELIGIBLE_TARGET) -> int:
    return send_referral(
        world.runtime,
        world.coach,
        client_id,
        consent_id=None,
        statutory_basis="1301/2014:41§",
        target_key=target,
    )


def _partner(
    world: World,
    referral_id: int,
    trigger: str,
    *,
    reason: str | None = None,
    outcome: str | None = None,
) -> None:
    with world.runtime.db.write() as session:
        world.runtime.referrals.advance(
            session,
            world.partner,
            referral_id,
            trigger,
            reason=reason,
            outcome=outcome,
            now=world.runtime.clock.now(),
        )


def test_a_supporting_referral_never_moves_the_journey_from_any_state(world: World) -> None:
    runtime = world.runtime
    client_id, journey_id = _client(world, working=False)
    assert _state(runtime, journey_id) == "outreach"
    first = _send(world, client_id, SUPPORT_TARGET)
    second = _send(world, client_id, SUPPORT_TARGET)  # several at a time
    with runtime.db.read() as session:
        kinds = session.execute(
            select(col(Referral.kind)).where(col(Referral.id).in_([first, second]))
        ).scalars()
        assert set(kinds) == {"supporting"}
    assert _state(runtime, journey_id) == "outreach"


def test_a_follow_on_referral_from_a_state_that_cannot_refer_is_refused_with_the_reason(
    world: World, api_as: Callable[..., UserClient]
) -> None:
    runtime = world.runtime
    coach = api_as(Role.coach)
    client_id, journey_id = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,), working=False
    )
    response = coach.post(
        f"/api/clients/{client_id}/referrals",
        json={
            "target_key": ELIGIBLE_TARGET,
            "fields": ["name"],
            "statutory_basis": "1301/2014:41§",
        },
    )
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "referral_blocked"
    sent = coach.post(
        f"/api/clients/{client_id}/referrals",
        json={"target_key": SUPPORT_TARGET, "fields": ["name"], "statutory_basis": "1301/2014:41§"},
    )
    assert sent.status_code == 201
    assert sent.json()["kind"] == "supporting"
    assert body["client_journey_state"] == "outreach"
    assert "individual_work" in body["possible_from"]
    assert "outreach" in body["message"]
    with runtime.db.read() as session:
        kinds = session.execute(select(col(Referral.kind))).scalars().all()
    assert kinds == ["supporting"]  # the refused follow-on one wrote nothing
    assert _state(runtime, journey_id) == "outreach"


def test_the_follow_on_loop_moves_the_journey_step_by_step(world: World) -> None:
    runtime = world.runtime
    client_id, journey_id = _client(world)
    referral_id = _send(world, client_id)
    assert _state(runtime, journey_id) == "referred"
    _partner(world, referral_id, "accept")
    assert _state(runtime, journey_id) == "referred"
    _partner(world, referral_id, "start_work")
    assert _state(runtime, journey_id) == "on_pathway"
    _partner(world, referral_id, "hold", reason="Sairausloma")
    assert _state(runtime, journey_id) == "on_pathway"
    _partner(world, referral_id, "start_work")
    _partner(world, referral_id, "complete", outcome="goal_reached")
    assert _state(runtime, journey_id) == "follow_on_completed"
    # closing the journey with an outcome is the coach's move
    with runtime.db.write() as session:
        runtime.journeys.advance(
            session, journey_id, "close", actor_id=world.coach.user_id, outcome="studies"
        )
    assert _state(runtime, journey_id) == "closed"


def test_a_cancelled_pathway_returns_the_journey_with_the_reason(world: World) -> None:
    runtime = world.runtime
    client_id, journey_id = _client(world)
    referral_id = _send(world, client_id)
    _partner(world, referral_id, "accept")
    _partner(world, referral_id, "start_work")
    with runtime.db.write() as session:
        runtime.referrals.advance(
            session, world.coach, referral_id, "cancel", reason="Muutti", now=runtime.clock.now()
        )
    assert _state(runtime, journey_id) == "individual_work"
    with runtime.db.read() as session:
        last = runtime.journeys.events(session, journey_id)[-1]
    assert (last.trigger, last.reason) == ("referral_returned", "Muutti")


def test_expiry_returns_the_journey_and_the_expired_referral_cannot_be_accepted(
    world: World,
) -> None:
    runtime = world.runtime
    client_id, journey_id = _client(world)
    referral_id = _send(world, client_id)
    with runtime.db.write() as session:
        assert runtime.referrals.expire(session, runtime.clock.now() + timedelta(days=8)) == [
            referral_id
        ]
    assert _state(runtime, journey_id) == "individual_work"
    with runtime.db.read() as session:
        last = runtime.journeys.events(session, journey_id)[-1]
    assert last.trigger == "referral_returned"
    assert last.reason is not None
    assert "vanheni" in last.reason
    with pytest.raises(PolkuError) as refused:
        _partner(world, referral_id, "accept")
    assert refused.value.as_dict()["allowed"] == ["reject", "cancel"]
    # a new follow-on referral can be sent, and the old one's rejection leaves it alone
    second = _send(world, client_id)
    _partner(world, referral_id, "reject", reason="Myöhässä")
    assert _state(runtime, journey_id) == "referred"
    with runtime.db.read() as session:
        assert verify_referral_loops(session) == []
    assert second != referral_id


def test_the_generic_route_and_the_page_refuse_refer_naming_the_referral_route(
    world: World, api_as: Callable[..., UserClient]
) -> None:
    runtime = world.runtime
    coach = api_as(Role.coach)
    client_id, journey_id = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    for trigger in ("refer", "start_follow_on"):
        response = coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": trigger})
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "moved_elsewhere"
        assert "/api/clients/{client_id}/referrals" in response.json()["message"]
    page = coach.post(
        f"/clients/{client_id}/advance", data={"trigger": "refer", "expected_version": ""}
    )
    assert page.status_code == 409
    assert f'href="/clients/{client_id}/referrals"' in page.text
    assert _state(runtime, journey_id) == "individual_work"
    # the client page offers it only as a step that happens through a referral
    shown = coach.get(f"/clients/{client_id}")
    assert 'name="trigger" value="refer"' not in shown.text
    assert f'href="/clients/{client_id}/referrals"' in shown.text


# --- the funnel counts referred / on pathway only from real referrals -----------------------


def test_the_funnel_counts_referred_and_on_pathway_only_from_real_referrals(
    world: World,
) -> None:
    runtime = world.runtime
    # before this change: a journey on version 2 referred with the generic `refer`, no referral
    _legacy_client, legacy_journey = _client(world)
    with runtime.db.write() as session:
        runtime.journeys.migrate(session, legacy_journey, to_version=2, actor_id=None)
        runtime.journeys.advance(session, legacy_journey, "refer", actor_id=None)
        runtime.journeys.advance(session, legacy_journey, "start_follow_on", actor_id=None)
    assert _state(runtime, legacy_journey) == "on_pathway"
    pathway = runtime.pathways.latest("client_journey")

    def counts() -> tuple[int, int, int]:
        with runtime.db.read() as session:
            c = funnel(session, pathway).counts
        return c["active"], c["referred"], c["on_pathway"]

    assert counts() == (1, 0, 0)
    client_id, _journey = _client(world)
    referral_id = _send(world, client_id)
    assert counts() == (2, 1, 0)
    _partner(world, referral_id, "accept")
    assert counts() == (2, 1, 0)
    _partner(world, referral_id, "start_work")
    assert counts() == (2, 1, 1)
    # a supporting service counts as neither
    other, _ = _client(world)
    _send(world, other, SUPPORT_TARGET)
    assert counts() == (3, 1, 1)


# --- polku db verify reports a mismatch ---------------------------------------------------------


def test_db_verify_reports_a_journey_that_disagrees_with_its_referrals(
    world: World, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from engine.cli import app

    runtime = world.runtime
    monkeypatch.setenv("POLKU_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("POLKU_ENVIRONMENT", "test")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    cli = CliRunner()
    client_id, journey_id = _client(world)
    _send(world, client_id)
    ok = cli.invoke(app, ["db", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "follow-on referrals" in ok.output
    # the client journey moved back on its own (as only a broken import could do)
    with runtime.db.write() as session:
        runtime.journeys.advance(
            session, journey_id, "referral_returned", actor_id=None, reason="x", via="referral"
        )
    broken = cli.invoke(app, ["db", "verify"])
    assert broken.exit_code == 1
    assert f"journey {journey_id}: client journey in 'individual_work'" in broken.output
    with runtime.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM referral")).scalar_one() == 1
    # asked about one client (the property test's invariant), only that client's loop is read
    sound_client, _sound_journey = _client(world)
    _send(world, sound_client)
    with runtime.db.read() as session:
        [mismatch] = verify_referral_loops(session, client_id)
        assert mismatch.journey_id == journey_id
        assert verify_referral_loops(session, sound_client) == []
        assert [m.journey_id for m in verify_referral_loops(session)] == [journey_id]


def test_refer_cannot_be_fired_on_its_own_in_the_engine_either(world: World) -> None:
    _client_id, journey_id = _client(world)
    with world.runtime.db.write() as session, pytest.raises(MovedElsewhere):
        world.runtime.journeys.advance(session, journey_id, "refer", actor_id=None)


# --- the statutory basis is chosen from the plugins' list ---------------------------------------


def test_a_statutory_basis_comes_from_the_plugins_list_with_law_reference_and_dates(
    world: World, api_as: Callable[..., UserClient]
) -> None:
    runtime = world.runtime
    valid = runtime.statutory_bases.valid_on(runtime.clock.today())
    assert {b.code for b in valid} >= {"1301/2014:35§", "1301/2014:41§"}
    assert all(b.law_reference and b.valid_from for b in valid)
    coach = api_as(Role.coach)
    client_id, _ = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    body = {"target_key": ELIGIBLE_TARGET, "fields": ["name"]}
    for typed in ("asdf", "1301/2014:99§"):
        refused = coach.post(
            f"/api/clients/{client_id}/referrals", json=body | {"statutory_basis": typed}
        )
        assert refused.status_code == 422
        assert refused.json()["field"] == "statutory_basis"
        assert "1301/2014:41§" in refused.json()["allowed"]
    page = coach.get(f"/clients/{client_id}/referrals").text
    assert '<select id="statutory_basis" name="statutory_basis">' in page
    assert "Sosiaalihuoltolaki 1301/2014 41 §" in page
    sent = coach.post(
        f"/api/clients/{client_id}/referrals", json=body | {"statutory_basis": "1301/2014:41§"}
    )
    assert sent.status_code == 201, sent.text
