"""A client's assessments (arvioinnit): completed instruments, stored, compared over time.

An assessment is one instrument (:mod:`engine.instruments`, contributed by plugins) completed on
a date: who recorded it and a score per item (:class:`~engine.models.AssessmentScore`, one row
per item, so a plugin's new instrument needs no schema change). A licensed instrument
(``scores_only``, the Kykyviisari summary) keeps the scores and nothing else.

An instrument ``with_requirement`` (the ability and requirement profile) rates each item twice:
the client's ability and what a named job or activity requires. :func:`gaps` lists where the
requirement is higher than the ability (by how much), :func:`strong_points` where the ability is
higher.

Assessments are append-only (a database trigger refuses UPDATE and DELETE): a new assessment is
recorded instead, and :func:`changes` compares the latest with the one before, item by item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import InputRequired
from engine.inputs import Input, blank_is_none
from engine.instruments import Instrument
from engine.models import Assessment, AssessmentScore, User

REQUIREMENT_OF_MAX = 200
#: The earliest date an assessment may carry (a typo guard, like birth dates).
EARLIEST = date(2000, 1, 1)


def _check(instrument: Instrument, scores: Mapping[str, int], field_prefix: str) -> None:
    """Raise :class:`InputRequired` naming the first bad item (``field_prefix`` + item key)."""
    for problem in instrument.check_scores(scores):
        item, _, message = problem.partition(": ")
        raise InputRequired(f"{field_prefix}{item}", message)


class NewAssessment(Input):
    """One completed assessment as a form posts it (or a caller builds it): the date (blank:
    today), each item's score as a whole number (a form's ``score.<item>`` fields; blank: not
    scored), for a profile each item's requirement (``requirement.<item>``) and the job or
    activity. :func:`record_assessment` checks them against the instrument."""

    assessed_on: date | None = None
    scores: dict[str, int] = Field(default_factory=dict)
    requirements: dict[str, int] = Field(default_factory=dict)
    requirement_of: str = ""

    _blank = field_validator("assessed_on", mode="before")(blank_is_none)

    @model_validator(mode="before")
    @classmethod
    def form_items(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        for prefix, name in (("score.", "scores"), ("requirement.", "requirements")):
            found = {
                k.removeprefix(prefix): values.pop(k) for k in list(values) if k.startswith(prefix)
            }
            given = {k: v for k, v in found.items() if not (isinstance(v, str) and not v.strip())}
            if given:
                values[name] = {**values.get(name, {}), **given}
        return values


def record_assessment(
    session: Session,
    instrument: Instrument,
    *,
    client_id: int,
    recorded_by: int,
    assessed_on: date,
    scores: Mapping[str, int],
    requirements: Mapping[str, int] | None = None,
    requirement_of: str = "",
    now: datetime,
    today: date,
) -> Assessment:
    """Store one completed assessment; raises :class:`InputRequired` naming the bad field
    (``assessed_on``, ``requirement_of``, an item key, or ``requirement.<item>``)."""
    if not EARLIEST <= assessed_on <= today:
        raise InputRequired("assessed_on", "the date of the assessment is not in the future")
    if not scores:
        raise InputRequired("scores", "give at least one score")
    _check(instrument, scores, "")
    requirement_of = requirement_of.strip()
    requirements = dict(requirements or {})
    if instrument.with_requirement:
        if not requirement_of:
            raise InputRequired("requirement_of", "name the job or activity")
        if len(requirement_of) > REQUIREMENT_OF_MAX:
            raise InputRequired(
                "requirement_of", f"the job or activity is at most {REQUIREMENT_OF_MAX} characters"
            )
        _check(instrument, requirements, "requirement.")
        missing = sorted(set(scores) ^ set(requirements))
        if missing:
            raise InputRequired(
                f"requirement.{missing[0]}", "rate both the client and the requirement"
            )
    elif requirements or requirement_of:
        raise InputRequired("requirement_of", f"{instrument.key} has no requirement")
    assessment = Assessment(
        client_id=client_id,
        instrument=instrument.key,
        assessed_on=assessed_on,
        requirement_of=requirement_of or None,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(assessment)
    session.flush()
    assert assessment.id is not None
    for item in instrument.items:
        if item.key in scores:
            session.add(
                AssessmentScore(
                    assessment_id=assessment.id,
                    item=item.key,
                    score=scores[item.key],
                    requirement=requirements.get(item.key),
                )
            )
    session.flush()
    return assessment


@dataclass(frozen=True)
class Completed:
    """A stored assessment with its scores, as read back."""

    id: int
    instrument: str
    assessed_on: date
    recorded_at: datetime
    recorded_by: str | None
    requirement_of: str | None
    scores: dict[str, int] = field(default_factory=dict)
    requirements: dict[str, int] = field(default_factory=dict)


def assessments(session: Session, client_id: int) -> list[Completed]:
    """The client's assessments, oldest first (by date assessed, then by recording); two
    SELECTs whatever their number."""
    rows = session.execute(
        select(Assessment, col(User.display_name))
        .outerjoin(User, col(User.id) == col(Assessment.recorded_by))
        .where(col(Assessment.client_id) == client_id)
        .order_by(col(Assessment.assessed_on), col(Assessment.id))
    ).all()
    ids = [a.id for a, _name in rows]
    scores: dict[int, list[AssessmentScore]] = {i: [] for i in ids if i is not None}
    if ids:
        for score in session.execute(
            select(AssessmentScore).where(col(AssessmentScore.assessment_id).in_(ids))
        ).scalars():
            scores[score.assessment_id].append(score)
    found = []
    for a, name in rows:
        assert a.id is not None
        items = scores[a.id]
        found.append(
            Completed(
                id=a.id,
                instrument=a.instrument,
                assessed_on=a.assessed_on,
                recorded_at=a.recorded_at,
                recorded_by=name,
                requirement_of=a.requirement_of,
                scores={s.item: s.score for s in items},
                requirements={s.item: s.requirement for s in items if s.requirement is not None},
            )
        )
    return found


def by_instrument(found: list[Completed]) -> dict[str, list[Completed]]:
    """Assessments grouped by instrument key (each list oldest first)."""
    grouped: dict[str, list[Completed]] = {}
    for a in found:
        grouped.setdefault(a.instrument, []).append(a)
    return grouped


@dataclass(frozen=True)
class Difference:
    """One item compared: ``first`` and ``second`` and ``second - first``."""

    item: str
    first: int
    second: int

    @property
    def difference(self) -> int:
        return self.second - self.first


def _ordered(instrument: Instrument, keys: set[str]) -> list[str]:
    return [item.key for item in instrument.items if item.key in keys]


def changes(instrument: Instrument, previous: Completed, latest: Completed) -> list[Difference]:
    """Per item scored in both, in the instrument's order: previous, latest, the change."""
    both = set(previous.scores) & set(latest.scores)
    return [
        Difference(key, previous.scores[key], latest.scores[key])
        for key in _ordered(instrument, both)
    ]


def gaps(instrument: Instrument, assessment: Completed) -> list[Difference]:
    """Items where the requirement (``second``) exceeds the client's ability (``first``),
    largest gap first (ties in the instrument's order)."""
    found = [
        Difference(key, assessment.scores[key], assessment.requirements[key])
        for key in _ordered(instrument, set(assessment.requirements) & set(assessment.scores))
        if assessment.requirements[key] > assessment.scores[key]
    ]
    return sorted(found, key=lambda d: -d.difference)


def strong_points(instrument: Instrument, assessment: Completed) -> list[Difference]:
    """Items where the client's ability (``second``) is above the requirement (``first``),
    largest margin first."""
    found = [
        Difference(key, assessment.requirements[key], assessment.scores[key])
        for key in _ordered(instrument, set(assessment.requirements) & set(assessment.scores))
        if assessment.scores[key] > assessment.requirements[key]
    ]
    return sorted(found, key=lambda d: -d.difference)
