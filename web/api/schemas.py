"""Input and output models of the JSON API. Inputs forbid extra fields (no mass assignment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.bounds import Id


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerdictOut(BaseModel):
    rule: str
    allowed: bool | None
    reason: dict[str, str]
    legal_source: str | None


class EventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor_id: Id | None
    trigger: str
    from_state: str | None
    to_state: str
    pathway_version: int
    reason: str | None
    outcome: str | None
    verdicts: list[dict[str, Any]]


class JourneyOut(BaseModel):
    id: int
    client_id: Id
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
    journey_id: Id
    state: str
    version: int
    allowed: list[TriggerOut]
    blocked: list[TriggerOut]


class AdvanceOut(BaseModel):
    journey_id: Id
    state: str
    version: int
    event: EventOut


# --- authentication -------------------------------------------------------------------------------


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=256)
    #: The 6-digit code from the authenticator app (not needed in demo mode).
    totp_code: str | None = Field(default=None, max_length=10)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    organisation_id: Id | None
    #: Send it back as the X-CSRF-Token header on every POST (None for bearer tokens).
    csrf_token: str | None


# --- users (admin) --------------------------------------------------------------------------------


class UserCreate(Strict):
    username: str = Field(min_length=2, max_length=100)
    display_name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern=r"^(coach|coordinator|partner|admin)$")
    organisation_id: Id | None = None
    #: The initial password (12-256 characters); the user changes it.
    password: str = Field(min_length=12, max_length=256)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    organisation_id: Id | None
    is_active: bool
    totp_enrolled: bool


class UserCreated(BaseModel):
    user: UserOut
    #: otpauth:// URI for the authenticator app; shown once.
    totp_provisioning_uri: str | None


# --- care teams and the client log ----------------------------------------------------------------


class CareTeamEnd(Strict):
    #: The last day of membership, inclusive (default: today).
    last_day: date | None = None


class CareTeamMemberOut(BaseModel):
    id: int
    client_id: Id
    user_id: Id
    valid_from: date
    valid_to: date | None
    role: str


class CareTeamOut(BaseModel):
    client_id: Id
    members: list[CareTeamMemberOut]


class AccessEntryOut(BaseModel):
    at: datetime
    user_id: Id
    user_name: str
    organisation_id: Id | None
    organisation_name: str | None
    what: str
    basis: str


class DisclosureEntryOut(BaseModel):
    at: datetime
    organisation_id: Id
    organisation_name: str
    what: str
    basis: str
    disclosed_by: int | None


class ClientLogOut(BaseModel):
    """Who viewed the client's data and who received it (Client Data Act 703/2023 §11)."""

    client_id: Id
    since: datetime
    until: datetime
    accessed: list[AccessEntryOut]
    disclosed: list[DisclosureEntryOut]


# --- reports --------------------------------------------------------------------------------------


class FunnelStageOut(BaseModel):
    stage: str
    journeys: int


class FunnelOut(BaseModel):
    pathway: str
    organisation_id: Id
    municipality_code: str | None
    stages: list[FunnelStageOut]
