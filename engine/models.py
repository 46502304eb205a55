"""SQLModel tables: the persistent shape of organisations, users, clients, care teams, journeys,
sessions and the access and disclosure logs.

Every schema change goes through an Alembic migration in ``engine/migrations/versions``; a meta-test
checks that the migrations and these models agree.

A *journey* is one client's run through one pathway (the client journey itself, a referral
handoff, a group membership); ``state`` is a projection of the append-only ``journey_event`` log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python, on every database.

    PostgreSQL keeps the zone (timestamptz); SQLite has no time zone type and would hand back a
    naive datetime. Naive values given to the database are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class OrganisationKind(StrEnum):
    #: The coaching project's own organisation (hanke): holds client records.
    project = "project"
    #: A partner agency (kumppaniorganisaatio) that receives referrals.
    partner = "partner"
    #: A funder (rahoittaja) that receives a project's reports (docs/reporting.md).
    funder = "funder"


class Role(StrEnum):
    """What a user does; :mod:`engine.access` decides what each role may see."""

    #: Valmentaja / etsivä työntekijä: works with the clients of their care teams.
    coach = "coach"
    #: Projektipäällikkö / koordinaattori: aggregates of their organisation, client log reports.
    coordinator = "coordinator"
    #: Kumppaniorganisaation työntekijä: referrals addressed to their organisation (later issue).
    partner = "partner"
    #: Pääkäyttäjä: manages users; reads no client data.
    admin = "admin"


class Organisation(SQLModel, table=True):
    """The coaching project's own organisation or a partner agency (kumppaniorganisaatio)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20, description="project | partner (OrganisationKind)")
    #: Municipality codes (kuntanumero) this organisation works in, comma-separated.
    municipality_codes: str = Field(default="", max_length=500)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class User(SQLModel, table=True):
    """A person who logs in: coach, coordinator, partner worker or admin."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20, description="coach | coordinator | partner | admin (Role)")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    is_active: bool = True
    created_at: datetime = _ts(nullable=False, default=utcnow)
    #: Argon2id hash (PHC string); None: the user cannot log in with a password.
    password_hash: str | None = Field(default=None, max_length=255)
    #: Base32 TOTP secret; required for login outside demo mode.
    totp_secret: str | None = Field(default=None, max_length=64)
    #: The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: int | None = None


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
    #: The organisation that keeps this client's record (rekisterinpitäjä); set from the creating
    #: coach, never from input. None only for rows from before organisations existed (0002):
    #: such a record reaches nobody but its care team.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    #: How the client was found (FoundVia), asked at intake; None: not asked (older records).
    found_via: str | None = Field(default=None, max_length=32)

    __table_args__ = (Index("ix_client_name", "last_name", "first_name"),)


class CareTeamRole(StrEnum):
    """What a member does in the client's care team (issue 18: pair work, parallel coaching)."""

    #: Tavoitevalmentaja: the client's own coach for their goals.
    goal_coach = "goal_coach"
    #: Työhönvalmentaja: coaching towards work or studies, in parallel with the goal coach.
    job_coach = "job_coach"
    #: Etsivä työntekijä: outreach work.
    outreach_worker = "outreach_worker"
    #: Kunnan yhteyshenkilö: the municipality's contact person for this client.
    municipal_contact = "municipal_contact"
    other = "other"


class CareTeam(SQLModel, table=True):
    """One user's membership in one client's care team (asiakkaan työryhmä), with validity dates.

    A coach processes a client's data only through such a row (Client Data Act 703/2023: a client
    relationship or another work task). ``valid_to`` is the last day of membership, inclusive;
    None means open-ended.
    """

    __tablename__ = "care_team"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    user_id: int = Field(foreign_key="app_user.id")
    valid_from: date
    valid_to: date | None = None
    #: What the member does for this client (:class:`CareTeamRole`); access does not depend on it.
    role: str = Field(
        default=CareTeamRole.goal_coach.value,
        max_length=32,
        sa_column_kwargs={"server_default": CareTeamRole.goal_coach.value},
    )
    created_at: datetime = _ts(nullable=False, default=utcnow)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")

    __table_args__ = (
        Index("ix_care_team_user_client", "user_id", "client_id"),
        Index("ix_care_team_client", "client_id"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="ck_care_team_dates"),
    )


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
    #: The hash of the journey's latest event (the head of its hash chain, engine/chain.py):
    #: the next event links to it without reading the previous event.
    event_hash: str = Field(
        default="", sa_column=Column(String(64), nullable=False, server_default="")
    )
    #: The furthest funnel stage (index into ``engine.pathway.FUNNEL_STAGES``) the journey's own
    #: events ever entered (``Pathway.funnel_rank``), or NULL for none: written with each event in
    #: the same statement, so the funnel reads one row per journey instead of the event log;
    #: ``polku db verify`` proves it equals the log (engine/integrity.py).
    furthest_stage: int | None = Field(default=None)

    #: No index holds ``state``, ``version`` or ``updated_at``, the columns a transition changes,
    #: so its UPDATE can be a HOT update on PostgreSQL (migration 0009; issue 16).
    __table_args__ = (Index("ix_journey_pathway_key", "pathway_key"),)


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
    #: The hash of the journey's previous event (tamper evidence, engine/chain.py).
    prev_hash: str = Field(
        default="", sa_column=Column(String(64), nullable=False, server_default="")
    )

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


class ContactKind(StrEnum):
    """How a coach met or reached the client (yhteydenoton tapa)."""

    #: Kotikäynti.
    home_visit = "home_visit"
    #: Tapaaminen (at the project's premises or elsewhere agreed).
    meeting = "meeting"
    #: Puhelu.
    phone = "phone"
    #: Etätapaaminen (video or chat).
    remote = "remote"
    #: Saattaen palveluun: the coach went with the client to a service.
    escorted = "escorted"
    #: Etsivä työ kadulla: outreach on the street.
    street_outreach = "street_outreach"
    #: Jälkiseuranta: an aftercare check-in after a follow-on pathway started (engine/aftercare).
    aftercare = "aftercare"


class ContactEntry(SQLModel, table=True):
    """One contact with a client in individual work (yksilötyön kontakti): who, when, how, how
    long, a short note and optionally the next agreed contact date (the follow-up).

    The note is client data (special category): it never goes into application logs.
    """

    __tablename__ = "contact_entry"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    coach_id: int = Field(foreign_key="app_user.id")
    occurred_at: datetime = _ts(nullable=False)
    kind: str = Field(max_length=20, description="ContactKind")
    duration_minutes: int | None = None
    note: str = Field(default="", max_length=1000)
    #: The next contact agreed with the client (seuraava yhteydenotto); drives "follow-up due".
    next_contact_on: date | None = None
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    #: Pair work (työparityöskentely): the second worker at the contact; ``coach_id`` wrote it.
    #: Being named here gives no access to the client (access stays per person).
    pair_worker_id: int | None = Field(default=None, foreign_key="app_user.id")

    __table_args__ = (
        Index("ix_contact_entry_client_time", "client_id", "occurred_at"),
        CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0", name="ck_contact_entry_duration"
        ),
    )


class UserSession(SQLModel, table=True):
    """A server-side login session. Only a SHA-256 of the cookie's token is stored.

    Ends on logout (row deleted), after ``session_idle_minutes`` without a request, or
    ``session_absolute_hours`` after ``created_at``.
    """

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    last_seen_at: datetime = _ts(nullable=False, default=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token for an integration, acting as its user. Only a SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    #: What the token is for, e.g. "ESF+ reporting export" (no client data).
    name: str = Field(max_length=100)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """One password login attempt, for throttling. The username is kept only as a SHA-256 (people
    type passwords into the username field); rows older than a day are purged."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username_hash: str = Field(max_length=64)
    ip: str = Field(max_length=45)
    succeeded: bool
    attempted_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_login_attempt_username", "username_hash", "attempted_at"),
        Index("ix_login_attempt_ip", "ip", "attempted_at"),
    )


class AccessLog(SQLModel, table=True):
    """Append-only: one row per view of a client's data (käyttöloki, Client Data Act 703/2023 §11).

    Ids and codes only: ``what`` names the view ("journey", "triggers", ...), ``basis`` the reason
    access was allowed ("care_team", ...). UPDATE and DELETE are refused by database triggers.
    """

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _ts(nullable=False, default=utcnow)
    user_id: int = Field(foreign_key="app_user.id")
    #: The viewer's organisation at the time of the view.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    #: No foreign key: the log outlives the client record (engine/retention.py).
    client_id: int
    what: str = Field(max_length=64)
    basis: str = Field(max_length=64)
    #: The hash of the client's previous access-log row (engine/chain.py).
    prev_hash: str = Field(
        default="", sa_column=Column(String(64), nullable=False, server_default="")
    )

    __table_args__ = (Index("ix_access_log_client", "client_id", "occurred_at"),)


class Disclosure(SQLModel, table=True):
    """Append-only: one row per disclosure of a client's data to another organisation
    (luovutusloki). Ids and codes only; UPDATE and DELETE are refused by database triggers."""

    __tablename__ = "disclosure"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = _ts(nullable=False, default=utcnow)
    #: No foreign key: the log outlives the client record (engine/retention.py).
    client_id: int
    recipient_organisation_id: int = Field(foreign_key="organisation.id")
    disclosed_by: int | None = Field(default=None, foreign_key="app_user.id")
    #: What was handed over, e.g. "referral_packet".
    what: str = Field(max_length=64)
    #: Why it was allowed, e.g. "consent" or a statute code.
    basis: str = Field(max_length=64)
    #: The hash of the client's previous disclosure-log row (engine/chain.py).
    prev_hash: str = Field(
        default="", sa_column=Column(String(64), nullable=False, server_default="")
    )

    __table_args__ = (Index("ix_disclosure_client", "client_id", "occurred_at"),)


# --- referral handoffs (lähete jatkopolulle): docs/referrals.md ----------------------------------


class PartnerService(SQLModel, table=True):
    """A follow-on service (jatkopalvelu) in the partner catalogue: which partner organisation
    receives referrals to a plugin's referral target, with its capacity and promised response
    time. Edited by an admin; the target itself (and who may go) comes from the plugins."""

    __tablename__ = "partner_service"

    id: int | None = Field(default=None, primary_key=True)
    #: The plugins' ReferralTarget key, e.g. "tunturi_lappi.ohjaamo.ohjaamo".
    target_key: str = Field(max_length=200, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    #: One of engine.partner_catalogue.SERVICE_TYPES (kuntouttava työtoiminta, työkokeilu, ...).
    service_type: str = Field(max_length=64)
    municipality_code: str = Field(max_length=3)
    capacity: int | None = None
    waiting_list: int | None = None
    #: Promised response time in days; None: the Settings default.
    response_days: int | None = None
    #: The service's intake address for "you have a new referral" e-mails (never a person's).
    notify_email: str | None = Field(default=None, max_length=200)


class Consent(SQLModel, table=True):
    """The client's consent (suostumus) to disclose data to one recipient organisation.

    ``scope`` lists the packet fields that may be disclosed (comma-separated). Revoking sets
    ``revoked_at``: the access policy checks it at every request, so the partner loses access
    at once."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    scope: str = Field(max_length=500)
    purpose: str = Field(max_length=500)
    given_at: datetime = _ts(nullable=False)
    #: verbal | written | electronic
    evidence: str = Field(max_length=20)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    revoked_at: datetime | None = _ts(nullable=True)
    revoked_by: int | None = Field(default=None, foreign_key="app_user.id")


class Referral(SQLModel, table=True):
    """A referral handoff (lähete): a journey of pathway ``referral`` of the client, sent to a
    partner organisation. Its status is the journey's state; its history the journey events.
    ``packet`` is the snapshot of what was disclosed, and all the partner ever sees."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    journey_id: int = Field(foreign_key="journey.id", unique=True)
    target_key: str = Field(max_length=200)
    service_type: str = Field(max_length=64)
    #: "follow_on" (jatkopolku: moves the client journey) or "supporting" (a service alongside
    #: the work: never moves it); engine.partner_catalogue.kind_of(service_type) at sending.
    kind: str = Field(default="follow_on", max_length=16)
    from_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    to_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    consent_id: int | None = Field(default=None, foreign_key="consent.id")
    #: A named statutory basis entered by the coach instead of consent, e.g. "1301/2014:41§".
    statutory_basis: str | None = Field(default=None, max_length=64)
    packet: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts(nullable=False, default=utcnow)
    #: The answer is due by then (the service's promised response time).
    due_at: datetime = _ts(nullable=False)
    #: Set once by ``polku referrals expire`` when still unanswered at ``due_at``.
    expired_at: datetime | None = _ts(nullable=True)

    __table_args__ = (
        CheckConstraint(
            "consent_id IS NOT NULL OR statutory_basis IS NOT NULL", name="ck_referral_basis"
        ),
    )


class Notification(SQLModel, table=True):
    """An in-app notification (ilmoitus) to one user. Codes and ids only, no client data."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    #: e.g. "referral_received", "referral_rejected", "referral_expired".
    kind: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    read_at: datetime | None = _ts(nullable=True)

    __table_args__ = (Index("ix_notification_user", "user_id", "created_at"),)


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be sent by ``polku outbox send`` (generic text, no client data)."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    sent_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    next_attempt_at: datetime = _ts(nullable=False, default=utcnow)
    last_error: str | None = Field(default=None, max_length=500)


# --- GAS goals (tavoitteet, Goal Attainment Scaling): engine/goals.py ----------------------------


class GasGoal(SQLModel, table=True):
    """One GAS goal of a client (tavoite): the goal and its five levels -2..+2, each described
    in the client's own words, the baseline (-1, or -2 when nothing worse is possible) and the
    weight (importance x difficulty, each 0-3; both None: unweighted, weight 1).

    A goal may be saved before every level is described (a draft); it can be rated, and it
    counts for the ``gas_goals_described`` guard, only once all five are. The texts are client
    data: they never go into application logs.
    """

    __tablename__ = "gas_goal"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    goal: str = Field(max_length=500)
    level_minus_2: str = Field(default="", max_length=500)
    level_minus_1: str = Field(default="", max_length=500)
    level_0: str = Field(default="", max_length=500)
    level_plus_1: str = Field(default="", max_length=500)
    level_plus_2: str = Field(default="", max_length=500)
    baseline: int = Field(default=-1)
    importance: int | None = None
    difficulty: int | None = None
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("baseline IN (-2, -1)", name="ck_gas_goal_baseline"),
        CheckConstraint(
            "(importance IS NULL AND difficulty IS NULL) OR (importance BETWEEN 0 AND 3"
            " AND difficulty BETWEEN 0 AND 3)",
            name="ck_gas_goal_weight",
        ),
    )


class GasRating(SQLModel, table=True):
    """Append-only: one goal's level (-2..+2) at one follow-up (seuranta) date. A correction is
    a new row for the same goal and date; the latest recorded one counts."""

    __tablename__ = "gas_rating"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="gas_goal.id")
    client_id: int = Field(foreign_key="client.id")
    rated_on: date
    level: int
    rated_by: int | None = Field(default=None, foreign_key="app_user.id")
    rated_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_gas_rating_client_date", "client_id", "rated_on"),
        CheckConstraint("level BETWEEN -2 AND 2", name="ck_gas_rating_level"),
    )


# --- assessments, strengths and experiences (arvioinnit, vahvuudet, kokemukset) ------------------


class Assessment(SQLModel, table=True):
    """One completed assessment of a client with an instrument (``Runtime.instruments`` key),
    append-only: a new assessment is recorded, an old one is never changed (the change over
    time is the point). Scores are in :class:`AssessmentScore`, one row per item, so any
    plugin-contributed instrument fits without a schema change."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    instrument: str = Field(max_length=64)
    assessed_on: date
    #: For an instrument ``with_requirement``: the job or activity the requirement is of.
    requirement_of: str | None = Field(default=None, max_length=200)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_assessment_client_instrument", "client_id", "instrument", "assessed_on"),
    )


class AssessmentScore(SQLModel, table=True):
    """The score of one item of an assessment (and the requirement, for a requirement
    profile). Scores only: the item texts of a licensed form are never stored."""

    __tablename__ = "assessment_score"

    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True)
    item: str = Field(max_length=64, primary_key=True)
    score: int
    requirement: int | None = None


class StrengthCategory(StrEnum):
    """How a strength (vahvuus) is grouped on the strengths page and the CV."""

    skill = "skill"
    quality = "quality"
    interest = "interest"
    other = "other"


class Strength(SQLModel, table=True):
    """A strength in the client's own words (e.g. "hyvä kuuntelija"); the care team edits."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    category: str = Field(max_length=20, description="StrengthCategory")
    text: str = Field(max_length=200)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime | None = _ts(nullable=True)


class ExperienceKind(StrEnum):
    """What kind of experience (kokemus) it is; the CV's sections."""

    work = "work"
    studies = "studies"
    volunteering = "volunteering"
    other = "other"


class Experience(SQLModel, table=True):
    """Work, studies, volunteering or hobbies the client has done: the CV's experiences."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=20, description="ExperienceKind")
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    #: As the client puts it: "2019-2021", "kesä 2023".
    period: str = Field(default="", max_length=60)
    description: str = Field(default="", max_length=1000)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime | None = _ts(nullable=True)


class CVContact(SQLModel, table=True):
    """The contact details the client chooses to show on their CV (they may differ from the
    client record's, and the record's are never shown unless chosen here)."""

    __tablename__ = "cv_contact"

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    #: Where the client lives or wants work, as they put it ("Kittilä").
    location: str = Field(default="", max_length=100)
    updated_by: int = Field(foreign_key="app_user.id")
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class QualificationKind(StrEnum):
    """What kind of qualification or card (tutkinto, kortti) a client has gained."""

    #: Tutkinnon osa: a part of a vocational qualification.
    partial_qualification = "partial_qualification"
    #: Hygieniapassi.
    hygiene_card = "hygiene_card"
    #: Työturvallisuuskortti.
    work_safety_card = "work_safety_card"
    #: Anything else with a certificate: a first-aid card, a forklift licence, a whole degree.
    other = "other"


class Qualification(SQLModel, table=True):
    """A qualification or card the client has gained (name, date, issuer): on the client page,
    the CV, and counted for the funder as "gained a qualification" (engine/qualifications.py)."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=32, description="QualificationKind")
    name: str = Field(max_length=200)
    gained_on: date
    issuer: str = Field(max_length=200)
    #: A card that runs out (työturvallisuuskortti: five years); empty when it does not.
    valid_until: date | None = None
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime | None = _ts(nullable=True)


# --- the client's voice (asiakkaan ääni): engine/voice.py -----------------------------------------


class FeedbackTheme(StrEnum):
    """What kind of activity a client wishes for (toiveet), chosen from a list."""

    work = "work"
    study = "study"
    everyday_skills = "everyday_skills"
    health = "health"
    leisure = "leisure"
    peer_group = "peer_group"
    other = "other"


class FeedbackChannel(StrEnum):
    #: Recorded by the coach with the client, on the client page.
    coach = "coach"
    #: Given by the client on their own phone through a one-time link.
    link = "link"


class Feedback(SQLModel, table=True):
    """Feedback and wishes (palaute ja toiveet) of one client: how satisfied (1-5), what helped,
    what to change, and a wish for activities (a theme and free text). Client data: the care
    team reads it; the coordinator sees counts and themes only."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    given_on: date
    channel: str = Field(max_length=16, description="FeedbackChannel")
    satisfaction: int
    helped: str = Field(default="", max_length=1000)
    change: str = Field(default="", max_length=1000)
    wish_theme: str | None = Field(default=None, max_length=32, description="FeedbackTheme")
    wish: str = Field(default="", max_length=1000)
    #: The coach who recorded it; empty when the client gave it through a link.
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    link_id: int | None = Field(default=None, foreign_key="feedback_link.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)


class FeedbackLink(SQLModel, table=True):
    """A one-time feedback link (palautelinkki) given to the client: only the SHA-256 of its
    secret is stored; it expires and is used at most once."""

    __tablename__ = "feedback_link"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    #: The page's language (fi, sv, en); empty: the client's browser decides.
    language: str = Field(default="", max_length=8)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _ts(nullable=False, default=utcnow)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts(nullable=True)


class VoiceRoleKind(StrEnum):
    """A role a (former) client can hold in the project's work."""

    #: Kokemusasiantuntija.
    experience_expert = "experience_expert"
    #: Vertaisohjaaja.
    peer_instructor = "peer_instructor"


class VoiceRole(SQLModel, table=True):
    """An experience expert's or peer instructor's role of a (former) client, with its validity
    dates and the client's consent to hold it (and to be listed for the coordinator)."""

    __tablename__ = "voice_role"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=32, description="VoiceRoleKind")
    valid_from: date
    valid_to: date | None = None
    #: How the consent was given (engine.consents.EVIDENCE) and when.
    consent_evidence: str = Field(max_length=16)
    consent_given_on: date
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)


# --- groups (ryhmät): engine/groups.py, docs/architecture.md "Groups" ----------------------------


class GroupLeaderKind(StrEnum):
    #: Ohjaaja: a coach of the project who runs the group.
    leader = "leader"
    #: Kumppanin työntekijä apuohjaajana: sees the group, member names and attendance only.
    co_leader = "co_leader"


class ClientGroup(SQLModel, table=True):
    """A group (ryhmä), e.g. an 8-week group meeting once a week. Kept by the organisation of
    the coach who created it; its sessions are generated from the schedule."""

    __tablename__ = "client_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    #: Official municipality code (kuntanumero) known to the plugins.
    municipality_code: str = Field(max_length=3)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    place: str = Field(default="", max_length=200)
    meeting_count: int
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("meeting_count BETWEEN 1 AND 52", name="ck_client_group_meetings"),
    )


class GroupLeader(SQLModel, table=True):
    """A user who leads (a coach) or co-leads (a partner worker) a group."""

    __tablename__ = "group_leader"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="client_group.id")
    user_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=20, description="leader | co_leader (GroupLeaderKind)")

    __table_args__ = (
        UniqueConstraint("group_id", "user_id", name="uq_group_leader"),
        Index("ix_group_leader_user", "user_id", "group_id"),
    )


class GroupSession(SQLModel, table=True):
    """One meeting (tapaaminen) of a group: number, time and topic (editable)."""

    __tablename__ = "group_session"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="client_group.id")
    number: int
    starts_at: datetime = _ts(nullable=False)
    topic: str = Field(default="", max_length=200)

    __table_args__ = (UniqueConstraint("group_id", "number", name="uq_group_session_number"),)


class GroupMembership(SQLModel, table=True):
    """A client's membership of a group: a journey of pathway ``group_membership`` (its state
    and history live there). ``attended_from`` is set when the client starts attending; the
    partner co-leader sees only such members."""

    __tablename__ = "group_membership"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="client_group.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    journey_id: int = Field(foreign_key="journey.id", unique=True)
    attended_from: datetime | None = _ts(nullable=True)
    added_by: int | None = Field(default=None, foreign_key="app_user.id")
    added_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("group_id", "client_id", name="uq_group_membership"),)


class AttendanceMark(SQLModel, table=True):
    """Append-only: one attendance mark (läsnäolomerkintä) of one member at one session, who
    marked it and when. A change of mind is a new row; the latest row per (session, membership)
    is the attendance."""

    __tablename__ = "attendance_mark"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="group_session.id")
    membership_id: int = Field(foreign_key="group_membership.id")
    present: bool
    marked_by: int | None = Field(default=None, foreign_key="app_user.id")
    marked_at: datetime = _ts(nullable=False, default=utcnow)
    #: Absent: why (an :class:`AbsenceReason`; None: not given), and whether the client let
    #: the leaders know beforehand (engine/attendance.py).
    absence_reason: str | None = Field(default=None, max_length=20)
    notified: bool | None = None

    __table_args__ = (Index("ix_attendance_mark_membership", "membership_id", "session_id", "id"),)


class AbsenceReason(StrEnum):
    """Why a client was absent (poissaolon syy)."""

    ill = "ill"
    other_appointment = "other_appointment"
    no_notice = "no_notice"


# --- events (tapahtumat): engine/events.py, docs/architecture.md "Events" ------------------------


class EventKind(StrEnum):
    #: Asiantuntijatapaaminen, e.g. a psychologist's capacity assessment, a debt-advice talk.
    expert_session = "expert_session"
    #: Kurssi: one session of a course (IT skills, job-search skills).
    course_session = "course_session"
    #: Tutustumiskäynti: a study visit to a company or a school.
    study_visit = "study_visit"
    #: Vertaisryhmä: a peer group meeting.
    peer_group = "peer_group"
    #: Etätapaaminen: a remote session.
    remote_session = "remote_session"
    #: Asiakasraati: a client panel.
    client_panel = "client_panel"


class Event(SQLModel, table=True):
    """An event (tapahtuma): one session or a weekly series of them, led by a staff user or an
    outside expert (name and organisation), at a place or remote. Kept by the organisation of
    the coach who created it."""

    __tablename__ = "activity_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="EventKind")
    title: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    #: Official municipality code (kuntanumero): whose holidays the series skips.
    municipality_code: str = Field(max_length=3)
    leader_id: int | None = Field(default=None, foreign_key="app_user.id")
    expert_name: str = Field(default="", max_length=200)
    expert_organisation: str = Field(default="", max_length=200)
    place: str = Field(default="", max_length=200)
    remote: bool = False
    created_by: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class EventSession(SQLModel, table=True):
    """One session of an event: its number and time; a cancelled one is not held."""

    __tablename__ = "event_session"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="activity_event.id")
    number: int
    starts_at: datetime = _ts(nullable=False)
    cancelled_at: datetime | None = _ts(nullable=True)

    __table_args__ = (UniqueConstraint("event_id", "number", name="uq_event_session_number"),)


class EventParticipant(SQLModel, table=True):
    """A client taking part in an event (added by a coach from their own clients)."""

    __tablename__ = "event_participant"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="activity_event.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    added_by: int | None = Field(default=None, foreign_key="app_user.id")
    added_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("event_id", "client_id", name="uq_event_participant"),)


class EventAttendance(SQLModel, table=True):
    """Append-only, like :class:`AttendanceMark`: one participant's attendance at one session;
    the latest row per (session, participant) is the attendance."""

    __tablename__ = "event_attendance"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="event_session.id")
    participant_id: int = Field(foreign_key="event_participant.id")
    present: bool
    absence_reason: str | None = Field(default=None, max_length=20)
    notified: bool | None = None
    marked_by: int | None = Field(default=None, foreign_key="app_user.id")
    marked_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_event_attendance_participant", "participant_id", "session_id", "id"),
    )


# --- tamper evidence and retention: engine/chain.py, engine/retention.py -------------------------


class LogChain(SQLModel, table=True):
    """The head of one client's access-log or disclosure-log hash chain (``stream``: the table).

    Writers lock this row (an upsert) before they link a new log row to ``head``, so two
    transactions never fork a client's chain. ``anchor`` is what the oldest remaining row links
    to: the genesis value, or the hash of the last row retention removed."""

    __tablename__ = "log_chain"

    stream: str = Field(max_length=32, primary_key=True)
    client_id: int = Field(primary_key=True)
    head: str = Field(max_length=64)
    anchor: str = Field(max_length=64)


class RetentionTombstone(SQLModel, table=True):
    """What retention (or an erasure request) did to one client's record, without personal data:
    the client's id, the rule applied with its legal source, the counts of rows removed per
    table, or why an erasure request was refused. Append-only."""

    __tablename__ = "retention_tombstone"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int
    #: removed | erasure_refused
    action: str = Field(max_length=32)
    rule: str = Field(max_length=64)
    legal_source: str = Field(max_length=500)
    #: The day the record was closed (the retention period counts from it); None: still open.
    closed_on: date | None = None
    #: The first day the record may be removed.
    due_on: date | None = None
    #: Rows removed per table, e.g. {"journey_event": 12}; the refusal's reason code otherwise.
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: datetime = _ts(nullable=False, default=utcnow)


# --- ESF+ reporting: projects (hankkeet) and participant data (osallistujatiedot) ----------------
# engine/projects.py, engine/participants.py, engine/esf_report.py, docs/reporting.md


class FoundVia(StrEnum):
    """How the client was found (mistä asiakas löytyi), asked at intake and reported."""

    diaconia = "diaconia"
    social_work = "social_work"
    employment_services = "employment_services"
    health_care = "health_care"
    self_referred = "self_referred"
    street_outreach = "street_outreach"
    other = "other"


class Project(SQLModel, table=True):
    """A funded project (hanke), e.g. an ESF+ project: its code, name, period, the participant
    form file it collects (``forms/<form_key>.yaml``), the funder that receives its reports and
    the planned number of participants over all its implementers."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    form_key: str = Field(max_length=64)
    #: The organisation the reports go to (rahoittaja, e.g. an ELY centre): the recipient of
    #: an export's disclosure-log rows.
    funder_organisation_id: int = Field(foreign_key="organisation.id")
    planned_participants: int | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ck_project_period"),
        CheckConstraint(
            "planned_participants IS NULL OR planned_participants >= 0", name="ck_project_planned"
        ),
    )


class ProjectOrganisation(SQLModel, table=True):
    """An organisation taking part in a project: the main implementer (päätoteuttaja) or a
    co-implementer (osatoteuttaja), with the municipalities it works in for the project and its
    own planned number of participants."""

    __tablename__ = "project_organisation"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    #: main | co
    role: str = Field(max_length=10)
    #: Municipality codes (kuntanumero), comma-separated.
    municipality_codes: str = Field(default="", max_length=500)
    planned_participants: int | None = None

    __table_args__ = (
        UniqueConstraint("project_id", "organisation_id", name="uq_project_organisation"),
        CheckConstraint("role IN ('main', 'co')", name="ck_project_organisation_role"),
    )


class ProjectParticipant(SQLModel, table=True):
    """A client as a participant of one project: counted once per project, known to the funder
    only by ``number`` (the project participant number), never by name or identity code."""

    __tablename__ = "project_participant"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    number: int
    #: The implementer whose participant this is (the client's organisation at the first entry).
    organisation_id: int = Field(foreign_key="organisation.id")
    created_at: datetime = _ts(nullable=False, default=utcnow)
    #: The forms the funder report counts, kept with every form written (in the same
    #: transaction; ``engine.participants.refresh_picks``, checked by ``polku db verify``): the
    #: first standing entry, the last standing exit and the last standing follow-up, by date.
    entry_form_id: int | None = None
    exit_form_id: int | None = None
    follow_up_form_id: int | None = None

    __table_args__ = (
        UniqueConstraint("project_id", "client_id", name="uq_project_participant_client"),
        UniqueConstraint("project_id", "number", name="uq_project_participant_number"),
    )


class ParticipantForm(SQLModel, table=True):
    """Append-only: one filled form of a participant (entry, exit or six-month follow-up), its
    answers as checked against the form file's version. A correction is a new row naming the
    row it corrects (``corrects_id``); the corrected row stays."""

    __tablename__ = "participant_form"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="project_participant.id")
    #: entry | exit | follow_up
    kind: str = Field(max_length=20)
    form_key: str = Field(max_length=64)
    form_version: int
    #: The entry date, the exit date, or the follow-up date.
    occurred_on: date
    #: jsonb on PostgreSQL (parsed once when written; the report reads ten answers a form).
    answers: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    )
    #: For an exit: when the six-month follow-up falls due.
    follow_up_due_on: date | None = None
    corrects_id: int | None = Field(default=None, foreign_key="participant_form.id", index=True)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = _ts(nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_participant_form_participant", "participant_id", "kind", "occurred_on"),
        CheckConstraint("kind IN ('entry', 'exit', 'follow_up')", name="ck_participant_form_kind"),
    )
