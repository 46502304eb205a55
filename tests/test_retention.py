"""Retention and erasure: a closed client's record is kept for the period the law sets, counted
from the closing of the client relationship, and then removed with everything that belongs to it
(``polku retention run``), leaving a tombstone and chains that still verify; an erasure request
before then is refused with the legal reason and recorded. The engine clock is frozen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel, col

from engine.access import Basis, Principal, What
from engine.audit import record_access, record_disclosure
from engine.chain import verify_database
from engine.clock import FrozenClock
from engine.contacts import record_contact
from engine.db import Database
from engine.goals import record_follow_up
from engine.groups import mark_attendance
from engine.models import Client, GroupSession, OrganisationKind, RetentionTombstone, Role
from engine.retention import DEFAULT_RULE, Removal, Retention, rule_for, years_after
from engine.runtime import Runtime
from engine.testing import make_organisation, make_user, owner_url_of
from tests import integrity_kit
from tests.event_kit import make_event
from tests.group_kit import client_at, invite, make_group, move
from tests.integrity_kit import Cli

cli = integrity_kit.cli  # fixture

#: The day the retention run happens in these tests.
RUN_DAY = date(2037, 3, 10)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki


class Life:
    """One fictional client's whole record, from a first view years before closing to closing."""

    def __init__(self, runtime: Runtime, clock: FrozenClock, closed_on: date):
        coach = make_user(runtime, Role.coach)
        partner = make_user(runtime, Role.partner)
        assert coach.id is not None
        assert partner.id is not None
        me = Principal(coach.id, Role.coach, coach.organisation_id)
        partner_org = make_organisation(runtime, OrganisationKind.partner)
        clock.set(noon(closed_on - timedelta(days=3 * 365)))
        self.client_id, self.journey_id = client_at(
            runtime, (), care_team=(coach.id,), organisation_id=coach.organisation_id
        )
        with runtime.db.write() as session:  # recorded on the clock's day (make_client: today)
            client = session.get(Client, self.client_id)
            assert client is not None
            client.created_at = clock.now()
        with runtime.db.write() as session:  # an early view: older than the logs' own period
            record_access(
                session,
                principal=me,
                client_id=self.client_id,
                what=What.journey,
                basis=Basis.care_team,
                at=clock.now(),
            )
        clock.set(noon(closed_on - timedelta(days=30)))
        with runtime.db.write() as session:
            for trigger in ("engage", "start_assessment"):
                runtime.journeys.advance(session, self.journey_id, trigger, actor_id=coach.id)
        with runtime.db.write() as session:
            from engine.testing import ready_for_goal_setting

            ready_for_goal_setting(session, self.journey_id, now=runtime.clock.now())
            runtime.journeys.advance(session, self.journey_id, "set_goals", actor_id=coach.id)
            runtime.facts.record(session, client_id=self.client_id, key="benefit", value="none")
            from engine.inputs import Checks

            record_contact(
                session,
                client_id=self.client_id,
                coach_id=coach.id,
                contact={
                    "occurred_at": clock.now(),
                    "kind": "meeting",
                    "duration_minutes": 45,
                    "note": "Tavattiin kahvilassa",
                },
                checks=Checks.of(clock),
            )
            record_disclosure(
                session,
                client_id=self.client_id,
                recipient_organisation_id=partner_org,
                what="referral_packet",
                basis="consent",
                disclosed_by=coach.id,
                at=clock.now(),
            )
        with runtime.db.write() as session:
            from engine.goals import goals_of

            goal = goals_of(session, self.client_id)[0]
            assert goal.id is not None
            record_follow_up(
                session,
                client_id=self.client_id,
                actor_id=coach.id,
                rated_on=clock.today(),
                levels={goal.id: 0},
                today=clock.today(),
                now=clock.now(),
            )
        group_id = make_group(runtime, me, co_leader_id=partner.id)
        membership = invite(runtime, me, group_id, self.client_id, consent="verbal")
        move(runtime, me, group_id, membership, "start_attending")
        with runtime.db.write() as session:
            first = session.execute(
                select(col(GroupSession.id)).where(
                    col(GroupSession.group_id) == group_id, col(GroupSession.number) == 1
                )
            ).scalar_one()
            mark_attendance(
                session,
                me,
                group_id,
                first,
                membership,
                present=True,
                today=clock.today(),
                zone=clock.zone,
                now=clock.now(),
            )
        move(runtime, me, group_id, membership, "complete")
        # an event with an absence (engine/events.py): erased with the rest of the record
        event_id = make_event(runtime, me, participants=[self.client_id])
        with runtime.db.write() as session:
            from engine.events import event_detail
            from engine.events import mark_attendance as mark_event
            from engine.inputs import Checks

            detail = event_detail(session, event_id, clock.now())
            mark_event(
                session,
                me,
                event_id,
                detail.sessions[0].id or 0,
                detail.participants[0].participant.id or 0,
                {"present": False, "absence_reason": "ill", "notified": True},
                checks=Checks.of(clock),
            )
        clock.set(noon(closed_on))
        with runtime.db.write() as session:
            runtime.journeys.advance(
                session, self.journey_id, "close", actor_id=coach.id, outcome="employed"
            )
            record_access(
                session,
                principal=me,
                client_id=self.client_id,
                what=What.journey,
                basis=Basis.care_team,
                at=clock.now(),
            )


def rows_of(runtime: Runtime, client_id: int) -> dict[str, int]:
    """Rows that name the client directly (client_id column), per table."""
    found = {}
    with runtime.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            column = "id" if table.name == "client" else "client_id"
            if column in table.c and table.name != "retention_tombstone":
                n = session.execute(
                    select(func.count()).select_from(table).where(table.c[column] == client_id)
                ).scalar_one()
                if n:
                    found[table.name] = n
    return found


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(noon(RUN_DAY))


@pytest.fixture
def world(make_runtime: Callable[..., Runtime], clock: FrozenClock) -> Runtime:
    return make_runtime(clock=clock)


def retention_of(runtime: Runtime, database_url: str) -> Retention:
    owner = Database(owner_url_of(database_url), retention=True)
    return Retention(owner, runtime.pathways, runtime.clock, rule_for(runtime.settings))


def test_a_record_is_removed_the_day_after_its_period(
    world: Runtime, clock: FrozenClock, database_url: str, cli: Cli
) -> None:
    ten_years_ago = date(RUN_DAY.year - DEFAULT_RULE.years, RUN_DAY.month, RUN_DAY.day)
    after = Life(world, clock, ten_years_ago - timedelta(days=1))  # kept until yesterday
    boundary = Life(world, clock, ten_years_ago)  # kept until today, inclusive
    before = Life(world, clock, ten_years_ago + timedelta(days=1))  # kept until tomorrow
    clock.set(noon(RUN_DAY))
    untouched = {c.client_id: rows_of(world, c.client_id) for c in (boundary, before)}
    everything = rows_of(world, after.client_id)
    assert {
        "journey",
        "gas_goal",
        "gas_rating",
        "client_fact",
        "contact_entry",
        "consent",
        "group_membership",
        "access_log",
        "disclosure",
        "care_team",
    } <= set(everything)

    retention = retention_of(world, database_url)
    try:
        due = retention.run(dry_run=True)
        assert [s.client_id for s in due] == [after.client_id]
        assert due[0].closed_on == ten_years_ago - timedelta(days=1)
        assert rows_of(world, after.client_id) == everything  # a dry run removes nothing
        done = retention.run()
    finally:
        retention.db.dispose()
    assert [r.client_id for r in done] == [after.client_id]
    # everything of the client is gone but the log rows younger than the logs' own 12 years
    # (the last view and the disclosure, with their chains' heads)
    assert rows_of(world, after.client_id) == {"access_log": 1, "disclosure": 1, "log_chain": 2}
    assert isinstance(done[0], Removal)
    removed = done[0].removed
    assert removed["journey"] == 2
    assert removed["attendance_mark"] == 1
    assert (removed["event_participant"], removed["event_attendance"]) == (1, 1)
    assert removed["access_log"] == 1
    assert "disclosure" not in removed
    for client_id, rows in untouched.items():
        assert rows_of(world, client_id) == rows
    with world.db.read() as session:
        assert verify_database(session).problems == []
        tombstone = session.execute(select(RetentionTombstone)).scalar_one()
    assert (tombstone.client_id, tombstone.action, tombstone.rule) == (
        after.client_id,
        "removed",
        DEFAULT_RULE.key,
    )
    assert tombstone.due_on == RUN_DAY
    assert tombstone.closed_on == ten_years_ago - timedelta(days=1)
    assert tombstone.detail == removed
    assert "703/2023" in tombstone.legal_source
    assert cli("db", "verify").exit_code == 0


def test_an_erasure_request_inside_the_period_is_refused_and_recorded(
    world: Runtime, clock: FrozenClock, database_url: str, cli: Cli
) -> None:
    life = Life(world, clock, date(2030, 5, 2))
    clock.set(noon(RUN_DAY))
    before = rows_of(world, life.client_id)
    # the command line reads the real clock: the record (closed 2030) is well inside its period
    result = cli("retention", "erase", str(life.client_id), "--reason", "GDPR-2037-0042")
    assert result.exit_code == 1
    assert "GDPR art. 17(3)(b)" in result.output
    assert "703/2023" in result.output
    assert f"kept until {years_after(date(2030, 5, 2), 10)}" in result.output
    assert rows_of(world, life.client_id) == before
    with world.db.read() as session:
        refusal = session.execute(select(RetentionTombstone)).scalar_one()
    assert refusal.action == "erasure_refused"
    assert refusal.detail == {"request": "GDPR-2037-0042", "why": "retention_period"}
    assert refusal.due_on == date(2040, 5, 3)
    # once due, the same request removes the record
    clock.set(noon(date(2040, 5, 3)))
    retention = retention_of(world, database_url)
    try:
        removal = retention.erase(life.client_id, request="GDPR-2040-0001")
    finally:
        retention.db.dispose()
    assert removal.client_id == life.client_id
    assert "client" not in rows_of(world, life.client_id)


def test_an_open_client_relationship_is_never_due(
    world: Runtime, clock: FrozenClock, database_url: str, cli: Cli
) -> None:
    clock.set(noon(date(2020, 1, 1)))
    client_id, _journey = client_at(world, ("engage",))
    clock.set(noon(RUN_DAY))
    retention = retention_of(world, database_url)
    try:
        assert retention.run(dry_run=True) == []
        with pytest.raises(Exception, match="has not closed"):
            retention.erase(client_id, request="GDPR-1")
    finally:
        retention.db.dispose()
    result = cli("retention", "run")
    assert result.exit_code == 0
    assert "0 clients removed" in result.output


def test_only_the_owner_can_run_retention(
    world: Runtime, clock: FrozenClock, database_url: str
) -> None:
    """The app's own connection cannot remove a due record: no DELETE on the logs (PostgreSQL
    role), and the triggers refuse a connection not marked for retention (both databases)."""
    life = Life(world, clock, date(2020, 1, 1))
    clock.set(noon(RUN_DAY))
    before = rows_of(world, life.client_id)
    as_app = Retention(world.db, world.pathways, clock, rule_for(world.settings))
    with pytest.raises(DatabaseError, match=r"append-only|permission denied"):
        as_app.run()
    if world.db.dialect == "postgresql":
        marked = Database(database_url, retention=True)  # the app role, even marked
        try:
            with pytest.raises(DatabaseError, match="permission denied"):
                Retention(marked, world.pathways, clock, rule_for(world.settings)).run()
        finally:
            marked.dispose()
    assert rows_of(world, life.client_id) == before
    with world.db.read() as session:
        assert verify_database(session).problems == []
