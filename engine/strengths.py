"""A client's strengths and experiences (vahvuudet ja kokemukset), and the strengths-based CV.

Strengths are short phrases in the client's own words, grouped as skills, personal qualities,
interests or other (:class:`~engine.models.StrengthCategory`). Experiences are work, studies,
volunteering or hobbies and other (:class:`~engine.models.ExperienceKind`) with a title, a
place, a period as the client puts it and a description. The care team adds, edits and removes
them; both are client data and never go into application logs.

The CV (:func:`cv`) shows only these: strengths first, then experiences, the qualifications and
cards (:mod:`engine.qualifications`), and the contact details
the client chooses for it (:func:`set_cv_contact`; never the client record's on their own).
Nothing internal (the journey, notes, assessments) is part of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from engine import qualifications as qualification_log
from engine.clients import add_client_row, remove_client_row, row_of_client, update_client_row
from engine.errors import InputRequired
from engine.inputs import Checks
from engine.models import (
    CVContact,
    Experience,
    ExperienceKind,
    Qualification,
    Strength,
    StrengthCategory,
)

TEXT_MAX = 200
PERIOD_MAX = 60
DESCRIPTION_MAX = 1000


def _required(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InputRequired(name, f"{name} is required")
    return _limited(name, value, limit)


def _limited(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InputRequired(name, f"{name} is at most {limit} characters")
    return value


def _choice(name: str, value: str, allowed: type[StrengthCategory] | type[ExperienceKind]) -> str:
    if value not in allowed.__members__:
        raise InputRequired(name, f"choose the {name}", list(allowed))
    return value


# --- strengths -------------------------------------------------------------------------------


def add_strength(
    session: Session, *, client_id: int, recorded_by: int, category: str, text: str, now: datetime
) -> Strength:
    strength = Strength(
        client_id=client_id,
        category=_choice("category", category, StrengthCategory),
        text=_required("text", text, TEXT_MAX),
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(strength)
    session.flush()
    return strength


def strength_of(session: Session, client_id: int, strength_id: int) -> Strength:
    """The client's strength ``strength_id``; :class:`NotFound` if it is another client's."""
    return row_of_client(session, Strength, strength_id, client_id)


def edit_strength(
    session: Session, strength: Strength, *, category: str, text: str, now: datetime
) -> Strength:
    strength.category = _choice("category", category, StrengthCategory)
    strength.text = _required("text", text, TEXT_MAX)
    strength.updated_at = now
    session.add(strength)
    session.flush()
    return strength


def strengths(session: Session, client_id: int) -> list[Strength]:
    """In category order (skills, qualities, interests, other), then as recorded."""
    order = {c.value: i for i, c in enumerate(StrengthCategory)}
    found = session.execute(
        select(Strength).where(col(Strength.client_id) == client_id).order_by(col(Strength.id))
    ).scalars()
    return sorted(found, key=lambda s: order.get(s.category, len(order)))


# --- experiences -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperienceInput:
    """An experience as entered (strings); :meth:`checked` trims and validates it."""

    kind: str
    title: str
    place: str = ""
    period: str = ""
    description: str = ""

    def checked(self) -> ExperienceInput:
        return ExperienceInput(
            _choice("kind", self.kind, ExperienceKind),
            _required("title", self.title, TEXT_MAX),
            _limited("place", self.place, TEXT_MAX),
            _limited("period", self.period, PERIOD_MAX),
            _limited("description", self.description, DESCRIPTION_MAX),
        )


def add_experience(
    session: Session, *, client_id: int, recorded_by: int, values: ExperienceInput, checks: Checks
) -> Experience:
    assert checks.now is not None
    return add_client_row(
        session,
        Experience,
        asdict(values.checked()),
        client_id=client_id,
        recorded_by=recorded_by,
        now=checks.now,
    )


def experience_of(session: Session, client_id: int, experience_id: int) -> Experience:
    """The client's experience ``experience_id``; :class:`NotFound` if it is another client's."""
    return row_of_client(session, Experience, experience_id, client_id)


def edit_experience(
    session: Session, experience: Experience, values: ExperienceInput, *, checks: Checks
) -> Experience:
    assert checks.now is not None
    return update_client_row(session, experience, asdict(values.checked()), checks.now)


def experiences(session: Session, client_id: int) -> list[Experience]:
    """In kind order (work, studies, volunteering, other), newest recorded first within."""
    order = {k.value: i for i, k in enumerate(ExperienceKind)}
    found = session.execute(
        select(Experience)
        .where(col(Experience.client_id) == client_id)
        .order_by(col(Experience.id).desc())
    ).scalars()
    return sorted(found, key=lambda e: order.get(e.kind, len(order)))


def remove(session: Session, row: Strength | Experience) -> None:
    remove_client_row(session, row)


# --- the contact details the client chooses for the CV ------------------------------------------


def cv_contact(session: Session, client_id: int) -> CVContact | None:
    return session.get(CVContact, client_id)


def set_cv_contact(
    session: Session,
    *,
    client_id: int,
    updated_by: int,
    phone: str,
    email: str,
    location: str,
    now: datetime,
) -> CVContact | None:
    """Set the CV's contact details; all empty removes them (the CV shows none)."""
    phone = _limited("phone", phone, 40)
    email = _limited("email", email, 200)
    location = _limited("location", location, 100)
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise InputRequired("email", "not an e-mail address")
    row = session.get(CVContact, client_id)
    if not (phone or email or location):
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    row = row or CVContact(client_id=client_id, updated_by=updated_by)
    row.phone, row.email, row.location = phone, email, location
    row.updated_by, row.updated_at = updated_by, now
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class CV:
    """What the strengths-based CV shows, and nothing else."""

    first_name: str
    last_name: str
    strengths: dict[str, list[str]]
    experiences: dict[str, list[Experience]]
    contact: CVContact | None = None
    #: Qualifications and cards (engine/qualifications.py), the newest first.
    qualifications: list[Qualification] = field(default_factory=list)


def cv(session: Session, client_id: int, first_name: str, last_name: str) -> CV:
    grouped: dict[str, list[str]] = {}
    for s in strengths(session, client_id):
        grouped.setdefault(s.category, []).append(s.text)
    done: dict[str, list[Experience]] = {}
    for e in experiences(session, client_id):
        done.setdefault(e.kind, []).append(e)
    return CV(
        first_name,
        last_name,
        grouped,
        done,
        cv_contact(session, client_id),
        qualification_log.qualifications(session, client_id),
    )
