"""Exports of the funder report: the XLSX read back with openpyxl and compared with the report,
the CSV, the participant-level sheet (no names), "<5" suppression, and the disclosure-log rows
(one per participant included; an exact-figures export logged as such) that the client log
report lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine import chain
from engine.audit import client_log
from engine.clock import FrozenClock
from engine.esf_export import DISCLOSED, DISCLOSED_EXACT, Exported, export, read_xlsx
from engine.esf_report import ReportQuery, build_report
from engine.models import Disclosure
from engine.projects import project_view
from engine.runtime import Runtime
from tests import esf_kit
from tests.esf_kit import Q2, Fixture


@pytest.fixture
def fx_runtime(make_runtime: Callable[..., Runtime]) -> tuple[Fixture, Runtime]:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    return esf_kit.build(runtime), runtime


def run_export(runtime: Runtime, fx: Fixture, fmt: str, *, exact: bool = False) -> Exported:
    with runtime.db.write() as session:
        project = project_view(session, fx.project.id)
        report = build_report(
            session,
            project,
            ReportQuery(project_id=fx.project.id, since=Q2[0], until=Q2[1]),
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
        )
        return export(
            session,
            report,
            fmt=fmt,  # type: ignore[arg-type]
            exact=exact,
            principal=esf_kit.coordinator(fx),
            organisation_names={i.organisation_id: i.name for i in project.implementers},
            now=runtime.clock.now(),
        )


def table(rows: list[tuple], title: str) -> list[tuple]:
    """The rows of one titled table of the "Raportti" sheet (header first)."""
    for i, row in enumerate(rows):
        if row and row[0] == title and all(v is None for v in row[1:]):
            out = []
            for later in rows[i + 1 :]:
                if all(v is None for v in later):
                    break
                out.append(later)
            return out
    raise KeyError(title)


def test_xlsx_read_back_matches_the_report_with_small_cells_suppressed(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    sheets = read_xlsx(run_export(runtime, fx, "xlsx").content)
    assert set(sheets) == {"Raportti", "Osallistujat"}
    outputs = table(sheets["Raportti"], "Tuotosindikaattorit")
    header, rows = outputs[0], {r[2]: r for r in outputs[1:]}
    assert header[:4] == ("Koodi", "Indikaattori", "Annex I", "Yhteensä")
    # total 4: one of each gender category, each cell 1 -> "<5"; no codes (none checked)
    total = rows["Total number of participants"]
    assert total[0] is None
    assert total[3] == "<5"
    assert total[4:9] == ("<5", "<5", "<5", "<5", 0)
    minority = rows["Minorities (including marginalised communities such as the Roma)"]
    assert minority[3] == 0
    assert minority[-1] == "<5"
    planned = table(sheets["Raportti"], "Suunniteltu ja toteutunut")
    # targets are not counts of people: 20, 14, 6 stay; actual 6 stays, 4 and 2 -> "<5"
    assert planned[1:] == [
        ("VALTO (testi)", 20, 6),
        (esf_kit.MAIN, 14, "<5"),
        (esf_kit.CO, 6, "<5"),
    ]


def test_exact_figures_when_asked_and_the_request_is_logged(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    sheets = read_xlsx(run_export(runtime, fx, "xlsx", exact=True).content)
    outputs = table(sheets["Raportti"], "Tuotosindikaattorit")
    total = next(r for r in outputs if r[2] == "Total number of participants")
    assert total[3:9] == (4, 1, 1, 1, 1, 0)
    planned = table(sheets["Raportti"], "Suunniteltu ja toteutunut")
    assert planned[2] == (esf_kit.MAIN, 14, 4)
    with runtime.db.read() as session:
        whats = set(session.execute(select(col(Disclosure.what))).scalars())
    assert whats == {DISCLOSED_EXACT}


def test_participant_sheet_is_keyed_by_number_without_names(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    sheets = read_xlsx(run_export(runtime, fx, "xlsx").content)
    header, *rows = sheets["Osallistujat"]
    assert header[0] == "osallistujanumero"
    # p1..p6 are in the Q2 report (entered, exited or followed up in Q2); p7 is not
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    text = repr(sheets)
    for who in fx.clients:
        assert who.upper() not in text  # the kit's last names: P1..P7
    assert "Testi" not in text
    p3 = dict(zip(header, rows[2], strict=True))
    assert (p3["sukupuoli"], p3["ika_aloittaessa"], p3["tilanne_lopettaessa"]) == (
        "non_binary",
        61,
        "none",
    )


def test_csv_exports(fx_runtime: tuple[Fixture, Runtime]) -> None:
    fx, runtime = fx_runtime
    aggregate = run_export(runtime, fx, "csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(aggregate), delimiter=";"))
    total = next(r for r in lines if len(r) > 3 and r[2] == "Total number of participants")
    assert total[3] == "<5"
    people = run_export(runtime, fx, "participants_csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(people), delimiter=";"))
    assert rows[0][0] == "osallistujanumero"
    assert len(rows) == 7


def test_each_export_writes_a_disclosure_row_per_participant_listed_in_the_client_log(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    assert run_export(runtime, fx, "csv").disclosed == 6
    run_export(runtime, fx, "xlsx")
    with runtime.db.read() as session:
        rows = session.execute(
            select(col(Disclosure.client_id), col(Disclosure.what), col(Disclosure.basis))
        ).all()
        assert len(rows) == 12
        assert {r[0] for r in rows} == {fx.clients[p] for p in ("p1", "p2", "p3", "p4", "p5", "p6")}
        assert {r[1] for r in rows} == {DISCLOSED}
        log = client_log(session, fx.clients["p1"], now=runtime.clock.now())
        assert [(d.what, d.organisation_name) for d in log.disclosed] == [
            (DISCLOSED, "Etelä-Savon ELY-keskus (testi)")
        ] * 2
        assert client_log(session, fx.clients["p7"], now=runtime.clock.now()).disclosed == []


def test_a_large_export_locks_the_disclosure_chains_in_batches(
    fx_runtime: tuple[Fixture, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100 000 participants once broke PostgreSQL's limit of 65 535 parameters in one statement
    # (four a client); batches of two here stand for batches of LOCK_BATCH there
    fx, runtime = fx_runtime
    monkeypatch.setattr(chain, "LOCK_BATCH", 2)
    assert run_export(runtime, fx, "csv").disclosed == 6
    assert run_export(runtime, fx, "participants_csv").disclosed == 6
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Disclosure)).scalar_one() == 12
        assert chain.verify_chains(session).ok
