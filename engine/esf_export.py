"""Exports of the funder report: the aggregate report as XLSX (openpyxl) or CSV, and a
participant-level sheet keyed by the project participant number (never a name or an identity
code). Used by the coordinator page and ``polku report esf``.

Each export is a disclosure to the project's funder: :func:`export` writes one disclosure-log
row per participant included (``what`` :data:`DISCLOSED`, or :data:`DISCLOSED_EXACT` when
exact figures were asked for), in the caller's transaction, so the client log report
(703/2023 §11) lists it. Small cells: a count from 1 to ``threshold - 1`` shows as "<threshold"
in the aggregate unless exact figures are asked for; that request is itself logged (the
disclosure rows' ``what`` and an application-log line with ids only).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlmodel import Session

from engine.access import Principal
from engine.audit import _code
from engine.chain import append
from engine.esf_report import GENDERS, Figure, Report

log = logging.getLogger("polku.reports")

Format = Literal["xlsx", "csv", "participants_csv"]
FORMATS: tuple[str, ...] = ("xlsx", "csv", "participants_csv")
#: Disclosure-log codes of an export to the funder.
DISCLOSED = "esf_report_export"
DISCLOSED_EXACT = "esf_report_export_exact"
#: The basis of the disclosure: the ESF+ Regulation's participant data (Annex I).
BASIS = "EU2021/1057:annex_I"

GENDER_HEADERS = {
    "woman": "Naiset",
    "man": "Miehet",
    "non_binary": "Muunsukupuoliset",
    "declined": "Sukupuoli: ei halua vastata",
    "gap": "Sukupuoli: ei kirjattu",
}


@dataclass(frozen=True)
class Section:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def small(value: Any, threshold: int, exact: bool) -> Any:
    """A count from 1 to threshold-1 as "<threshold" (unless exact); anything else as is."""
    if exact or not isinstance(value, int) or isinstance(value, bool):
        return value
    return f"<{threshold}" if 0 < value < threshold else value


def _figure_rows(figures: Iterable[Figure]) -> list[tuple[Any, ...]]:
    return [
        (
            f.code or "",
            f.label.get("fi", ""),
            f.label.get("en", ""),
            f.total,
            *(f.by_gender[g] for g in GENDERS),
            f.declined,
            f.gaps,
        )
        for f in figures
    ]


def sections(report: Report, *, exact: bool) -> list[Section]:
    """The aggregate report as tables, small cells suppressed unless ``exact``."""
    figure_header = (
        "Koodi",
        "Indikaattori",
        "Annex I",
        "Yhteensä",
        *(GENDER_HEADERS[g] for g in GENDERS),
        "Ei halua vastata",
        "Ei kirjattu",
    )
    q = report.query
    out = [
        Section(
            "Raportti",
            ("Tieto", "Arvo"),
            [
                ("Hanke", f"{report.project.code} {report.project.name}"),
                ("Kausi", f"{q.since.isoformat()} - {q.until.isoformat()}"),
                ("Osatoteuttaja", q.organisation_id or "kaikki"),
                ("Kunta", q.municipality or "kaikki"),
                ("Aloittaneet", report.entered),
                ("Lopettaneet", report.exited),
                ("Kuuden kuukauden seuranta", report.followed_up),
                ("Lähde", report.source),
                ("Pitkäaikaistyöttömyys", report.long_term_rule),
                ("Pienet solut", "tarkat luvut" if exact else f"alle {report.small_cell}: <"),
            ],
        ),
        Section(
            "Suunniteltu ja toteutunut",
            ("Toteuttaja", "Suunniteltu", "Toteutunut"),
            [
                (p.label, p.planned if p.planned is not None else "", p.actual)
                for p in report.planned
            ],
        ),
        Section("Tuotosindikaattorit", figure_header, _figure_rows(report.outputs)),
        Section("Tulosindikaattorit lähtiessä", figure_header, _figure_rows(report.results_exit)),
        Section(
            "Tulosindikaattorit kuuden kuukauden kuluttua",
            figure_header,
            _figure_rows(report.results_six_months),
        ),
        Section("Suppilo", ("Vaihe", "Asiakkaita"), list(report.funnel)),
        Section("Mistä asiakas löytyi", ("Lähde", "Osallistujia"), list(report.found_via)),
        Section("Jatkopolut tyypeittäin", ("Palvelu", "Osallistujia"), list(report.pathways)),
        Section("Päättymisen syyt", ("Syy", "Osallistujia"), list(report.outcomes)),
        Section("Yhteydenotot tavoittain", ("Tapa", "Yhteydenottoja"), list(report.contacts)),
        Section(
            "Ryhmät",
            ("Tieto", "Arvo"),
            [
                ("Läsnä", report.attendance_present),
                ("Merkintöjä", report.attendance_marked),
                ("Osallistujia läsnä", report.attendance_participants),
            ],
        ),
        Section(
            "Tapahtumat",
            ("Tieto", "Arvo"),
            [
                ("Osallistuttuja tapahtumakertoja", report.event_sessions_attended),
                ("Osallistujia", report.event_participants),
            ],
        ),
        Section(
            "Tutkinnon osat ja kortit",
            ("Tieto", "Arvo"),
            [
                ("Suorittaneita osallistujia", report.qualified_participants),
                ("Suorituksia", report.qualifications_gained),
            ],
        ),
        Section(
            "GAS T-luvun muutos",
            ("Muutos", "Osallistujia"),
            [*report.gas_change, ("ei arvioitu", report.gas_without)],
        ),
        Section(
            "Kykyviisari",
            ("Tieto", "Osallistujia"),
            [
                ("on kykyviisari", report.kyky_with),
                ("ei vielä", report.kyky_without),
                *report.kyky_change,
            ],
        ),
    ]
    # which columns hold counts of people (the report's facts and the planned targets do not)
    first_count = {"Raportti": 99, "Suunniteltu ja toteutunut": 2}
    return [
        Section(
            part.title,
            part.header,
            [
                tuple(
                    small(v, report.small_cell, exact)
                    if i >= first_count.get(part.title, 3 if part.header == figure_header else 1)
                    else v
                    for i, v in enumerate(row)
                )
                for row in part.rows
            ],
        )
        for part in out
    ]


def participant_sheet(
    report: Report, organisation_names: dict[int, str]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """One row per participant, by participant number: entry and exit fields, no name, no
    identity code, no client id."""
    items = (
        "labour_market_status",
        "unemployed_since",
        "education",
        "disability",
        "third_country_national",
        "foreign_background",
        "minority",
        "homeless",
        "rural",
    )
    header = (
        "osallistujanumero",
        "toteuttaja",
        "kunta",
        "aloitus",
        "sukupuoli",
        "ika_aloittaessa",
        *items,
        "pitkaaikaistyoton",
        "loyty",
        "lopetus",
        "tilanne_lopettaessa",
        "seuranta",
        "tilanne_seurannassa",
    )

    def text(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, list):
            return ";".join(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    rows = []
    for p in report.participants:
        rows.append(
            (
                p.number,
                organisation_names.get(p.organisation_id, str(p.organisation_id)),
                p.municipality_code,
                text(p.entry_on),
                p.entry.get("gender", ""),
                text(p.age_at_entry),
                *(text(p.entry.get(i)) for i in items),
                "" if p.long_term_unemployed is None else int(p.long_term_unemployed),
                p.found_via or "",
                text(p.exit_on),
                text((p.exit or {}).get("situation")),
                text(p.follow_up_on),
                text((p.follow_up or {}).get("situation")),
            )
        )
    return header, rows


def to_csv(parts: list[Section]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for part in parts:
        writer.writerow([part.title])
        writer.writerow(part.header)
        writer.writerows(part.rows)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 right


def participants_csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    parts: list[Section],
    participants: tuple[tuple[str, ...], list[tuple[Any, ...]]],
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The aggregate on sheet "Raportti" (one table after another), the participant-level
    sheet on "Osallistujat"."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Raportti")
    bold = Font(bold=True)
    for part in parts:
        title = WriteOnlyCell(sheet, value=part.title)
        title.font = bold
        sheet.append([title])
        sheet.append(list(part.header))
        for row in part.rows:
            sheet.append(list(row))
        sheet.append([])
    people = book.create_sheet("Osallistujat")
    header, rows = participants
    people.append(list(header))
    for i, row in enumerate(rows, 1):
        people.append(list(row))
        if progress is not None and i % 1000 == 0:
            progress(1000)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows (for tests and for checking an export by eye)."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


@dataclass(frozen=True)
class Exported:
    content: bytes
    media_type: str
    filename: str
    disclosed: int


def export(
    session: Session,
    report: Report,
    *,
    fmt: Format,
    exact: bool,
    principal: Principal | None,
    organisation_names: dict[int, str],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> Exported:
    """Build the export and write its disclosure-log rows (one per participant included) in
    the caller's transaction."""
    parts = sections(report, exact=exact)
    included = report.participants_in(session)
    people = participant_sheet(report, organisation_names)
    stem = (
        f"{report.project.code}_{report.query.since.isoformat()}_{report.query.until.isoformat()}"
    )
    if fmt == "xlsx":
        content = to_xlsx(parts, people, progress)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        filename = f"{stem}.xlsx"
    elif fmt == "csv":
        content, media, filename = to_csv(parts), "text/csv; charset=utf-8", f"{stem}.csv"
    else:
        content = participants_csv(*people)
        media, filename = "text/csv; charset=utf-8", f"{stem}_osallistujat.csv"
    what = _code("what", DISCLOSED_EXACT if exact else DISCLOSED)
    rows = [
        {
            "occurred_at": now,
            "client_id": p.client_id,
            "recipient_organisation_id": report.project.funder_organisation_id,
            "disclosed_by": principal.user_id if principal else None,
            "what": what,
            "basis": BASIS,
        }
        for p in included
    ]
    # through the log's hash chain (engine/chain.py), like every disclosure-log row
    append(session, "disclosure", rows)
    log.info(
        "esf export project=%s format=%s exact=%s participants=%d user=%s",
        report.project.id,
        fmt,
        exact,
        len(rows),
        principal.user_id if principal else "cli",
    )
    return Exported(content, media, filename, len(rows))
