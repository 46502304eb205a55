"""The one-off reconciliation (migration loop_0001) on a database at the previous revision
(report_0001) with mismatches in it, on SQLite and PostgreSQL: fixed with logged events where
the move is clear, listed (and reported by `polku db verify`) where a person must decide; the
event log is only appended to and its hash chains go on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from engine.access import Principal
from engine.chain import verify_database
from engine.db import Database
from engine.integrity import verify_journeys, verify_referral_loops
from engine.migrate import downgrade, upgrade
from engine.models import Journey, Role
from engine.runtime import Runtime
from engine.testing import make_user, settings_for_tests
from tests.referral_kit import ELIGIBLE_TARGET, coach_principal, partner_service, young_client
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)

SUPPORT = "kittila.outreach_youth_work"
PREVIOUS = "report_0001"


def _runtime(url: str) -> Runtime:
    s = settings_for_tests(url)
    return Runtime(s, database=Database(s.database_url, pool_size=5, sqlite_synchronous="NORMAL"))


def _send(runtime: Runtime, coach: Principal, client_id: int, target: str) -> int:
    with runtime.db.write() as session:
        referral = runtime.referrals.refer(
            session,
            coach,
            client_id,
            target_key=target,
            fields=("name",),
            statutory_basis="1301/2014:41§",
            now=runtime.clock.now(),
            today=runtime.clock.today(),
        )
        assert referral.id is not None
        return referral.id


def _events(url: str) -> list[tuple[Any, ...]]:
    runtime = _runtime(url)
    try:
        with runtime.db.read() as session:
            return [
                tuple(r)
                for r in session.execute(
                    text(
                        "SELECT id, journey_id, seq, trigger, from_state, to_state, reason"
                        " FROM journey_event ORDER BY id"
                    )
                ).all()
            ]
    finally:
        runtime.close()


def test_the_reconciliation_fixes_with_events_and_lists_the_rest(
    scratch_url: str,  # noqa: F811
) -> None:
    url = scratch_url
    upgrade(url)
    runtime = _runtime(url)
    try:
        user = make_user(runtime, Role.coach)
        assert user.id is not None
        coach = coach_principal(user.id, user.organisation_id)
        partner_service(runtime, "Ohjaamo", ELIGIBLE_TARGET)
        partner_service(runtime, "Tuki", SUPPORT, service_type="mental_health")
        team = {"organisation_id": user.organisation_id, "care_team": (user.id,)}
        # a: referred by the old generic `refer` (version 2), no referral at all
        _a, journey_a = young_client(runtime, **team)  # type: ignore[arg-type]
        with runtime.db.write() as session:
            runtime.journeys.migrate(session, journey_a, to_version=2, actor_id=None)
            runtime.journeys.advance(session, journey_a, "refer", actor_id=None)
        # b: a follow-on referral waiting while the journey went back to individual work
        client_b, journey_b = young_client(runtime, **team)  # type: ignore[arg-type]
        _send(runtime, coach, client_b, ELIGIBLE_TARGET)
        with runtime.db.write() as session:
            runtime.journeys.advance(
                session, journey_b, "referral_returned", actor_id=None, reason="x", via="referral"
            )
        # c: the partner started the work but the journey stayed `referred` (the old loop)
        client_c, journey_c = young_client(runtime, **team)  # type: ignore[arg-type]
        referral_c = _send(runtime, coach, client_c, ELIGIBLE_TARGET)
        with runtime.db.write() as session:
            row = session.execute(
                text("SELECT journey_id FROM referral WHERE id = :r"), {"r": referral_c}
            ).scalar_one()
            for trigger in ("accept", "start_work"):
                runtime.journeys.advance(session, row, trigger, actor_id=None)
        # d: a follow-on referral (a workshop) of a client still at outreach: a person decides
        client_d, journey_d = young_client(runtime, working=False, **team)  # type: ignore[arg-type]
        referral_d = _send(runtime, coach, client_d, SUPPORT)
        with runtime.db.write() as session:
            session.execute(
                text("UPDATE referral SET service_type = 'workshop' WHERE id = :r"),
                {"r": referral_d},
            )
    finally:
        runtime.close()

    downgrade(url, PREVIOUS)  # the database as the previous release left it
    before = _events(url)
    upgrade(url)
    after = _events(url)
    assert after[: len(before)] == before  # only appended to

    runtime = _runtime(url)
    try:
        with runtime.db.read() as session:

            def journey(jid: int) -> Journey:
                found = session.get(Journey, jid)
                assert found is not None
                return found

            a = journey(journey_a)
            assert (a.state, a.pathway_version) == ("individual_work", 3)
            assert journey(journey_b).state == "referred"
            assert journey(journey_c).state == "on_pathway"
            assert journey(journey_d).state == "outreach"
            added = [(e[1], e[3], e[5]) for e in after[len(before) :]]
            assert (journey_a, "migrate_version", "referred") in added
            assert (journey_a, "referral_returned", "individual_work") in added
            assert (journey_b, "refer", "referred") in added
            assert (journey_c, "start_follow_on", "on_pathway") in added
            assert not [e for e in added if e[0] == journey_d and e[1] != "migrate_version"]
            reason = [e[6] for e in after[len(before) :] if e[3] == "referral_returned"]
            assert reason
            assert "täsmäytys" in reason[0]
            assert verify_journeys(session) == []
            assert verify_database(session).ok  # the hash chains go on
            [left] = verify_referral_loops(session)
            assert left.journey_id == journey_d
            kinds = dict(
                session.execute(text("SELECT service_type, kind FROM referral")).tuples().all()
            )
            assert kinds == {"other": "follow_on", "workshop": "follow_on"}
    finally:
        runtime.close()
