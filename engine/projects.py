"""Projects (hankkeet): a funded project with its code, name and period, its main implementer
and co-implementers (osatoteuttajat) with their municipalities and planned participants, the
participant form file it collects and the funder its reports go to.

``polku projects create`` and the demo data call :func:`create_project`; the report
(:mod:`engine.esf_report`) rolls up over the implementers and shows planned against actual.
Who sees a project's report: :func:`engine.access.can_report_project`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import InputRequired, NotFound
from engine.models import (
    Organisation,
    OrganisationKind,
    Project,
    ProjectOrganisation,
)
from engine.participant_forms import FormFile


class ImplementerInput(BaseModel):
    """One organisation taking part: its name (found, or created as a project organisation),
    the municipalities it works in for the project, its planned participants."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(min_length=1, max_length=200)
    municipality_codes: list[str] = Field(default_factory=list)
    planned_participants: int | None = Field(default=None, ge=0, le=1_000_000)


class ProjectInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
    name: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    form_key: str
    funder: str = Field(min_length=1, max_length=200)
    planned_participants: int | None = Field(default=None, ge=0, le=1_000_000)
    main: ImplementerInput
    co_implementers: list[ImplementerInput] = Field(default_factory=list)

    @model_validator(mode="after")
    def _period(self) -> ProjectInput:
        if self.ends_on < self.starts_on:
            raise ValueError("the project ends before it starts")
        names = [self.main.organisation] + [c.organisation for c in self.co_implementers]
        if len(set(names)) != len(names):
            raise ValueError("an organisation takes part only once")
        return self


@dataclass(frozen=True)
class Implementer:
    organisation_id: int
    name: str
    role: str
    municipality_codes: tuple[str, ...]
    planned_participants: int | None


@dataclass(frozen=True)
class ProjectView:
    id: int
    code: str
    name: str
    starts_on: date
    ends_on: date
    form_key: str
    funder_organisation_id: int
    planned_participants: int | None
    implementers: tuple[Implementer, ...]

    @property
    def municipality_codes(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for i in self.implementers:
            seen.update(dict.fromkeys(i.municipality_codes))
        return tuple(seen)

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(i.organisation_id for i in self.implementers)


def _organisation(session: Session, name: str, kind: OrganisationKind, now: datetime) -> int:
    found = session.execute(
        select(col(Organisation.id))
        .where(col(Organisation.name) == name)
        .order_by(col(Organisation.id))
    ).first()
    if found is not None:
        return int(found[0])
    row = Organisation(name=name, kind=kind.value, created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def create_project(
    session: Session,
    data: ProjectInput,
    *,
    forms: dict[str, FormFile],
    municipalities: frozenset[str] | set[str],
    now: datetime,
) -> ProjectView:
    """Record a project with its implementers. Organisations are found by name (or created);
    the form file and every municipality must be known. :class:`Conflict` for a code in use."""
    if data.form_key not in forms:
        raise InputRequired("form_key", f"no form file {data.form_key!r}", sorted(forms))
    for implementer in (data.main, *data.co_implementers):
        for code in implementer.municipality_codes:
            if code not in municipalities:
                raise InputRequired("municipality_codes", f"unknown municipality {code!r}")
    if session.execute(select(col(Project.id)).where(col(Project.code) == data.code)).first():
        raise InputRequired("code", f"project code {data.code!r} is in use")
    funder = _organisation(session, data.funder, OrganisationKind.funder, now)
    project = Project(
        code=data.code,
        name=data.name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        form_key=data.form_key,
        funder_organisation_id=funder,
        planned_participants=data.planned_participants,
        created_at=now,
    )
    session.add(project)
    session.flush()
    assert project.id is not None
    for role, implementer in [("main", data.main)] + [("co", c) for c in data.co_implementers]:
        session.add(
            ProjectOrganisation(
                project_id=project.id,
                organisation_id=_organisation(
                    session, implementer.organisation, OrganisationKind.project, now
                ),
                role=role,
                municipality_codes=",".join(implementer.municipality_codes),
                planned_participants=implementer.planned_participants,
            )
        )
    session.flush()
    return project_view(session, project.id)


def project_view(session: Session, project_id: int) -> ProjectView:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    rows = session.execute(
        select(ProjectOrganisation, col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(ProjectOrganisation.organisation_id))
        .where(col(ProjectOrganisation.project_id) == project_id)
        .order_by(col(ProjectOrganisation.role).desc(), col(Organisation.name))
    ).all()
    implementers = tuple(
        Implementer(
            organisation_id=po.organisation_id,
            name=name,
            role=po.role,
            municipality_codes=tuple(c for c in po.municipality_codes.split(",") if c),
            planned_participants=po.planned_participants,
        )
        for po, name in rows
    )
    assert project.id is not None
    return ProjectView(
        id=project.id,
        code=project.code,
        name=project.name,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        form_key=project.form_key,
        funder_organisation_id=project.funder_organisation_id,
        planned_participants=project.planned_participants,
        implementers=implementers,
    )


def project_by_code(session: Session, code: str) -> ProjectView:
    found = session.execute(select(col(Project.id)).where(col(Project.code) == code)).first()
    if found is None:
        raise NotFound(f"project {code!r} not found")
    return project_view(session, int(found[0]))


def projects_of_organisation(session: Session, organisation_id: int | None) -> list[ProjectView]:
    """The projects an organisation takes part in (main or co-implementer), by code."""
    if organisation_id is None:
        return []
    ids = session.execute(
        select(col(Project.id))
        .join(ProjectOrganisation, col(ProjectOrganisation.project_id) == col(Project.id))
        .where(col(ProjectOrganisation.organisation_id) == organisation_id)
        .order_by(col(Project.code))
    ).scalars()
    return [project_view(session, int(i)) for i in ids]


def all_projects(session: Session) -> list[ProjectView]:
    ids = session.execute(select(col(Project.id)).order_by(col(Project.code))).scalars()
    return [project_view(session, int(i)) for i in ids]
