"""``journey.furthest_stage`` (issue 16, point 4): each journey's furthest funnel stage kept on its
row, written with every event, backfilled from the log by its migration, read by the funnel, and
proved equal to the log by ``polku db verify``, which names a journey whose column was changed."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from engine.integrity import verify_furthest_stages
from engine.migrate import alembic_config, upgrade
from engine.models import Journey
from engine.pathway import FUNNEL_STAGES
from engine.plugins import build_plugin_manager
from engine.reports import funnel
from engine.runtime import Runtime, collect_guards, load_pathways
from engine.testing import make_client, ready_for_goal_setting
from tests import integrity_kit
from tests.integrity_kit import Cli, as_owner
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)

cli = integrity_kit.cli  # the fixture


def stage(name: str) -> int:
    return FUNNEL_STAGES.index(name)


def furthest_of(runtime: Runtime, journey_id: int) -> int | None:
    with runtime.db.read() as session:
        return session.execute(
            select(col(Journey.furthest_stage)).where(col(Journey.id) == journey_id)
        ).scalar_one()


def move(runtime: Runtime, journey_id: int, *triggers: str, core: bool = False) -> None:
    for trigger in triggers:
        if trigger == "set_goals":
            with runtime.db.write() as session:
                ready_for_goal_setting(session, journey_id)
        reason = "syy" if trigger in {"pause", "drop_out"} else None
        with runtime.db.write_connection() if core else runtime.db.write() as db:
            runtime.journeys.advance(db, journey_id, trigger, actor_id=None, reason=reason)


def test_the_row_keeps_the_furthest_stage_ever_entered(runtime: Runtime) -> None:
    _c, jid = make_client(runtime)
    assert furthest_of(runtime, jid) == stage("contacted")  # outreach
    move(runtime, jid, "engage", "start_assessment", "set_goals")
    assert furthest_of(runtime, jid) == stage("goals")
    move(runtime, jid, "start_individual_work", core=True)
    assert furthest_of(runtime, jid) == stage("active")
    move(runtime, jid, "pause", "resume", "drop_out", core=True)  # never goes back down
    assert furthest_of(runtime, jid) == stage("active")
    _c, other = make_client(runtime)
    move(runtime, other, "engage")
    with runtime.db.read() as session:
        assert verify_furthest_stages(session, runtime.pathways) == []
        counts = funnel(session, runtime.pathways.latest("client_journey")).counts
    assert counts["contacted"] >= 2
    assert counts["engaged"] >= 2
    assert counts["active"] >= 1


def test_verify_names_a_journey_whose_column_was_changed(
    runtime: Runtime, database_url: str, cli: Cli
) -> None:
    _c, jid = make_client(runtime)
    move(runtime, jid, "engage")
    assert cli("db", "verify").exit_code == 0
    as_owner(
        database_url,
        "UPDATE journey SET furthest_stage = :rank WHERE id = :id",
        params={"rank": stage("active"), "id": jid},
    )
    with runtime.db.read() as session:
        [mismatch] = verify_furthest_stages(session, runtime.pathways)
    assert mismatch.journey_id == jid
    assert f"furthest stage {stage('active')}" in mismatch.problem
    result = cli("db", "verify")
    assert result.exit_code == 1
    assert f"journey {jid}: furthest stage" in result.output


def test_the_migration_backfills_the_column_from_the_log(scratch_url: str) -> None:  # noqa: F811
    from alembic.script import ScriptDirectory

    mine = ScriptDirectory.from_config(alembic_config(scratch_url)).get_revision("reqengine_0001")
    assert mine is not None
    upgrade(scratch_url, str(mine.down_revision))  # just before the column
    engine = create_engine(scratch_url)
    now = "2026-01-02 03:04:05+00:00"
    walks = {
        1: ["outreach", "engaged", "assessment", "goal_setting", "paused"],
        2: ["outreach"],
        3: ["outreach", "not_engaged"],
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, kind, municipality_codes, created_at) "
                "VALUES (1, 'Hanke', 'project', '261', :now)"
            ),
            {"now": now},
        )
        for jid, states in walks.items():
            conn.execute(
                text(
                    "INSERT INTO client (id, first_name, last_name, municipality_code, "
                    "created_at) VALUES (:c, 'Testi', 'Asiakas', '261', :now)"
                ),
                {"c": jid, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO journey (id, client_id, pathway_key, pathway_version, state, "
                    "version, created_at, updated_at) VALUES (:c, :c, 'client_journey', 3, "
                    ":state, :version, :now, :now)"
                ),
                {"c": jid, "state": states[-1], "version": len(states), "now": now},
            )
            for seq, dest in enumerate(states, start=1):
                conn.execute(
                    text(
                        "INSERT INTO journey_event (journey_id, seq, occurred_at, trigger, "
                        "from_state, to_state, pathway_version, verdicts, prev_hash) VALUES "
                        "(:c, :seq, :now, 'x', :s, :d, 3, '[]', '')"
                    ),
                    {"c": jid, "seq": seq, "now": now, "s": None, "d": dest},
                )
    engine.dispose()
    upgrade(scratch_url)
    engine = create_engine(scratch_url)
    try:
        with engine.connect() as conn:
            stored: dict[int, int] = dict(
                conn.execute(text("SELECT id, furthest_stage FROM journey")).all()
            )
        pm = build_plugin_manager()  # the app's pathways, as the migration loads them
        pathways = load_pathways(pm, collect_guards(pm))
        with Session(engine) as session:
            problems = verify_furthest_stages(session, pathways)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    assert stored == {1: stage("goals"), 2: stage("contacted"), 3: stage("contacted")}
    assert problems == []
