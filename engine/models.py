"""SQLModel tables: the persistent shape of organisations, users, clients and journeys.

Every schema change goes through an Alembic migration in ``engine/migrations/versions``; a meta-test
checks that the migrations and these models agree.

A *journey* is one client's run through one pathway (the client journey itself, a referral
handoff, a group membership); ``state`` is a projection of the append-only ``journey_event`` log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))


class Organisation(SQLModel, table=True):
    """The coaching project's own organisation or a partner agency (kumppaniorganisaatio)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20, description="project | partner")
    #: Municipality codes (kuntanumero) this organisation works in, comma-separated.
    municipality_codes: str = Field(default="", max_length=500)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class User(SQLModel, table=True):
    """A person who logs in: coach, coordinator, partner worker or admin."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20, description="coach | coordinator | partner | admin | system")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    is_active: bool = True
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Client(SQLModel, table=True):
    """A person the project works with (asiakas). Special-category personal data: every field."""

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    birth_date: date | None = None
    #: Official municipality code (kuntanumero), e.g. "261" for Kittilä.
    municipality_code: str = Field(max_length=3, index=True)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    #: When the client agreed to take part (voluntary participation); None = not yet.
    participation_consent_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")

    __table_args__ = (Index("ix_client_name", "last_name", "first_name"),)


class Journey(SQLModel, table=True):
    """One client's run through one pathway version. ``version`` counts committed transitions."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    pathway_key: str = Field(max_length=64)
    pathway_version: int
    state: str = Field(max_length=64)
    version: int = Field(default=1)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (Index("ix_journey_pathway_state", "pathway_key", "state"),)


class JourneyEvent(SQLModel, table=True):
    """An append-only record of one transition (or the journey's start, or a version migration).

    ``seq`` equals the journey's ``version`` after the event; ``UNIQUE(journey_id, seq)`` is the
    second line of defence against two writers committing the same step.
    """

    __tablename__ = "journey_event"

    id: int | None = Field(default=None, primary_key=True)
    journey_id: int = Field(foreign_key="journey.id")
    seq: int
    occurred_at: datetime = _ts(nullable=False, default=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    trigger: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=64)
    to_state: str = Field(max_length=64)
    pathway_version: int
    reason: str | None = Field(default=None, max_length=2000)
    outcome: str | None = Field(default=None, max_length=64)
    #: Every guard's verdict: [{"rule", "allowed", "reason": {lang: text}, "legal_source"}].
    verdicts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))

    __table_args__ = (
        UniqueConstraint("journey_id", "seq", name="uq_journey_event_journey_seq"),
        Index("ix_journey_event_to_state", "to_state"),
    )


class ClientFact(SQLModel, table=True):
    """A dated fact about a client that referral rules read (asiakkaan tiedot), e.g. unemployed
    since, benefit type, an activation plan made. Keys and value types come from the plugins'
    fact definitions (``polku_fact_definitions``); the value is stored as canonical text.

    Rows are only ever added: a change or a correction is a new row. The client's facts as of a
    date are, per key, the row with the latest ``valid_from`` on or before that date (the latest
    recorded one on a tie); a ``None`` value means "no longer known".
    """

    __tablename__ = "client_fact"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    key: str = Field(max_length=64)
    value: str | None = Field(default=None, max_length=500)
    #: The date from which the fact holds (as-of date), given by the coach; default: recorded.
    valid_from: date
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")

    __table_args__ = (Index("ix_client_fact_client_key", "client_id", "key", "valid_from"),)
