"""The client's own voice (asiakkaan ääni): feedback and wishes (palaute ja toiveet), one-time
feedback links, and the roles a (former) client can hold: experience expert
(kokemusasiantuntija) and peer instructor (vertaisohjaaja). docs/voice.md.

- **Feedback** has a few structured fields (:class:`NewFeedback`): how satisfied (1-5), what
  helped, what to change, and a wish for activities (a theme from :class:`FeedbackTheme` and
  free text). The coach records it with the client (:func:`record_feedback`), or the client
  gives it on their phone through a one-time link (:func:`give_by_link`).
- **A one-time link** (:func:`create_link`) is a random secret of 256 bits in the link's path;
  only its SHA-256 is stored. It expires (``POLKU_FEEDBACK_LINK_DAYS``, 7) and is used at most
  once: the use is one conditional UPDATE (``used_at IS NULL AND expires_at > now``), so two
  submissions racing each other store one answer. Its page shows nothing of the client. Its
  creation is an access-log row of the coach (``feedback_link``, written by the route's rule);
  its use an access-log row naming the worker who gave the link with the basis
  ``client_link`` (``feedback_by_link``). The secret itself is never logged or stored.
- **Roles** (:class:`NewVoiceRole`) have validity dates and the client's consent (how and when
  given); ending a role sets its last day. The coordinator lists the roles valid today
  (:func:`role_holders`: name, role, dates; each client listed is an access-log row).
- **The coordinator's summary** (:func:`summary`) counts the organisation's feedback of a
  period: answers, the satisfaction spread, the themes wished for, the channels. Never a name,
  never free text: the words stay on the client's page with their care team. A period with
  fewer than ``POLKU_FEEDBACK_MIN_ANSWERS`` (5) clients giving feedback shows no figures at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from engine.access import Basis, Principal, What
from engine.audit import record_access, record_accesses
from engine.clients import row_of_client
from engine.consents import EVIDENCE
from engine.errors import InvalidInput, NotFound
from engine.inputs import EARLIEST_DATE, Checks, Input, blank_is_none, checks_of, validated
from engine.models import (
    Client,
    Feedback,
    FeedbackChannel,
    FeedbackLink,
    FeedbackTheme,
    Role,
    User,
    VoiceRole,
    VoiceRoleKind,
)

#: The longest free text of a feedback field.
TEXT_MAX = 1000
#: The link's languages (a blank one: the client's browser decides).
LINK_LANGUAGES = ("fi", "sv", "en")
#: The fields of a feedback form (the public page takes these and nothing else).
FEEDBACK_FIELDS = ("satisfaction", "helped", "change", "wish_theme", "wish")
#: The fields of the coach's feedback form.
COACH_FEEDBACK_FIELDS = ("given_on", *FEEDBACK_FIELDS)
#: The fields of a role form.
ROLE_FIELDS = ("kind", "valid_from", "valid_to", "consent_evidence", "consent_given_on")

Text = Annotated[str, Field(max_length=TEXT_MAX)]


class LinkNotUsable(NotFound):
    """No usable feedback link with this secret: unknown, expired or used (one answer for all)."""

    code = "link_not_usable"


def _not_future(day: date | None, info: ValidationInfo, what: str) -> date | None:
    checks = checks_of(info)
    if day is not None and checks is not None and day > checks.today:
        raise ValueError(f"{what} cannot be in the future")
    if day is not None and day < EARLIEST_DATE:
        raise ValueError(f"{what} is after {EARLIEST_DATE.isoformat()}")
    return day


class NewFeedback(Input):
    """Feedback and wishes: how satisfied (1-5, required), what helped, what to change, a wish
    for activities (a theme and/or free text). ``given_on`` defaults to today (a link's
    answer is always today's)."""

    given_on: date | None = None
    satisfaction: int = Field(ge=1, le=5)
    helped: Text = ""
    change: Text = ""
    wish_theme: FeedbackTheme | None = None
    wish: Text = ""

    _blank = field_validator("given_on", "wish_theme", mode="before")(blank_is_none)

    @field_validator("given_on")
    @classmethod
    def given_not_in_future(cls, day: date | None, info: ValidationInfo) -> date | None:
        return _not_future(day, info, "the date")


class NewVoiceRole(Input):
    """An experience expert's or peer instructor's role: from ``valid_from`` (to ``valid_to``,
    blank: until further notice), with the client's consent (how, and on which day)."""

    kind: VoiceRoleKind
    valid_from: date
    valid_to: date | None = None
    consent_evidence: str
    consent_given_on: date

    _blank = field_validator("valid_to", mode="before")(blank_is_none)

    @field_validator("consent_evidence")
    @classmethod
    def known_evidence(cls, value: str) -> str:
        if value not in EVIDENCE:
            raise ValueError("how was the consent given? " + ", ".join(EVIDENCE))
        return value

    @field_validator("consent_given_on")
    @classmethod
    def consent_not_in_future(cls, day: date, info: ValidationInfo) -> date:
        checked = _not_future(day, info, "the consent")
        assert checked is not None
        return checked

    @field_validator("valid_from")
    @classmethod
    def sane_start(cls, day: date) -> date:
        if day < EARLIEST_DATE:
            raise ValueError(f"the role starts after {EARLIEST_DATE.isoformat()}")
        return day

    @model_validator(mode="after")
    def dates_in_order(self) -> NewVoiceRole:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("the role cannot end before it starts")
        return self


# --- feedback -------------------------------------------------------------------------------------


def record_feedback(
    session: Session,
    *,
    client_id: int,
    recorded_by: int,
    values: NewFeedback | dict[str, Any],
    checks: Checks,
    now: datetime,
) -> Feedback:
    """Record feedback the coach wrote down with the client."""
    v = validated(NewFeedback, values, checks)
    row = Feedback(
        client_id=client_id,
        given_on=v.given_on or checks.today,
        channel=FeedbackChannel.coach,
        satisfaction=v.satisfaction,
        helped=v.helped,
        change=v.change,
        wish_theme=v.wish_theme,
        wish=v.wish,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def feedback_of(session: Session, client_id: int) -> list[Feedback]:
    """The client's feedback, the newest first."""
    return list(
        session.execute(
            select(Feedback)
            .where(col(Feedback.client_id) == client_id)
            .order_by(col(Feedback.given_on).desc(), col(Feedback.id).desc())
        ).scalars()
    )


# --- one-time links -------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """The stored form of a link's secret (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(token: str) -> bool:
    """A secret :func:`create_link` could have made (43 URL-safe characters); anything else is
    answered without a database look-up."""
    return len(token) == 43 and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)


@dataclass(frozen=True)
class NewLink:
    """A link just made: the secret (shown to the coach once, never stored) and its row."""

    token: str
    link: FeedbackLink


def create_link(
    session: Session,
    *,
    client_id: int,
    created_by: int,
    language: str,
    now: datetime,
    days: int,
) -> NewLink:
    """A one-time feedback link for the client, valid ``days`` days. The caller's route has
    written the access-log row of its creation (``feedback_link``)."""
    if language not in ("", *LINK_LANGUAGES):
        raise InvalidInput({"language": "choose fi, sv or en"})
    token = secrets.token_urlsafe(32)
    row = FeedbackLink(
        client_id=client_id,
        token_hash=token_hash(token),
        language=language,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return NewLink(token, row)


def usable_link(session: Session, token: str, now: datetime) -> FeedbackLink | None:
    """The link with this secret if it can still be used (not expired, not used), else None."""
    if not looks_like_token(token):
        return None
    return session.execute(
        select(FeedbackLink).where(
            col(FeedbackLink.token_hash) == token_hash(token),
            col(FeedbackLink.used_at).is_(None),
            col(FeedbackLink.expires_at) > now,
        )
    ).scalar_one_or_none()


def links_of(session: Session, client_id: int) -> list[FeedbackLink]:
    """The client's feedback links, the newest first (for the coach: given, used, expired)."""
    return list(
        session.execute(
            select(FeedbackLink)
            .where(col(FeedbackLink.client_id) == client_id)
            .order_by(col(FeedbackLink.id).desc())
        ).scalars()
    )


def give_by_link(
    session: Session, token: str, values: dict[str, Any], *, checks: Checks, now: datetime
) -> Feedback:
    """The client's own feedback through their link: validated (only :data:`FEEDBACK_FIELDS`,
    dated today), the link used up in one conditional UPDATE, the use access-logged.
    :class:`LinkNotUsable` for an unknown, expired or used link (the same for each)."""
    link = usable_link(session, token, now)
    if link is None or link.id is None:
        raise LinkNotUsable("no usable feedback link")
    given = {k: v for k, v in values.items() if k in FEEDBACK_FIELDS}
    v = validated(NewFeedback, given, checks)
    used = session.execute(
        update(FeedbackLink)
        .where(
            col(FeedbackLink.id) == link.id,
            col(FeedbackLink.used_at).is_(None),
            col(FeedbackLink.expires_at) > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkNotUsable("no usable feedback link")
    row = Feedback(
        client_id=link.client_id,
        given_on=checks.today,
        channel=FeedbackChannel.link,
        satisfaction=v.satisfaction,
        helped=v.helped,
        change=v.change,
        wish_theme=v.wish_theme,
        wish=v.wish,
        recorded_by=None,
        link_id=link.id,
        recorded_at=now,
    )
    session.add(row)
    creator = session.get(User, link.created_by)
    assert creator is not None  # a foreign key
    record_access(
        session,
        principal=Principal(link.created_by, Role(creator.role), creator.organisation_id),
        client_id=link.client_id,
        what=What.feedback_by_link,
        basis=Basis.client_link,
        at=now,
    )
    session.flush()
    return row


# --- roles ----------------------------------------------------------------------------------------


def add_role(
    session: Session,
    *,
    client_id: int,
    recorded_by: int,
    values: NewVoiceRole | dict[str, Any],
    checks: Checks,
    now: datetime,
) -> VoiceRole:
    """Record an experience expert's or peer instructor's role with the client's consent."""
    v = validated(NewVoiceRole, values, checks)
    row = VoiceRole(
        client_id=client_id,
        kind=v.kind,
        valid_from=v.valid_from,
        valid_to=v.valid_to,
        consent_evidence=v.consent_evidence,
        consent_given_on=v.consent_given_on,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def role_of(session: Session, client_id: int, role_id: int) -> VoiceRole:
    """The client's role ``role_id``; :class:`NotFound` if another client's."""
    return row_of_client(session, VoiceRole, role_id, client_id)


def end_role(session: Session, row: VoiceRole, *, today: date) -> VoiceRole | None:
    """End a role (the client gave it up or withdrew their consent): its last day becomes
    yesterday. A role that has not begun before today never came into force and is removed
    (None). Ending an ended role changes nothing."""
    yesterday = today - timedelta(days=1)
    if row.valid_from > yesterday:
        session.delete(row)
        session.flush()
        return None
    if row.valid_to is None or row.valid_to > yesterday:
        row.valid_to = yesterday
        session.add(row)
        session.flush()
    return row


def roles_of(session: Session, client_id: int) -> list[VoiceRole]:
    """The client's roles, the newest first (ended ones too)."""
    return list(
        session.execute(
            select(VoiceRole)
            .where(col(VoiceRole.client_id) == client_id)
            .order_by(col(VoiceRole.valid_from).desc(), col(VoiceRole.id).desc())
        ).scalars()
    )


def valid_on(role: VoiceRole, day: date) -> bool:
    return role.valid_from <= day and (role.valid_to is None or role.valid_to >= day)


@dataclass(frozen=True)
class RoleHolder:
    """One role valid today, as the coordinator's list shows it: no more than the name, the
    role and its dates."""

    client_id: int
    name: str
    kind: str
    valid_from: date
    valid_to: date | None


def role_holders(
    session: Session, principal: Principal, *, today: date, now: datetime
) -> list[RoleHolder]:
    """The experience experts and peer instructors of the coordinator's organisation whose
    role is valid today; each client listed is one access-log row (``voice_role_list``, basis
    the client's consent to the role)."""
    if principal.organisation_id is None:
        return []
    rows = session.execute(
        select(
            col(VoiceRole.client_id),
            col(Client.first_name),
            col(Client.last_name),
            col(VoiceRole.kind),
            col(VoiceRole.valid_from),
            col(VoiceRole.valid_to),
        )
        .join(Client, col(Client.id) == col(VoiceRole.client_id))
        .where(
            col(Client.organisation_id) == principal.organisation_id,
            col(VoiceRole.valid_from) <= today,
            or_(col(VoiceRole.valid_to).is_(None), col(VoiceRole.valid_to) >= today),
        )
        .order_by(col(VoiceRole.kind), col(Client.last_name), col(Client.first_name))
    ).all()
    holders = [RoleHolder(r[0], f"{r[1]} {r[2]}", r[3], r[4], r[5]) for r in rows]
    record_accesses(
        session,
        principal=principal,
        client_ids=sorted({h.client_id for h in holders}),
        what=What.voice_role_list,
        basis=Basis.voice_role_consent,
        at=now,
    )
    return holders


# --- the coordinator's summary --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackSummary:
    """The organisation's feedback in a period, counted: no names, no free text. ``shown`` is
    false when fewer than the minimum of clients answered (then every count is empty)."""

    since: date
    until: date
    minimum: int
    shown: bool
    answers: int = 0
    clients: int = 0
    #: Satisfaction 1..5 -> how many answers.
    satisfaction: dict[int, int] = field(default_factory=dict)
    average: float | None = None
    #: Theme -> how many wished for it, most wished first.
    themes: list[tuple[str, int]] = field(default_factory=list)
    #: Channel (coach, link) -> how many answers.
    channels: dict[str, int] = field(default_factory=dict)


def summary(
    session: Session,
    organisation_id: int,
    since: date,
    until: date,
    *,
    minimum: int,
    municipality_code: str | None = None,
) -> FeedbackSummary:
    """Counts and themes of the organisation's feedback given from ``since`` to ``until``
    (both inclusive), of one municipality's clients when given. Reads only the structured
    columns."""
    conditions = [
        col(Client.organisation_id) == organisation_id,
        col(Feedback.given_on) >= since,
        col(Feedback.given_on) <= until,
    ]
    if municipality_code is not None:
        conditions.append(col(Client.municipality_code) == municipality_code)
    rows = session.execute(
        select(
            col(Feedback.client_id),
            col(Feedback.satisfaction),
            col(Feedback.wish_theme),
            col(Feedback.channel),
        )
        .join(Client, col(Client.id) == col(Feedback.client_id))
        .where(*conditions)
    ).all()
    clients = len({r[0] for r in rows})
    if clients < minimum:
        return FeedbackSummary(since, until, minimum, shown=False)
    satisfaction = Counter(int(r[1]) for r in rows)
    themes = Counter(str(r[2]) for r in rows if r[2])
    channels = Counter(str(r[3]) for r in rows)
    return FeedbackSummary(
        since,
        until,
        minimum,
        shown=True,
        answers=len(rows),
        clients=clients,
        satisfaction={level: satisfaction.get(level, 0) for level in range(1, 6)},
        average=round(sum(int(r[1]) for r in rows) / len(rows), 1),
        themes=sorted(themes.items(), key=lambda kv: (-kv[1], kv[0])),
        channels=dict(sorted(channels.items())),
    )


def count_feedback(session: Session, client_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Feedback).where(col(Feedback.client_id) == client_id)
        ).scalar_one()
    )
