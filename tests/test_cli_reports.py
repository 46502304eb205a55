"""``polku projects create|list`` and ``polku report esf``: the same project and report as the
pages, from the command line, with disclosure-log rows for the export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from engine.cli import app
from engine.clock import FrozenClock
from engine.esf_export import read_xlsx
from engine.models import Disclosure, ProjectOrganisation
from engine.projects import project_by_code
from engine.runtime import Runtime
from engine.settings import get_settings
from tests import esf_kit

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_ENVIRONMENT", "test")
    get_settings.cache_clear()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def test_projects_create_with_co_implementers_and_list(
    runtime: Runtime, cli: Callable[..., Result]
) -> None:
    result = cli(
        "projects", "create", "--code", "S30999", "--name", "SUUNTA YHDESSÄ (testi)",
        "--from", "2026-01-01", "--to", "2027-12-31", "--planned", "85",
        "--funder", "Etelä-Karjalan ELY (testi)",
        "--main", "Laptuote (testi):580:14",
        "--co", "SaimaanVirta (testi):700,689:20",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with runtime.db.read() as session:
        project = project_by_code(session, "S30999")
        assert project.planned_participants == 85
        assert [(i.name, i.role, i.municipality_codes, i.planned_participants)
                for i in project.implementers] == [
            ("Laptuote (testi)", "main", ("580",), 14),
            ("SaimaanVirta (testi)", "co", ("700", "689"), 20),
        ]  # fmt: skip
    listing = cli("projects", "list")
    assert "S30999" in listing.output
    again = cli("projects", "create", "--code", "S30999", "--name", "x", "--from", "2026-01-01",
                "--to", "2026-12-31", "--main", "Y")  # fmt: skip
    assert again.exit_code == 2
    assert "in use" in again.output
    bad = cli("projects", "create", "--code", "S1", "--name", "x", "--from", "2026-01-01",
              "--to", "2026-12-31", "--main", "Y:999")  # fmt: skip
    assert bad.exit_code == 2
    assert "unknown municipality" in bad.output
    with runtime.db.read() as session:
        count = session.execute(select(func.count()).select_from(ProjectOrganisation)).scalar_one()
    assert count == 2  # nothing half-made


def test_report_esf_writes_the_file_and_the_disclosure_rows(
    make_runtime: Callable[..., Runtime],
    cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    esf_kit.build(runtime)
    target = tmp_path / "q2.xlsx"
    result = cli("report", "esf", "--project", "VALTO-T", "--from", "2026-04-01",
                 "--to", "2026-06-30", "--format", "xlsx", "--output", str(target))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 disclosure-log rows" in result.output
    sheets = read_xlsx(target.read_bytes())
    assert [r[0] for r in sheets["Osallistujat"][1:]] == [1, 2, 3, 4, 5, 6]
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Disclosure)).scalar_one() == 6
    missing = cli("report", "esf", "--project", "NOPE", "--from", "2026-04-01", "--to",
                  "2026-06-30")  # fmt: skip
    assert missing.exit_code == 2
