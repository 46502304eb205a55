"""Participant data (osallistujatiedot) of ESF+ projects: the entry form when the client
engages, the exit form when the journey ends, the follow-up six months after the exit.

- A client becomes a participant of a project (:class:`ProjectParticipant`) with their first
  entry form, and gets the project's next participant number: the funder knows them by that
  number only. A participant counts once per project however often they leave and come back.
- Forms are append-only (:class:`ParticipantForm`): a correction is a new form naming the one it
  corrects; :func:`effective_forms` leaves corrected forms out.
- Answers are checked against the project's form file (:mod:`engine.participant_forms`); an item
  not answered is left out and shown as a gap, never as a zero or a "no".

The web pages and the demo data call :func:`record_form`; the report reads the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from engine.errors import InputRequired, NotFound
from engine.models import (
    Client,
    FoundVia,
    ParticipantForm,
    Project,
    ProjectOrganisation,
    ProjectParticipant,
)
from engine.participant_forms import FormFile, add_months
from engine.projects import ProjectView, project_view

FormKind = Literal["entry", "exit", "follow_up"]
FOUND_VIA = tuple(v.value for v in FoundVia)
#: How the client was found, as the intake form and the report name it.
FOUND_VIA_LABELS: dict[str, dict[str, str]] = {
    "diaconia": {"fi": "Diakonia", "sv": "Diakoni", "en": "Diaconia"},
    "social_work": {"fi": "Sosiaalityö", "sv": "Socialt arbete", "en": "Social work"},
    "employment_services": {
        "fi": "Työllisyyspalvelut",
        "sv": "Sysselsättningstjänster",
        "en": "Employment services",
    },
    "health_care": {"fi": "Terveydenhuolto", "sv": "Hälso- och sjukvård", "en": "Health care"},
    "self_referred": {"fi": "Asiakas itse", "sv": "Klienten själv", "en": "The client themselves"},
    "street_outreach": {
        "fi": "Etsivä työ kadulla",
        "sv": "Uppsökande arbete på gatan",
        "en": "Street outreach",
    },
    "other": {"fi": "Muu", "sv": "Annat", "en": "Other"},
}


class FormInput(BaseModel):
    """One filled form as the coach sends it (the page and the API build this)."""

    model_config = ConfigDict(extra="forbid")

    project_id: int
    kind: FormKind
    occurred_on: date
    answers: dict[str, str | list[str]] = Field(default_factory=dict)
    #: The form this one corrects (same participant, same kind).
    corrects_id: int | None = None


def client_projects(session: Session, client_id: int) -> list[ProjectView]:
    """The projects the client may take part in: those their organisation implements."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    if client.organisation_id is None:
        return []
    ids = session.execute(
        select(col(ProjectOrganisation.project_id))
        .where(col(ProjectOrganisation.organisation_id) == client.organisation_id)
        .order_by(col(ProjectOrganisation.project_id))
    ).scalars()
    return [project_view(session, int(i)) for i in ids]


def _participant(
    session: Session, project_id: int, client_id: int, *, lock: bool = False
) -> ProjectParticipant | None:
    """The client's participant row in the project; ``lock``: locked for this transaction
    (PostgreSQL; SQLite's writes take the whole database), so that two forms written at once
    see each other and the picks each leaves (:func:`refresh_picks`) count both."""
    stmt = select(ProjectParticipant).where(
        col(ProjectParticipant.project_id) == project_id,
        col(ProjectParticipant.client_id) == client_id,
    )
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def not_corrected(form: Any = ParticipantForm) -> ColumnElement[bool]:
    """The form (``ParticipantForm`` or an alias of it) has not been corrected by a later one."""
    later = aliased(ParticipantForm)
    return ~exists().where(col(later.corrects_id) == col(form.id))


#: The forms of a participant the report counts, kept on its row (column: kind, the last by
#: date rather than the first): the first entry, the last exit, the last follow-up.
PICKS: dict[str, tuple[str, bool]] = {
    "entry_form_id": ("entry", False),
    "exit_form_id": ("exit", True),
    "follow_up_form_id": ("follow_up", True),
}


def picked_form(kind: str, last: bool, participant_id: Any) -> Any:
    """SQL: the id of the participant's standing form of ``kind`` that comes first (or last) by
    date (then id), NULL for none; ``participant_id`` a column to correlate with or a value."""
    form = aliased(ParticipantForm)
    on, by_id = col(form.occurred_on), col(form.id)
    return (
        select(by_id)
        .where(
            col(form.participant_id) == participant_id,
            col(form.kind) == kind,
            not_corrected(form),
        )
        .order_by(*((on.desc(), by_id.desc()) if last else (on, by_id)))
        .limit(1)
        .scalar_subquery()
    )


def _refresh_statement(one: bool) -> Any:
    table = ProjectParticipant.__table__  # type: ignore[attr-defined]
    stmt = update(table).values(
        {name: picked_form(kind, last, table.c.id) for name, (kind, last) in PICKS.items()}
    )
    return stmt.where(table.c.id == bindparam("participant_id")) if one else stmt


# Built once: three aliased subqueries cost ~4 ms of Python to build, a form write's largest part.
_REFRESH_ONE = _refresh_statement(True)
_REFRESH_ALL = _refresh_statement(False)


def refresh_picks(session: Session | Connection, participant_id: int | None = None) -> None:
    """Set the participant's picked forms (:data:`PICKS`) from its standing forms; every
    participant's when ``participant_id`` is None (a bulk load, the migration's backfill)."""
    if participant_id is None:
        session.execute(_REFRESH_ALL)
    else:
        session.execute(_REFRESH_ONE, {"participant_id": participant_id})


def verify_picks(session: Session | Connection) -> list[tuple[int, str]]:
    """Each participant whose kept picks differ from its standing forms: (id, which column)."""
    table = ProjectParticipant.__table__  # type: ignore[attr-defined]
    found: list[tuple[int, str]] = []
    for name, (kind, last) in PICKS.items():
        stored = func.coalesce(table.c[name], -1)
        wrong = session.execute(
            select(table.c.id)
            .where(stored != func.coalesce(picked_form(kind, last, table.c.id), -1))
            .order_by(table.c.id)
        ).scalars()
        found.extend((int(pid), name) for pid in wrong)
    return sorted(found)


_EFFECTIVE_FORMS = (
    select(ParticipantForm)
    .where(col(ParticipantForm.participant_id) == bindparam("participant_id"), not_corrected())
    .order_by(col(ParticipantForm.occurred_on), col(ParticipantForm.id))
)


def effective_forms(session: Session, participant_id: int) -> list[ParticipantForm]:
    """The participant's forms that stand (corrected ones left out), by date."""
    return list(session.execute(_EFFECTIVE_FORMS, {"participant_id": participant_id}).scalars())


def record_form(
    session: Session,
    forms: dict[str, FormFile],
    *,
    client_id: int,
    actor_id: int | None,
    data: FormInput,
    today: date,
    now: datetime,
) -> ParticipantForm:
    """Record one filled form. The rules:

    - the client's organisation implements the project; the date is within the project's
      period and not in the future;
    - an exit needs an entry on or before it, a follow-up an exit on or before it;
    - a correction names a standing form of the same participant and kind;
    - the answers fit the project's form file (:meth:`FormFile.check_answers`).
    """
    project = project_view(session, data.project_id)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    if client.organisation_id not in project.organisation_ids:
        raise InputRequired("project_id", "the client's organisation is not in this project")
    if data.occurred_on > today:
        raise InputRequired("occurred_on", "the date is in the future")
    # an entry falls within the project's period; an exit or follow-up may come after its end
    late_entry = data.kind == "entry" and data.occurred_on > project.ends_on
    if data.occurred_on < project.starts_on or late_entry:
        raise InputRequired("occurred_on", "the date is outside the project's period")
    form_file = forms.get(project.form_key)
    if form_file is None:
        raise InputRequired("project_id", f"the project's form file {project.form_key!r} is gone")
    answers = form_file.check_answers(data.kind, data.answers)
    participant = _participant(session, project.id, client_id, lock=True)
    if participant is None:
        if data.kind != "entry":
            raise InputRequired("kind", "fill in the entry form first")
        number = session.execute(
            select(func.coalesce(func.max(col(ProjectParticipant.number)), 0)).where(
                col(ProjectParticipant.project_id) == project.id
            )
        ).scalar_one()
        participant = ProjectParticipant(
            project_id=project.id,
            client_id=client_id,
            number=int(number) + 1,
            organisation_id=client.organisation_id,
            created_at=now,
        )
        session.add(participant)
        session.flush()
    assert participant.id is not None
    standing = effective_forms(session, participant.id)
    if data.corrects_id is not None:
        corrected = next((f for f in standing if f.id == data.corrects_id), None)
        if corrected is None or corrected.kind != data.kind:
            raise InputRequired("corrects_id", "not a standing form of this kind of this client")
    else:
        corrected = None
    others = [f for f in standing if f is not corrected]
    if data.kind == "exit" and not any(
        f.kind == "entry" and f.occurred_on <= data.occurred_on for f in others
    ):
        raise InputRequired("occurred_on", "the exit is before the entry")
    if data.kind == "follow_up" and not any(
        f.kind == "exit" and f.occurred_on <= data.occurred_on for f in others
    ):
        raise InputRequired("kind", "fill in the exit form first")
    due = form_file.form("follow_up").due_months
    row = ParticipantForm(
        participant_id=participant.id,
        kind=data.kind,
        form_key=form_file.key,
        form_version=form_file.definition.version,
        occurred_on=data.occurred_on,
        answers=answers,
        follow_up_due_on=add_months(data.occurred_on, due or 6) if data.kind == "exit" else None,
        corrects_id=data.corrects_id,
        recorded_by=actor_id,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    refresh_picks(session, participant.id)
    session.expire(participant, list(PICKS))
    return row


def set_found_via(session: Session, client_id: int, value: str | None) -> None:
    """How the client was found (asked at intake): one of :data:`FOUND_VIA`, or None."""
    if value is not None and value not in FOUND_VIA:
        raise InputRequired("found_via", "not one of the options", FOUND_VIA)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    client.found_via = value
    session.add(client)


# --- what the coach sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantRecord:
    """One project's participant data of a client, for the client's data page."""

    project: ProjectView
    number: int | None
    forms: list[ParticipantForm]
    #: All forms, corrected ones too (the history), newest first.
    history: list[ParticipantForm] = field(default_factory=list)

    def latest(self, kind: str) -> ParticipantForm | None:
        found = [f for f in self.forms if f.kind == kind]
        return found[-1] if found else None

    def first(self, kind: str) -> ParticipantForm | None:
        found = [f for f in self.forms if f.kind == kind]
        return found[0] if found else None

    def follow_up_due(self, today: date) -> date | None:
        """The due date of the follow-up of the last exit, when none was recorded after it."""
        exit_form = self.latest("exit")
        if exit_form is None or exit_form.follow_up_due_on is None:
            return None
        for f in self.forms:
            if f.kind == "follow_up" and f.occurred_on >= exit_form.occurred_on:
                return None
            if f.kind == "entry" and f.occurred_on > exit_form.occurred_on:
                return None
        return exit_form.follow_up_due_on


def participant_records(
    session: Session, client_id: int, *, with_history: bool = True
) -> list[ParticipantRecord]:
    """Every project the client may take part in, with what was recorded (gaps stay gaps).
    ``with_history``: also every form, corrected ones too (the data page; the prompts need
    only the forms that stand)."""
    records = []
    for project in client_projects(session, client_id):
        participant = _participant(session, project.id, client_id)
        if participant is None or participant.id is None:
            records.append(ParticipantRecord(project, None, []))
            continue
        history = (
            list(
                session.execute(
                    select(ParticipantForm)
                    .where(col(ParticipantForm.participant_id) == participant.id)
                    .order_by(col(ParticipantForm.id).desc())
                ).scalars()
            )
            if with_history
            else []
        )
        records.append(
            ParticipantRecord(
                project, participant.number, effective_forms(session, participant.id), history
            )
        )
    return records


def follow_ups_due(_today: date) -> Any:
    """Caseload flag: the client's exits whose six-month follow-up is due and not recorded (no
    follow-up and no new entry after the exit). A correlated count on ``client.id``."""
    exit_form = aliased(ParticipantForm)
    later = aliased(ParticipantForm)
    participant = aliased(ProjectParticipant)
    return (
        select(func.count())
        .select_from(exit_form)
        .join(participant, col(participant.id) == col(exit_form.participant_id))
        .where(
            col(participant.client_id) == col(Client.id),
            col(exit_form.kind) == "exit",
            col(exit_form.follow_up_due_on) <= _today,
            not_corrected(exit_form),
            ~exists().where(
                col(later.participant_id) == col(exit_form.participant_id),
                or_(
                    and_(
                        col(later.kind) == "follow_up",
                        col(later.occurred_on) >= col(exit_form.occurred_on),
                    ),
                    and_(
                        col(later.kind) == "entry",
                        col(later.occurred_on) > col(exit_form.occurred_on),
                    ),
                ),
            ),
        )
        .correlate(Client)
        .scalar_subquery()
    )


def project_of(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


#: Client journey states before the client engages: no entry form yet.
NOT_YET_ENGAGED = frozenset({"outreach", "not_engaged"})
#: Client journey states where the work has ended: time for the exit form.
ENDED = frozenset({"closed", "dropped_out"})


@dataclass(frozen=True)
class Prompt:
    """What the client page asks the coach to fill in for one project."""

    kind: str
    project: ProjectView
    due_on: date | None = None


def in_project(record: ParticipantRecord) -> bool:
    """The participant's latest entry or exit is an entry (they take part now)."""
    moves = [f for f in record.forms if f.kind in ("entry", "exit")]
    return bool(moves) and moves[-1].kind == "entry"


def prompts(
    session: Session, client_id: int, journey_state: str | None, today: date
) -> list[Prompt]:
    """The forms due for the client: the entry form once they engage, the exit form when the
    journey ends, the six-month follow-up when it falls due."""
    out = []
    for record in participant_records(session, client_id, with_history=False):
        taking_part = in_project(record)
        due = record.follow_up_due(today)
        if journey_state is None:
            continue
        if not taking_part and journey_state not in NOT_YET_ENGAGED | ENDED:
            out.append(Prompt("entry", record.project))
        elif taking_part and journey_state in ENDED:
            out.append(Prompt("exit", record.project))
        elif not taking_part and due is not None and due <= today:
            out.append(Prompt("follow_up", record.project, due))
    return out
