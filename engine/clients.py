"""Clients (asiakkaat) and their care teams (asiakkaan työryhmä).

A coach records a client; the client then belongs to the coach's organisation (which keeps the
record) and the coach becomes the first member of the client's care team. Members of the care
team add colleagues of the same organisation, and end memberships. Care-team rows are the input of
:mod:`engine.access`: whoever is a valid member on a day sees the client that day.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import EmailStr, Field, ValidationInfo, field_validator
from sqlalchemy import or_, select
from sqlmodel import Session, col

from engine import dates
from engine.access import Principal, What, can_create_client, require, visible_clients
from engine.bounds import BoundedDate, Id
from engine.errors import InputRequired, NotFound
from engine.inputs import Checks, Input, blank_is_none, checks_of, validated
from engine.journeys import Journeys
from engine.models import CareTeam, CareTeamRole, Client, Journey, Role, User
from engine.pathway_keys import CLIENT_JOURNEY


def latest_client_journey(session: Session, client_id: int) -> Journey | None:
    """The client's journey of pathway ``client_journey`` (the latest, were there several): the
    one referrals and group memberships move along with their own. Read afresh (a row loaded
    earlier in the session may have moved since)."""
    return session.execute(
        select(Journey)
        .where(col(Journey.client_id) == client_id, col(Journey.pathway_key) == CLIENT_JOURNEY)
        .order_by(col(Journey.id).desc())
        .limit(1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


class OfClient(Protocol):
    """A table row that belongs to one client."""

    client_id: int


_R = TypeVar("_R", bound=OfClient)


class RecordRow(OfClient, Protocol):
    """A row of the client's record that is recorded, changed and removed by a coach."""

    updated_at: datetime | None


_Rec = TypeVar("_Rec", bound=RecordRow)


def row_of_client(session: Session, model: type[_R], row_id: int, client_id: int) -> _R:
    """Row ``row_id`` of ``model`` if it belongs to ``client_id``; :class:`NotFound` if it is
    missing or another client's (an id from another client's page is never acted on)."""
    row = session.get(model, row_id)
    if row is None or row.client_id != client_id:
        raise NotFound(f"{model.__name__.lower()} {row_id} of client {client_id} not found")
    return row


def add_client_row(
    session: Session,
    model: Callable[..., _Rec],
    values: Mapping[str, Any],
    *,
    client_id: int,
    recorded_by: int,
    now: datetime,
) -> _Rec:
    """A new row of the client's record (an experience, a qualification) with its checked
    ``values``, recorded by ``recorded_by`` at ``now``."""
    row = model(client_id=client_id, recorded_by=recorded_by, recorded_at=now, **values)
    session.add(row)
    session.flush()
    return row


def update_client_row(
    session: Session, row: _Rec, values: Mapping[str, Any], now: datetime
) -> _Rec:
    """Change a row of the client's record to its checked ``values`` (``updated_at`` now)."""
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def remove_client_row(session: Session, row: object) -> None:
    """Remove a row of the client's record (recorded by mistake)."""
    session.delete(row)
    session.flush()


def lock_client(session: Session, client_id: int) -> None:
    """Serialise the writers about one client until this transaction ends: FOR UPDATE on the
    client's row on PostgreSQL (READ COMMITTED would let two check-then-insert writers both
    pass); SQLite's write transactions already run one at a time."""
    session.execute(select(col(Client.id)).where(col(Client.id) == client_id).with_for_update())


class NewClient(Input):
    """A new client (an outreach contact): a first name or nickname and the municipality are
    enough (a person who never engages is recorded too); the last name is optional. The
    municipality must be one the plugins serve and a birth date between 1900 and today."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    birth_date: date | None = None
    municipality_code: str = Field(
        min_length=1, max_length=3, description="kuntanumero, e.g. 261, of a served municipality"
    )
    phone: Annotated[str | None, Field(max_length=40)] = None
    email: EmailStr | None = None
    #: The client has agreed to take part (voluntary participation).
    participation_consent: bool = False

    _blank = field_validator("birth_date", "phone", "email", mode="before")(blank_is_none)

    @field_validator("municipality_code")
    @classmethod
    def served(cls, code: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        if checks is not None and code not in checks.municipalities:
            raise ValueError("not a municipality the plugins serve")
        return code

    @field_validator("birth_date")
    @classmethod
    def plausible(cls, born: date | None, info: ValidationInfo) -> date | None:
        """The one birth-date rule (:func:`engine.dates.birth_date_problem`: not in the future,
        a working age), judged where today is known (the engine's own validation; a bare parse
        of the API body defers to it)."""
        checks = checks_of(info)
        if born is None or checks is None:
            return born
        problem = dates.birth_date_problem(born, checks.today)
        if problem is not None:
            raise ValueError(problem)
        return born


def register_client(
    session: Session,
    journeys: Journeys,
    principal: Principal,
    new: NewClient | Mapping[str, Any],
    *,
    municipalities: Collection[str],
    now: datetime,
    today: date,
) -> tuple[Client, Journey]:
    """Record a new client (an outreach contact) and open their client journey.

    ``new`` (the model, or the values of a form) is checked against every rule of
    :class:`NewClient`, with the municipalities served and today, before anything is written:
    :class:`~engine.errors.InvalidInput` names each field that is wrong. The client belongs to
    the coach's organisation; the coach joins the care team from today.
    """
    require(can_create_client(principal), "record clients")
    checked = validated(NewClient, new, Checks(today=today, municipalities=municipalities))
    client = Client(
        first_name=checked.first_name,
        last_name=checked.last_name,
        birth_date=checked.birth_date,
        municipality_code=checked.municipality_code,
        phone=checked.phone,
        email=str(checked.email) if checked.email else None,
        participation_consent_at=now if checked.participation_consent else None,
        created_at=now,
        created_by=principal.user_id,
        organisation_id=principal.organisation_id,
    )
    session.add(client)
    session.flush()
    assert client.id is not None
    session.add(
        CareTeam(
            client_id=client.id,
            user_id=principal.user_id,
            valid_from=today,
            created_at=now,
            created_by=principal.user_id,
        )
    )
    journey = journeys.start(
        session, client_id=client.id, pathway_key=CLIENT_JOURNEY, actor_id=principal.user_id, at=now
    )
    return client, journey


def care_team(session: Session, client_id: int) -> list[CareTeam]:
    """Every membership of the client's care team, past, present and future, oldest first."""
    stmt = (
        select(CareTeam)
        .where(col(CareTeam.client_id) == client_id)
        .order_by(col(CareTeam.valid_from), col(CareTeam.id))
    )
    return list(session.execute(stmt).scalars())


class NewCareTeamMember(Input):
    """A membership of a client's care team: who (a coach of the client's organisation, checked
    by :func:`add_care_team_member`), from and to which day (inclusive; no start: today, no
    end: open) and in which role (:class:`CareTeamRole`). The API's body; a form builds it
    too."""

    user_id: Id
    valid_from: BoundedDate | None = None
    valid_to: BoundedDate | None = None
    role: CareTeamRole = CareTeamRole.goal_coach

    _blank = field_validator("valid_from", "valid_to", mode="before")(blank_is_none)

    @field_validator("role", mode="before")
    @classmethod
    def blank_role_is_goal_coach(cls, value: Any) -> Any:
        """A form's blank role choice: the default role."""
        return CareTeamRole.goal_coach if value is None or value == "" else value

    @field_validator("valid_to")
    @classmethod
    def not_before_start(cls, day: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if day is not None and start is not None and day < start:
            raise ValueError("the membership ends before it starts")
        return day


def add_care_team_member(
    session: Session,
    *,
    client_id: int,
    member: NewCareTeamMember | Mapping[str, Any],
    added_by: int,
    today: date,
    now: datetime,
) -> CareTeam:
    """Add a coach of the client's organisation to the care team for [valid_from, valid_to] in
    a role (:class:`NewCareTeamMember`: every rule of the input; the role says what the member
    does, access is the same for every role). A membership without a start starts ``today``
    (the end may not be before that either).

    The client's row is locked first (FOR UPDATE on PostgreSQL; SQLite's write transactions run
    one at a time), so two parallel adds cannot both pass the overlap check: a duplicate row
    would outlive "end membership" and keep access open."""
    given = validated(NewCareTeamMember, member, Checks(today=today))
    if given.valid_from is None:
        given = validated(
            NewCareTeamMember, given.model_dump() | {"valid_from": today}, Checks(today=today)
        )
    assert given.valid_from is not None
    user_id, valid_from, valid_to = given.user_id, given.valid_from, given.valid_to
    role = given.role.value
    lock_client(session, client_id)
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    coach = session.get(User, user_id)
    if (
        coach is None
        or not coach.is_active
        or coach.role != Role.coach
        or client.organisation_id is None
        or coach.organisation_id != client.organisation_id
    ):
        raise InputRequired("user_id", "a care team member is an active coach of the organisation")
    overlapping = session.execute(
        select(col(CareTeam.id)).where(
            col(CareTeam.client_id) == client_id,
            col(CareTeam.user_id) == user_id,
            or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= valid_from),
            *([col(CareTeam.valid_from) <= valid_to] if valid_to is not None else []),
        )
    ).first()
    if overlapping is not None:
        raise InputRequired("user_id", "already a member of the care team for these dates")
    row = CareTeam(
        client_id=client_id,
        user_id=user_id,
        valid_from=valid_from,
        valid_to=valid_to,
        role=role,
        created_at=now,
        created_by=added_by,
    )
    session.add(row)
    session.flush()
    return row


def end_care_team_membership(
    session: Session, *, client_id: int, user_id: int, last_day: date
) -> CareTeam:
    """End the user's current (or coming) membership; ``last_day`` is its last day, inclusive."""
    row: CareTeam | None = session.execute(
        select(CareTeam)
        .where(
            col(CareTeam.client_id) == client_id,
            col(CareTeam.user_id) == user_id,
            or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= last_day),
        )
        .order_by(col(CareTeam.valid_from))
    ).scalar()
    if row is None:
        raise NotFound(f"user {user_id} has no current membership in client {client_id}'s team")
    if last_day < row.valid_from:
        raise InputRequired("last_day", "the membership starts after that day")
    row.valid_to = last_day
    session.flush()
    return row


class EndOfMembership(Input):
    """The last day (inclusive) of a membership; default today."""

    last_day: BoundedDate | None = None

    _blank = field_validator("last_day", mode="before")(blank_is_none)


def add_member(
    session: Session,
    *,
    client_id: int,
    member: NewCareTeamMember | Mapping[str, Any],
    checks: Checks,
    added_by: int,
) -> CareTeam:
    """Add a care-team member from the page's input (:class:`NewCareTeamMember`, checked at
    ``checks``); the organisation and overlap rules are :func:`add_care_team_member`'s."""
    assert checks.now is not None
    new = validated(NewCareTeamMember, member, checks)
    return add_care_team_member(
        session,
        client_id=client_id,
        member=new,
        added_by=added_by,
        today=checks.today,
        now=checks.now,
    )


def end_member(
    session: Session,
    *,
    client_id: int,
    user_id: int,
    end: EndOfMembership | Mapping[str, Any],
    checks: Checks,
) -> CareTeam:
    """End a membership from the page's input (:class:`EndOfMembership`)."""
    last = validated(EndOfMembership, end, checks)
    return end_care_team_membership(
        session, client_id=client_id, user_id=user_id, last_day=last.last_day or checks.today
    )


def member_choices(session: Session, client_id: int) -> list[tuple[int, str]]:
    """Who can join the client's care team: the active coaches of the client's organisation, by
    name (id, display name)."""
    organisation_id = session.execute(
        select(col(Client.organisation_id)).where(col(Client.id) == client_id)
    ).scalar()
    if organisation_id is None:
        return []
    rows = session.execute(
        select(col(User.id), col(User.display_name))
        .where(
            col(User.organisation_id) == organisation_id,
            col(User.role) == Role.coach.value,
            col(User.is_active).is_(True),
        )
        .order_by(col(User.display_name), col(User.id))
    ).all()
    return [(int(user_id), name) for user_id, name in rows]


@dataclass(frozen=True)
class PossibleDuplicate:
    """A client the coach may see with the same birth date and a similar name."""

    client_id: int
    first_name: str
    last_name: str
    birth_date: date
    municipality_code: str


#: How alike two names must be (difflib's ratio of the folded "first last") to warn.
SIMILAR_NAME = 0.8


def _folded(first_name: str, last_name: str) -> str:
    return " ".join(f"{first_name} {last_name}".casefold().split())


def similar_names(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Two (first, last) names alike enough to be the same person: the same first name (case,
    spacing ignored) with one last name missing, or close as a whole (a typo, a swapped
    letter, first and last name swapped)."""
    first_a, first_b = a[0].casefold().strip(), b[0].casefold().strip()
    if first_a == first_b and (not a[1].strip() or not b[1].strip()):
        return True
    whole_a, whole_b = _folded(*a), _folded(*b)
    swapped = _folded(b[1], b[0])
    return (
        max(
            SequenceMatcher(None, whole_a, whole_b).ratio(),
            SequenceMatcher(None, whole_a, swapped).ratio(),
        )
        >= SIMILAR_NAME
    )


def possible_duplicates(
    session: Session,
    principal: Principal,
    *,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    today: date,
) -> list[PossibleDuplicate]:
    """Clients ``principal`` may see in the caseload (never others: a warning must not reveal
    who else is a client) with the same birth date and a similar name (:func:`similar_names`).
    Without a birth date there is nothing to compare: an empty list."""
    if birth_date is None or not first_name.strip():
        return []
    rows = session.execute(
        select(Client)
        .where(
            col(Client.birth_date) == birth_date,
            col(Client.id).in_(visible_clients(principal, What.caseload, today)),
        )
        .order_by(col(Client.id))
    ).scalars()
    return [
        PossibleDuplicate(c.id, c.first_name, c.last_name, birth_date, c.municipality_code)
        for c in rows
        if c.id is not None and similar_names((first_name, last_name), (c.first_name, c.last_name))
    ]
