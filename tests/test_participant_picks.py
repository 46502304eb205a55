"""Each project participant's row keeps the forms the funder report counts (issue 15): the first
standing entry, the last standing exit and the last standing follow-up, by date. They are set
with every form written (engine/participants.refresh_picks), the report joins them instead of
ranking every form, `polku db verify` finds a row that disagrees, and the migration that added
them backfilled them from the forms (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import col
from typer.testing import CliRunner

from engine.clock import FrozenClock
from engine.db import Database
from engine.migrate import downgrade, upgrade
from engine.models import ParticipantForm, ProjectParticipant
from engine.participants import PICKS, verify_picks
from engine.runtime import Runtime
from engine.settings import get_settings
from engine.testing import settings_for_tests
from tests import esf_kit
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)


def _picks(runtime: Runtime, fx: esf_kit.Fixture) -> dict[str, tuple[Any, ...]]:
    """Per participant (p1..p7): its kept picks, as (kind, date, gender) of each picked form."""
    with runtime.db.read() as session:
        forms = {
            f.id: (f.kind, f.occurred_on, f.answers.get("gender"))
            for f in session.execute(select(ParticipantForm)).scalars()
        }
        rows = {
            p.client_id: p
            for p in session.execute(
                select(ProjectParticipant).where(
                    col(ProjectParticipant.project_id) == fx.project.id
                )
            ).scalars()
        }
    return {
        who: tuple(
            forms.get(getattr(rows[client_id], name)) if client_id in rows else None
            for name in PICKS
        )
        for who, client_id in fx.clients.items()
        if client_id in rows
    }


def test_every_form_written_keeps_the_picks(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    picks = _picks(runtime, fx)
    # p2's entry was corrected (woman -> man): the correction is what stands
    assert picks["p2"] == (("entry", date(2026, 4, 5), "man"), None, None)
    # p3 entered twice and left twice: the first entry, the last exit
    assert picks["p3"] == (
        ("entry", date(2026, 5, 2), "non_binary"),
        ("exit", date(2026, 6, 25), None),
        None,
    )
    assert picks["p6"] == (
        ("entry", date(2026, 1, 5), "woman"),
        ("exit", date(2026, 1, 20), None),
        ("follow_up", date(2026, 6, 30), None),
    )
    assert picks["p4"] == (("entry", date(2026, 6, 1), "declined"), None, None)
    with runtime.db.read() as session:
        assert verify_picks(session) == []


def test_verify_names_a_participant_whose_picks_disagree(
    make_runtime: Callable[..., Runtime],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from engine.cli import app

    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    monkeypatch.setenv("POLKU_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("POLKU_ENVIRONMENT", "test")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    ok = CliRunner().invoke(app, ["db", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "kept forms are its standing first entry and last exit" in ok.output
    with runtime.db.write() as session:
        p3 = session.execute(
            select(col(ProjectParticipant.id)).where(
                col(ProjectParticipant.client_id) == fx.clients["p3"]
            )
        ).scalar_one()
        session.execute(
            text("UPDATE project_participant SET exit_form_id = NULL WHERE id = :id"), {"id": p3}
        )
    with runtime.db.read() as session:
        assert verify_picks(session) == [(p3, "exit_form_id")]
    broken = CliRunner().invoke(app, ["db", "verify"])
    assert broken.exit_code == 1
    assert f"project participant {p3}: exit_form_id is not the form" in broken.output


def _scratch_runtime(url: str) -> Runtime:
    settings = settings_for_tests(url)
    return Runtime(
        settings,
        database=Database(settings.database_url, pool_size=5, sqlite_synchronous="NORMAL"),
        clock=FrozenClock(esf_kit.TODAY),
    )


def test_the_migration_backfills_the_picks_from_the_forms(
    scratch_url: str,  # noqa: F811
) -> None:
    """Forms written, the columns dropped (the revision before) and added again: the backfill
    gives every participant the picks the engine would have kept."""
    upgrade(scratch_url)
    runtime = _scratch_runtime(scratch_url)
    try:
        fx = esf_kit.build(runtime)
        kept = _picks(runtime, fx)
    finally:
        runtime.close()
    downgrade(scratch_url, "voice_0001")
    upgrade(scratch_url)
    runtime = _scratch_runtime(scratch_url)
    try:
        assert _picks(runtime, fx) == kept
        with runtime.db.read() as session:
            assert verify_picks(session) == []
    finally:
        runtime.close()
