"""The funder-report bench compares like with like: its hand-written SQL (the floor the report is
timed against, issue 15) gives every figure the report gives, on the bench's own bulk-filled data,
and the comparison finds a figure that differs. PostgreSQL only, as the bench (its fill uses
``generate_series``); it runs whenever PostgreSQL is configured, as in CI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from bench.esf import fill, hand_counts, hand_parameters, same_figures
from engine.esf_report import ReportQuery, build_report
from engine.runtime import Runtime
from engine.testing import backends, runtime_for_tests

POSTGRESQL = [b for b in backends() if b == "postgresql"]


@dataclass
class _Changed:
    """The hand row with one value replaced (its other columns as they were)."""

    row: Any
    changes: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return self.changes.get(name, getattr(self.row, name))


@pytest.mark.parametrize("database_url", POSTGRESQL, indirect=True)
def test_the_hand_written_sql_counts_what_the_report_counts(owner_database_url: str) -> None:
    # the bench's bulk fill sets the sequences, as the schema's owner
    runtime = runtime_for_tests(owner_database_url)
    try:
        _check_the_hand_written_sql(runtime)
    finally:
        runtime.close()


def _check_the_hand_written_sql(runtime: Runtime) -> None:
    today = datetime.now(UTC).date()
    project = fill(runtime, 300, today)
    query = ReportQuery(project_id=project.id, since=today - timedelta(days=365), until=today)
    rule = runtime.forms[project.form_key].long_term
    with Session(runtime.db.engine) as session:
        report = build_report(
            session,
            project,
            query,
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
        )
        hand = hand_counts(session, hand_parameters(project, query, rule))
    assert report.entered == 300
    assert report.contacts_participants > 0
    assert same_figures(report, hand) == []

    # one count off anywhere is named
    indicators = [dict(r) for r in hand.indicators]
    indicators[0]["long_term_unemployed"] += 1
    off = same_figures(report, _Changed(hand, {"indicators": indicators}))
    assert len(off) == 1
    assert off[0].startswith("long_term_unemployed:")
    funnel = [*hand.funnel]
    funnel[2] -= 1
    assert [d.split(":")[0] for d in same_figures(report, _Changed(hand, {"funnel": funnel}))] == [
        "funnel"
    ]
