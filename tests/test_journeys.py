"""advance(), available triggers, guards, plugin verdicts, reasons, outcomes, versions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from engine.errors import (
    Conflict,
    GuardRejected,
    InputRequired,
    InvalidTransition,
    MovedElsewhere,
    NotFound,
)
from engine.guards import GuardContext, Verdict
from engine.hookspecs import hookimpl
from engine.integrity import verify_journeys
from engine.models import Journey, JourneyEvent
from engine.runtime import Runtime
from engine.testing import plugin_manager_with, ready_for_goal_setting
from engine.views import EventView

NewClient = Callable[..., tuple[int, int]]


def advance(runtime: Runtime, journey_id: int, trigger: str, **kwargs: Any) -> EventView:
    kwargs.setdefault("actor_id", None)
    with runtime.db.write() as session:
        return runtime.journeys.advance(session, journey_id, trigger, **kwargs)


def state_of(runtime: Runtime, journey_id: int) -> tuple[str, int]:
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        return journey.state, journey.version


def events_of(runtime: Runtime, journey_id: int) -> list[JourneyEvent]:
    with runtime.db.read() as session:
        return runtime.journeys.events(session, journey_id)


def walk(runtime: Runtime, journey_id: int, *triggers: str) -> None:
    for trigger in triggers:
        if trigger == "set_goals":
            with runtime.db.write() as session:
                ready_for_goal_setting(session, journey_id, now=runtime.clock.now())
        reason = "syy" if trigger in {"pause", "drop_out", "referral_returned"} else None
        advance(runtime, journey_id, trigger, reason=reason)


def test_start_writes_first_event(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    assert state_of(runtime, jid) == ("outreach", 1)
    [event] = events_of(runtime, jid)
    assert (event.seq, event.trigger, event.from_state, event.to_state) == (
        1,
        "start",
        None,
        "outreach",
    )


def test_advance_moves_and_logs(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    event = advance(runtime, jid, "engage", actor_id=None, expected_version=1)
    assert (event.from_state, event.to_state, event.seq) == ("outreach", "engaged", 2)
    assert state_of(runtime, jid) == ("engaged", 2)
    stored = events_of(runtime, jid)[-1]
    assert stored.id == event.id
    assert {v["rule"]: v["allowed"] for v in stored.verdicts} == {
        "participation_consent": True,
        "working_age": True,
    }


def test_invalid_trigger_names_allowed_ones(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    with pytest.raises(InvalidTransition) as info:
        advance(runtime, jid, "finish_group_work")
    assert info.value.state == "outreach"
    assert info.value.allowed == ["engage", "decline", "close"]
    assert "allowed now: engage, decline, close" in str(info.value)
    assert state_of(runtime, jid) == ("outreach", 1)
    assert len(events_of(runtime, jid)) == 1


def test_guard_rejection_gives_every_reason(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client(consent=False, birth_date=date(1940, 1, 1))
    with pytest.raises(GuardRejected) as info:
        advance(runtime, jid, "engage")
    assert [v.rule for v in info.value.denied] == ["participation_consent", "working_age"]
    assert "suostumusta" in info.value.denied[0].text("fi")
    assert state_of(runtime, jid) == ("outreach", 1)


def test_unknown_birth_date_is_no_opinion(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client(birth_date=None)
    event = advance(runtime, jid, "engage")
    assert {
        "rule": "working_age",
        "allowed": None,
        "reason": {},
        "legal_source": None,
    } in event.verdicts


def test_available_lists_allowed_and_blocked(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client(consent=False)
    with runtime.db.read() as session:
        journey, client = runtime.journeys.get(session, jid)
        options = {o.trigger: o for o in runtime.journeys.available(session, journey, client)}
    assert not options["engage"].allowed
    assert [v.rule for v in options["engage"].denied] == ["participation_consent"]
    assert options["decline"].allowed
    assert options["close"].allowed
    assert options["close"].outcomes[0] == "follow_on_pathway"


def test_reason_required(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    walk(runtime, jid, "engage")
    with pytest.raises(InputRequired) as info:
        advance(runtime, jid, "pause", reason="   ")
    assert info.value.field == "reason"
    event = advance(runtime, jid, "pause", reason="Sairaalassa")
    assert event.reason == "Sairaalassa"


def test_outcome_required_and_checked(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    with pytest.raises(InputRequired) as info:
        advance(runtime, jid, "close")
    assert info.value.field == "outcome"
    assert "no_contact" in info.value.allowed
    with pytest.raises(InputRequired):
        advance(runtime, jid, "close", outcome="made_up")
    with pytest.raises(InputRequired):
        advance(runtime, jid, "decline", outcome="employed")
    event = advance(runtime, jid, "close", outcome="no_contact")
    assert (event.to_state, event.outcome) == ("closed", "no_contact")
    with pytest.raises(InvalidTransition) as closed:
        advance(runtime, jid, "reach_again")
    assert closed.value.allowed == []


def test_stale_expected_version_conflicts(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    advance(runtime, jid, "engage", expected_version=1)
    with pytest.raises(Conflict) as info:
        advance(runtime, jid, "start_assessment", expected_version=1)
    assert (info.value.expected_version, info.value.actual_version) == (1, 2)
    assert state_of(runtime, jid) == ("engaged", 2)


def test_unknown_journey(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        advance(runtime, 999_999, "engage")


@pytest.mark.parametrize(
    "path",
    [
        ("engage",),
        ("engage", "start_assessment"),
        ("engage", "start_assessment", "set_goals", "start_group_work"),
        ("engage", "start_assessment", "set_goals", "start_individual_work", "start_group_work"),
    ],
)
def test_resume_returns_where_the_pause_began(
    runtime: Runtime, new_client: NewClient, path: tuple[str, ...]
) -> None:
    _client, jid = new_client()
    walk(runtime, jid, *path)
    before, _ = state_of(runtime, jid)
    walk(runtime, jid, "pause", "resume")
    assert state_of(runtime, jid)[0] == before


def test_group_and_individual_work_in_parallel_and_in_sequence(
    runtime: Runtime, new_client: NewClient
) -> None:
    _client, jid = new_client()
    walk(runtime, jid, "engage", "start_assessment", "set_goals", "start_group_work")
    walk(runtime, jid, "start_individual_work")
    assert state_of(runtime, jid)[0] == "group_and_individual_work"
    walk(runtime, jid, "finish_group_work")
    assert state_of(runtime, jid)[0] == "individual_work"
    # referring happens only through a referral (docs/referrals.md "The loop")
    with pytest.raises(MovedElsewhere) as refused:
        walk(runtime, jid, "refer")
    assert refused.value.moved_by == "referral"
    assert "/api/clients/{client_id}/referrals" in str(refused.value)
    assert state_of(runtime, jid)[0] == "individual_work"


def test_drop_out_and_re_engage(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    walk(runtime, jid, "engage", "drop_out", "re_engage")
    assert state_of(runtime, jid) == ("engaged", 4)
    with runtime.db.read() as session:
        assert verify_journeys(session) == []


class Veto:
    """A plugin that blocks referrals, and one that crashes."""

    def __init__(self) -> None:
        self.after: list[tuple[int, int]] = []

    @hookimpl
    def polku_check_transition(self, context: GuardContext) -> Verdict | None:
        if context.trigger == "decline":
            return Verdict.deny(
                "no_decline", fi="Ei", sv="Nej", en="Not here", legal_source="Testilaki 1/2026 §1"
            )
        if context.trigger == "engage":
            return Verdict.allow("engage_ok")
        return None

    @hookimpl
    def polku_after_transition(self, journey: Journey, event: JourneyEvent) -> None:
        assert journey.id is not None
        self.after.append((journey.id, event.seq))


class Crashing:
    @hookimpl
    def polku_check_transition(self, context: GuardContext) -> Verdict | None:
        if context.trigger == "close":
            raise RuntimeError(
                f"plugin bug with {context.client.first_name} {context.client.last_name}"
            )
        return None


def test_plugin_veto_wins_and_is_recorded(
    make_runtime: Callable[..., Runtime], new_client: NewClient
) -> None:
    veto = Veto()
    runtime = make_runtime(plugin_manager=plugin_manager_with(veto, Crashing()))
    from engine.testing import make_client

    _c, jid = make_client(runtime)
    with pytest.raises(GuardRejected) as info:
        advance(runtime, jid, "decline")
    [denied] = info.value.denied
    assert (denied.rule, denied.legal_source) == ("no_decline", "Testilaki 1/2026 §1")
    event = advance(runtime, jid, "engage")
    assert {
        "rule": "engage_ok",
        "allowed": True,
        "reason": {},
        "legal_source": None,
    } in event.verdicts
    assert veto.after == [(jid, 2)]


def test_raising_plugin_denies_and_is_logged(
    make_runtime: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    from engine.testing import make_client

    runtime = make_runtime(plugin_manager=plugin_manager_with(Crashing()))
    _c, jid = make_client(runtime, first_name="Salainen", last_name="Nimi")
    with pytest.raises(GuardRejected) as info:
        advance(runtime, jid, "close", outcome="no_contact")
    assert [v.rule for v in info.value.denied] == [f"plugin:{_crashing_name(runtime)}"]
    assert "failed in polku_check_transition" in caplog.text
    assert "raised RuntimeError" in caplog.text
    assert "test_journeys.py" in caplog.text
    assert "Salainen" not in caplog.text
    assert "Nimi" not in caplog.text
    # the app keeps serving: other moves still work
    advance(runtime, jid, "engage")


def _crashing_name(runtime: Runtime) -> str:
    return (
        next(runtime.pm.get_name(p) for p in runtime.pm.get_plugins() if isinstance(p, Crashing))
        or ""
    )


def test_after_transition_not_called_on_rollback(make_runtime: Callable[..., Runtime]) -> None:
    from engine.testing import make_client

    veto = Veto()
    runtime = make_runtime(plugin_manager=plugin_manager_with(veto))
    _c, jid = make_client(runtime)
    with pytest.raises(RuntimeError), runtime.db.write() as session:
        runtime.journeys.advance(session, jid, "engage", actor_id=None)
        raise RuntimeError("request failed after the move")
    assert veto.after == []
    assert state_of(runtime, jid) == ("outreach", 1)


def test_event_log_is_append_only(runtime: Runtime, new_client: NewClient) -> None:
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    _client, _jid = new_client()
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(update(JourneyEvent).values(reason="rewritten"))
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(delete(JourneyEvent))
    with runtime.db.read() as session:
        assert session.execute(select(col(JourneyEvent.reason))).scalars().all() == [None]


def test_migrate_version_is_a_logged_event(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    with runtime.db.write() as session:
        event = runtime.journeys.migrate(session, jid, to_version=1, actor_id=None)
    assert (event.trigger, event.from_state, event.to_state) == (
        "migrate_version",
        "outreach",
        "outreach",
    )
    assert state_of(runtime, jid) == ("outreach", 2)
    with runtime.db.read() as session:
        assert verify_journeys(session) == []


def test_unique_seq_is_the_second_line_of_defence(runtime: Runtime, new_client: NewClient) -> None:
    """Even if the conditional UPDATE were bypassed, UNIQUE(journey_id, seq) refuses a second
    event with the same number, and the move is reported as a Conflict with nothing written."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    _client, jid = new_client()
    with runtime.db.write() as session:
        session.execute(
            insert(JourneyEvent).values(
                journey_id=jid,
                seq=2,
                occurred_at=datetime.now(UTC),
                trigger="intruder",
                from_state="outreach",
                to_state="outreach",
                pathway_version=1,
                verdicts=[],
            )
        )
    with pytest.raises(Conflict):
        advance(runtime, jid, "engage")
    assert state_of(runtime, jid) == ("outreach", 1)
    # even a caller that catches the Conflict and commits has written nothing
    with runtime.db.write() as session:
        if runtime.db.dialect == "sqlite":  # PostgreSQL aborts the transaction: nothing to test
            with pytest.raises(Conflict):
                runtime.journeys.advance(session, jid, "engage", actor_id=None)
    assert state_of(runtime, jid) == ("outreach", 1)


def test_written_event_reads_back_identically(runtime: Runtime, new_client: NewClient) -> None:
    _client, jid = new_client()
    written = advance(runtime, jid, "engage")
    stored = events_of(runtime, jid)[-1]
    assert stored.occurred_at.replace(tzinfo=None) == written.occurred_at.replace(tzinfo=None)
    assert (stored.id, stored.seq, stored.verdicts) == (written.id, written.seq, written.verdicts)


def test_advance_sees_changes_made_earlier_in_the_same_transaction(
    runtime: Runtime, new_client: NewClient
) -> None:
    from datetime import UTC, datetime

    from engine.models import Client

    client_id, jid = new_client(consent=False)
    with runtime.db.write() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.participation_consent_at = datetime.now(UTC)  # not flushed yet
        event = runtime.journeys.advance(session, jid, "engage", actor_id=None)
    assert event.to_state == "engaged"


def test_resume_after_a_version_migration_while_paused(
    runtime: Runtime, new_client: NewClient
) -> None:
    _client, jid = new_client()
    walk(runtime, jid, "engage", "start_assessment", "pause")
    with runtime.db.write() as session:
        runtime.journeys.migrate(session, jid, to_version=1, actor_id=None)
    walk(runtime, jid, "resume")
    assert state_of(runtime, jid)[0] == "assessment"


class Listener:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.heard: list[int] = []

    @hookimpl
    def polku_after_transition(self, journey: Journey, event: JourneyEvent) -> None:
        if self.fail:
            raise RuntimeError("listener bug")
        self.heard.append(event.seq)


def test_every_listener_hears_committed_events_even_if_one_fails(
    make_runtime: Callable[..., Runtime],
) -> None:
    from engine.testing import make_client

    failing, listening = Listener(fail=True), Listener()
    runtime = make_runtime(plugin_manager=plugin_manager_with(failing, listening))
    _c, jid = make_client(runtime)
    with runtime.db.write() as session:
        runtime.journeys.advance(session, jid, "engage", actor_id=None)
        with session.begin_nested() as savepoint:  # some other work that is rolled back
            savepoint.rollback()
        with session.begin_nested():  # and some that is kept (a savepoint released)
            pass
        assert listening.heard == []  # not before COMMIT
    assert listening.heard == [2]
    with runtime.db.write() as session:
        runtime.journeys.migrate(session, jid, to_version=1, actor_id=None)
    assert listening.heard == [2, 3]  # a migration is an event too


def test_database_errors_carry_no_client_values(runtime: Runtime, new_client: NewClient) -> None:
    """A failing statement's error text never holds the bound values (they are client data)."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    _client, jid = new_client()
    walk(runtime, jid, "engage")
    with runtime.db.write() as session:
        session.execute(
            insert(JourneyEvent).values(
                journey_id=jid,
                seq=3,
                occurred_at=datetime.now(UTC),
                trigger="intruder",
                from_state="engaged",
                to_state="engaged",
                pathway_version=1,
                verdicts=[],
            )
        )
    with pytest.raises(Conflict) as info:
        advance(runtime, jid, "pause", reason="Salainen syy: sairaalassa")
    assert info.value.__cause__ is not None
    assert "Salainen" not in str(info.value.__cause__)


def test_a_connection_returned_inside_a_transaction_is_rolled_back(
    runtime: Runtime, new_client: NewClient
) -> None:
    """The pool skips the ROLLBACK round trip for idle PostgreSQL connections, but one that comes
    back with a transaction open (a leak, a failure while closing) is rolled back: its half-done
    write never rides along with the next request's COMMIT."""
    _client, jid = new_client()
    raw = runtime.db.engine.raw_connection()
    cursor = raw.cursor()
    if runtime.db.dialect == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    cursor.execute(f"UPDATE journey SET state = 'closed' WHERE id = {int(jid)}")
    raw.close()  # back to the pool, never committed
    for _ in range(3):  # the next requests, whichever pooled connection they get, commit
        with runtime.db.write() as session:
            session.execute(select(col(Journey.id))).all()
    assert state_of(runtime, jid) == ("outreach", 1)


def test_each_database_runs_with_its_settings(runtime: Runtime) -> None:
    """PostgreSQL connections run with ``jit = off`` (on the funder report at 100 000
    participants LLVM compiling cost more than it saved: bench/esf.py, docs/architecture.md);
    SQLite in WAL mode with a busy timeout."""
    with runtime.db.read() as session:
        if runtime.db.dialect == "postgresql":
            assert session.execute(text("SHOW jit")).scalar_one() == "off"
        else:
            assert session.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert session.execute(text("PRAGMA busy_timeout")).scalar_one() > 0


def test_a_core_connection_moves_journeys_as_a_session_does(
    make_runtime: Callable[..., Runtime],
) -> None:
    """``Database.write_connection``: the same guards, plugin verdicts, event, hash chain and
    after-commit notice as a session, with no ORM session (issue 16, point 5)."""
    from engine.chain import verify_chains
    from engine.testing import make_client

    veto = Veto()
    runtime = make_runtime(plugin_manager=plugin_manager_with(veto))
    _c, jid = make_client(runtime)
    with pytest.raises(GuardRejected), runtime.db.write_connection() as conn:
        runtime.journeys.advance(conn, jid, "decline", actor_id=None)  # the plugin's veto
    with runtime.db.write_connection() as conn:
        event = runtime.journeys.advance(conn, jid, "engage", actor_id=None)
        assert veto.after == []  # not before the COMMIT
    assert veto.after == [(jid, 2)]
    assert {v["rule"] for v in event.verdicts} >= {"participation_consent", "engage_ok"}
    with runtime.db.write() as session:
        ready_for_goal_setting(session, jid)
    with runtime.db.write_connection() as conn:
        runtime.journeys.advance(conn, jid, "start_assessment", actor_id=None)
        runtime.journeys.advance(conn, jid, "set_goals", actor_id=None)  # reads the GAS goal
        runtime.journeys.advance(conn, jid, "pause", actor_id=None, reason="syy")
        runtime.journeys.advance(conn, jid, "resume", actor_id=None)  # reads the previous state
    with pytest.raises(RuntimeError), runtime.db.write_connection() as conn:
        runtime.journeys.advance(conn, jid, "pause", actor_id=None, reason="syy")
        raise RuntimeError("failed after the move")
    assert state_of(runtime, jid) == ("goal_setting", 6)
    assert veto.after == [(jid, 2), (jid, 3), (jid, 4), (jid, 5), (jid, 6)]
    with pytest.raises(Conflict), runtime.db.write_connection() as conn:
        runtime.journeys.advance(conn, jid, "pause", actor_id=None, reason="x", expected_version=5)
    with runtime.db.read() as session:
        assert verify_journeys(session) == []
        assert verify_chains(session).broken == []
