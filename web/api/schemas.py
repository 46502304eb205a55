"""Input and output models of the JSON API. Inputs forbid extra fields (no mass assignment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientCreate(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = None
    municipality_code: str = Field(pattern=r"^\d{3}$", description="kuntanumero, e.g. 261")
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None
    #: The client has agreed to take part (voluntary participation).
    participation_consent: bool = False


class AdvanceRequest(Strict):
    trigger: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    outcome: str | None = Field(default=None, max_length=64)
    #: The journey version the caller saw; a mismatch is a 409 Conflict.
    expected_version: int | None = Field(default=None, ge=1)


class VerdictOut(BaseModel):
    rule: str
    allowed: bool | None
    reason: dict[str, str]
    legal_source: str | None


class EventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor_id: int | None
    trigger: str
    from_state: str | None
    to_state: str
    pathway_version: int
    reason: str | None
    outcome: str | None
    verdicts: list[dict[str, Any]]


class JourneyOut(BaseModel):
    id: int
    client_id: int
    pathway_key: str
    pathway_version: int
    state: str
    state_label: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime


class JourneyDetail(JourneyOut):
    events: list[EventOut]


class ClientOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_code: str
    phone: str | None
    email: str | None
    participation_consent_at: datetime | None


class ClientCreated(BaseModel):
    client: ClientOut
    journey: JourneyOut


class TriggerOut(BaseModel):
    trigger: str
    label: dict[str, str]
    dest: str | None
    allowed: bool
    reason_required: bool
    outcomes: list[str]
    verdicts: list[VerdictOut]


class TriggersOut(BaseModel):
    journey_id: int
    state: str
    version: int
    allowed: list[TriggerOut]
    blocked: list[TriggerOut]


class AdvanceOut(BaseModel):
    journey_id: int
    state: str
    version: int
    event: EventOut
