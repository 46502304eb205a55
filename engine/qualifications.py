"""Qualifications and cards (tutkinnot ja kortit) a client has gained: partial vocational
qualifications (tutkinnon osat), the hygiene card (hygieniapassi), the work-safety card
(työturvallisuuskortti) and others, each with a name, the date gained, the issuer and, for a card
that runs out, the date it is valid until.

The care team records them on the strengths page; the client page lists them and the
strengths-based CV shows them (:func:`engine.strengths.cv`). They are client data and never go
into application logs.

For the funder (ESF+: "gained a qualification", *tutkinnon tai sen osan suorittaneet*),
:func:`gained_in_period` tells which clients gained at least one qualification or card between
two dates (both inclusive), with what they gained: a report counts the keys, a participant form
lists the values. It takes the client ids the report already chose (its own access condition),
so it never widens what the caller may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.clients import add_client_row, remove_client_row, row_of_client, update_client_row
from engine.errors import InputRequired
from engine.inputs import Checks
from engine.models import Qualification, QualificationKind

NAME_MAX = 200
ISSUER_MAX = 200
#: How far back a qualification may be dated: older ones are typos (a year 0202).
EARLIEST = date(1950, 1, 1)


def _text(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InputRequired(name, f"{name} is required")
    if len(value) > limit:
        raise InputRequired(name, f"{name} is at most {limit} characters")
    return value


def _date(name: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InputRequired(name, f"{name} is a date (YYYY-MM-DD)") from None
    if parsed < EARLIEST:
        raise InputRequired(name, f"{name} is after {EARLIEST.isoformat()}")
    return parsed


@dataclass(frozen=True)
class QualificationInput:
    """A qualification as entered (strings, as a form or the API sends them); :meth:`checked`
    trims and validates it against ``today``."""

    kind: str
    name: str
    gained_on: str
    issuer: str
    valid_until: str = ""

    def checked(self, today: date) -> CheckedQualification:
        if self.kind not in QualificationKind.__members__:
            raise InputRequired("kind", "choose the kind", list(QualificationKind))
        name = _text("name", self.name, NAME_MAX)
        gained_on = _date("gained_on", self.gained_on)
        if gained_on is None:
            raise InputRequired("gained_on", "gained_on is required")
        if gained_on > today:
            raise InputRequired("gained_on", "gained_on is not in the future")
        issuer = _text("issuer", self.issuer, ISSUER_MAX)
        valid_until = _date("valid_until", self.valid_until)
        if valid_until is not None and valid_until < gained_on:
            raise InputRequired("valid_until", "valid_until is not before gained_on")
        return CheckedQualification(self.kind, name, gained_on, issuer, valid_until)


@dataclass(frozen=True)
class CheckedQualification:
    kind: str
    name: str
    gained_on: date
    issuer: str
    valid_until: date | None


def add(
    session: Session,
    *,
    client_id: int,
    recorded_by: int,
    values: QualificationInput,
    checks: Checks,
) -> Qualification:
    """Record a qualification the client gained, checked against ``checks.today`` (the local
    date: a card gained today is not "in the future" in the first hours after midnight)."""
    assert checks.now is not None
    return add_client_row(
        session,
        Qualification,
        asdict(values.checked(checks.today)),
        client_id=client_id,
        recorded_by=recorded_by,
        now=checks.now,
    )


def qualification_of(session: Session, client_id: int, qualification_id: int) -> Qualification:
    """The client's qualification ``qualification_id``; :class:`NotFound` if another client's."""
    return row_of_client(session, Qualification, qualification_id, client_id)


def edit(
    session: Session, row: Qualification, values: QualificationInput, *, checks: Checks
) -> Qualification:
    assert checks.now is not None
    return update_client_row(session, row, asdict(values.checked(checks.today)), checks.now)


def remove(session: Session, row: Qualification) -> None:
    remove_client_row(session, row)


def qualifications(session: Session, client_id: int) -> list[Qualification]:
    """The client's qualifications and cards, the newest gained first."""
    return list(
        session.execute(
            select(Qualification)
            .where(col(Qualification.client_id) == client_id)
            .order_by(col(Qualification.gained_on).desc(), col(Qualification.id).desc())
        ).scalars()
    )


def gained_in_period(
    session: Session, client_ids: Iterable[int], start: date, end: date
) -> dict[int, list[Qualification]]:
    """The clients among ``client_ids`` who gained a qualification or card from ``start`` to
    ``end`` (both inclusive), each with what they gained in that period (oldest first).

    The funder report's "gained a qualification": ``len(gained_in_period(...))`` is the number
    of participants; a client with two cards counts once. Clients without one are not keys."""
    ids = sorted(set(client_ids))
    found: dict[int, list[Qualification]] = {}
    # chunks keep the IN list within every database's parameter limit
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(Qualification)
            .where(
                col(Qualification.client_id).in_(ids[i : i + 500]),
                col(Qualification.gained_on) >= start,
                col(Qualification.gained_on) <= end,
            )
            .order_by(col(Qualification.gained_on), col(Qualification.id))
        ).scalars()
        for row in rows:
            found.setdefault(row.client_id, []).append(row)
    return found


def qualifications_gained(
    session: Session, client_ids: Any, start: date, end: date
) -> tuple[int, int]:
    """:func:`gained_in_period` counted in the database for the clients of the ``client_ids``
    subquery (``SELECT client_id ...``): how many clients gained a qualification or card from
    ``start`` to ``end`` (each once), and how many were gained in all."""
    clients, gained = session.execute(
        select(func.count(func.distinct(col(Qualification.client_id))), func.count()).where(
            col(Qualification.client_id).in_(client_ids),
            col(Qualification.gained_on) >= start,
            col(Qualification.gained_on) <= end,
        )
    ).one()
    return int(clients), int(gained)
