"""Tamper evidence: the event, access and disclosure logs carry hash chains that
``polku db verify`` recomputes, naming the first broken row; concurrent writers never fork a
chain; and on PostgreSQL the app's own role cannot alter the logs at all (least privilege)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col

from engine.access import Basis, Principal, What
from engine.audit import record_access, record_accesses
from engine.chain import GENESIS, verify_chains, verify_database
from engine.db import Database
from engine.models import AccessLog, Journey, JourneyEvent, Role
from engine.runtime import Runtime
from engine.testing import APP_ROLE, make_client, make_user, owner_url_of
from tests import integrity_kit
from tests.integrity_kit import Cli, as_owner, log_traffic

cli = integrity_kit.cli  # the fixture


def verified(runtime: Runtime) -> list[str]:
    with runtime.db.read() as session:
        return verify_database(session).problems


def test_every_log_row_links_to_the_one_before(runtime: Runtime) -> None:
    ids = log_traffic(runtime, clients=3)
    with runtime.db.read() as session:
        report = verify_chains(session)
        events = (
            session.execute(select(JourneyEvent).order_by(col(JourneyEvent.id))).scalars().all()
        )
        heads = {
            r[0]: r[1] for r in session.execute(select(col(Journey.id), col(Journey.event_hash)))
        }
    assert report.ok
    assert report.broken == []
    # 3 journeys x 2 events, 3 clients x (listing + view) access rows, 3 disclosures
    assert report.rows == 6 + 6 + 3
    assert report.streams == 3 + 3 + 3
    assert [e.prev_hash == GENESIS for e in events] == [True, False] * len(ids)
    assert all(len(h) == 64 and h != GENESIS for h in heads.values())
    assert verified(runtime) == []


def test_verify_names_the_changed_event(runtime: Runtime, database_url: str, cli: Cli) -> None:
    log_traffic(runtime, clients=2)
    with runtime.db.read() as session:
        target = (
            session.execute(
                select(col(JourneyEvent.id))
                .where(col(JourneyEvent.seq) == 1)
                .order_by(col(JourneyEvent.id))
            )
            .scalars()
            .first()
        )
    assert target is not None
    assert cli("db", "verify").exit_code == 0
    as_owner(
        database_url,
        "UPDATE journey_event SET reason = 'muutettu' WHERE id = :id",
        params={"id": target},
    )
    problems = verified(runtime)
    assert len(problems) == 1
    # the next row's link breaks, naming the changed row too
    assert problems[0].startswith(f"journey_event row {target + 1} ")
    assert f"row {target} or this row was changed" in problems[0]
    result = cli("db", "verify")
    assert result.exit_code == 1
    assert f"journey_event row {target + 1} " in result.output


def test_verify_sees_the_last_event_changed_or_removed(runtime: Runtime, database_url: str) -> None:
    log_traffic(runtime, clients=1)
    with runtime.db.read() as session:
        last = session.execute(select(func.max(JourneyEvent.id))).scalar_one()
    as_owner(
        database_url,
        "UPDATE journey_event SET to_state = 'closed' WHERE id = :id",
        params={"id": last},
    )
    problems = verified(runtime)
    head = f"journey_event row {last} (journey 1): is the last row and does not match"
    assert any(p.startswith(head) for p in problems), problems
    as_owner(database_url, "DELETE FROM journey_event WHERE id = :id", params={"id": last})
    assert any("journey_event" in p and "head" in p for p in verified(runtime))


def test_verify_names_the_changed_access_row(runtime: Runtime, database_url: str) -> None:
    ids = log_traffic(runtime, clients=2)
    with runtime.db.read() as session:
        rows = (
            session.execute(
                select(col(AccessLog.id))
                .where(col(AccessLog.client_id) == ids[1])
                .order_by(col(AccessLog.id))
            )
            .scalars()
            .all()
        )
    assert len(rows) == 2
    as_owner(
        database_url,
        "UPDATE access_log SET user_id = user_id WHERE id = :id",
        params={"id": rows[0]},
    )
    assert verified(runtime) == []  # nothing changed: nothing to see
    as_owner(
        database_url,
        "UPDATE access_log SET what = 'client_log' WHERE id = :id",
        params={"id": rows[0]},
    )
    assert verified(runtime) == [
        f"access_log row {rows[1]} (client {ids[1]}): does not link to row {rows[0]} before it "
        f"(row {rows[0]} or this row was changed, or a row between removed)"
    ]


def test_verify_sees_a_removed_disclosure(runtime: Runtime, database_url: str) -> None:
    ids = log_traffic(runtime, clients=1)
    as_owner(database_url, "DELETE FROM disclosure WHERE client_id = :c", params={"c": ids[0]})
    assert verified(runtime) == [
        f"disclosure (client {ids[0]}): every row of the stream is missing"
    ]


@pytest.mark.parametrize("writers", [8])
def test_concurrent_views_of_one_client_never_fork_its_chain(
    runtime: Runtime, writers: int
) -> None:
    """Writers of one client's access log (single views and listings) race; every chain holds."""
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    principal = Principal(coach.id, Role.coach, coach.organisation_id)
    ids = [make_client(runtime, care_team=(coach.id,))[0] for _ in range(3)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []
    rounds = 5

    def write(n: int) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                with runtime.db.write() as session:
                    if n % 2:
                        record_accesses(
                            session,
                            principal=principal,
                            client_ids=list(reversed(ids)),
                            what=What.caseload,
                            basis=Basis.care_team,
                            at=runtime.clock.now(),
                        )
                    else:
                        record_access(
                            session,
                            principal=principal,
                            client_id=ids[0],
                            what=What.journey,
                            basis=Basis.care_team,
                            at=runtime.clock.now(),
                        )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with runtime.db.read() as session:
        report = verify_chains(session)
        count = session.execute(select(func.count()).select_from(AccessLog)).scalar_one()
    assert report.broken == []
    listings, singles = writers // 2, writers - writers // 2
    assert count == rounds * (listings * len(ids) + singles)


# --- least privilege (PostgreSQL roles; SQLite has none: the triggers are its only guard) -------


#: Changing or removing rows: refused on both databases (triggers; on PostgreSQL privileges).
ROW_ATTACKS = [
    "DELETE FROM access_log",
    "UPDATE journey_event SET reason = 'x'",
    "DELETE FROM disclosure",
    "UPDATE retention_tombstone SET rule = 'x'",
]
#: Getting past the triggers: PostgreSQL refuses each to a role that is neither owner nor
#: superuser. (SQLite has no roles: whoever can write the file can drop a trigger, which the
#: hash chains then show; docs/operations.md.)
ROLE_ATTACKS = [
    "TRUNCATE disclosure",
    "SET session_replication_role = replica",
    "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only",
    "ALTER TABLE access_log DISABLE TRIGGER ALL",
    "DROP TRIGGER journey_event_append_only ON journey_event",
    "ALTER TABLE journey_event DROP COLUMN prev_hash",
    "DROP TABLE disclosure",
    "SET polku.retention = 'on'; DELETE FROM journey_event",
]


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.db.read() as session:
        return {
            t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("journey_event", "access_log", "disclosure")
        }


def test_the_app_cannot_alter_the_logs(runtime: Runtime) -> None:
    """Each of these, run as the app connects, fails and leaves every row and trigger."""
    log_traffic(runtime, clients=1)
    before = counts(runtime)
    attacks = ROW_ATTACKS + (ROLE_ATTACKS if runtime.db.dialect == "postgresql" else [])
    refused = []
    for attack in attacks:
        try:
            with runtime.db.write() as session:
                for statement in attack.split("; "):
                    session.execute(text(statement))
                session.execute(text("DELETE FROM access_log"))  # a step that passed must not help
        except DatabaseError:
            refused.append(attack)
    assert refused == attacks
    assert counts(runtime) == before
    assert verified(runtime) == []


def test_the_app_role_is_neither_owner_nor_superuser(runtime: Runtime, database_url: str) -> None:
    if runtime.db.dialect == "sqlite":
        assert owner_url_of(database_url) == database_url  # one file, no roles
        return
    with runtime.db.read() as session:
        me, superuser = session.execute(
            text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
        owners = set(
            session.execute(
                text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        may: Callable[[str, str], bool] = lambda t, p: session.execute(  # noqa: E731
            text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": t, "p": p}
        ).scalar_one()
        assert (me, superuser) == (APP_ROLE, False)
        assert me not in owners
        for table in (
            "journey_event",
            "access_log",
            "disclosure",
            "client_fact",
            "gas_rating",
            "assessment",
            "attendance_mark",
            "retention_tombstone",
        ):
            assert may(table, "SELECT"), table
            assert may(table, "INSERT"), table
            assert not any(may(table, p) for p in ("UPDATE", "DELETE", "TRUNCATE")), table
        assert may("journey", "UPDATE")
        assert may("log_chain", "UPDATE")


def test_the_owner_deletes_only_as_retention(runtime: Runtime, database_url: str) -> None:
    """Even the owner's plain DELETE is refused by the trigger; retention's marked one passes."""
    ids = log_traffic(runtime, clients=1, moves=False)
    owner = Database(owner_url_of(database_url))
    try:
        with pytest.raises(DatabaseError, match="append-only"), owner.write() as session:
            session.execute(text("DELETE FROM disclosure"))
    finally:
        owner.dispose()

    retention = Database(owner_url_of(database_url), retention=True)
    try:
        with retention.write() as session:
            if retention.dialect == "postgresql":
                session.execute(text("SET LOCAL polku.retention = 'on'"))
            session.execute(text("DELETE FROM disclosure WHERE client_id = :c"), {"c": ids[0]})
    finally:
        retention.dispose()
    with runtime.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM disclosure")).scalar_one() == 0


def test_db_roles_and_upgrade_set_up_both_roles(database_url: str, cli: Cli) -> None:
    """What `make run` does on PostgreSQL: roles and database when missing (twice: idempotent),
    then the migration as the owner, which grants the app role SELECT and INSERT on the logs."""
    if not database_url.startswith("postgresql"):
        result = cli("db", "roles", "--admin-url", "sqlite://")
        assert result.exit_code == 2  # SQLite: one file, no roles
        return
    import os

    from sqlalchemy.engine import make_url

    from engine.testing import PG_ENV, drop_postgres_database, worker_suffix

    name = f"polku_roles_{worker_suffix()}"
    drop_postgres_database(name)
    app_url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    env = {
        "POLKU_DATABASE_URL": app_url,
        "POLKU_OWNER_DATABASE_URL": owner_url_of(app_url),
        "POLKU_ADMIN_DATABASE_URL": os.environ[PG_ENV],
    }
    try:
        for _ in range(2):
            result = cli("db", "roles", **env)
            assert result.exit_code == 0, result.output
        result = cli("db", "upgrade", **env)
        assert result.exit_code == 0, result.output
        assert f"granted the app role {APP_ROLE}" in result.output
        app = Database(app_url)
        try:
            with app.read() as session:
                rights = session.execute(
                    text(
                        "SELECT has_table_privilege('access_log', 'INSERT'), "
                        "has_table_privilege('access_log', 'DELETE'), "
                        "has_table_privilege('client', 'UPDATE')"
                    )
                ).one()
        finally:
            app.dispose()
        assert tuple(rights) == (True, False, True)
        assert cli("db", "verify", **env).exit_code == 0
    finally:
        drop_postgres_database(name)
