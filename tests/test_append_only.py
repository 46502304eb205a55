"""The logs are append-only in the database itself, whatever the application does: the event
log, the access and disclosure logs and the client facts refuse UPDATE and DELETE, and on
PostgreSQL TRUNCATE too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine.access import Basis, Principal, What
from engine.audit import record_access, record_disclosure
from engine.models import OrganisationKind, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user

APPEND_ONLY = ("journey_event", "access_log", "disclosure", "client_fact")


@pytest.fixture
def one_row_each(runtime: Runtime) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _journey_id = make_client(runtime)  # the journey's first event
    partner = make_organisation(runtime, OrganisationKind.partner)
    now = datetime.now(UTC)
    with runtime.db.write() as session:
        principal = Principal(coach.id, Role.coach, coach.organisation_id)
        record_access(
            session,
            principal=principal,
            client_id=client_id,
            what=What.journey,
            basis=Basis.care_team,
            at=now,
        )
        record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=partner,
            what="referral_packet",
            basis="consent",
            disclosed_by=coach.id,
            at=now,
        )
        runtime.facts.record(session, client_id=client_id, key="benefit", value="none")


@pytest.mark.usefixtures("one_row_each")
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_rows_cannot_be_changed_or_removed(runtime: Runtime, table: str) -> None:
    statements = [f"UPDATE {table} SET id = id", f"DELETE FROM {table}"]
    if runtime.db.dialect == "postgresql":
        statements.append(f"TRUNCATE {table} CASCADE")
    for statement in statements:
        with (
            pytest.raises(DatabaseError, match=r"append-only|permission denied"),
            runtime.db.write() as session,
        ):
            session.execute(text(statement))
    with runtime.db.read() as session:
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 1
