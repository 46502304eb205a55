"""Who may see what (käyttöoikeudet): the one access policy every route and every query uses.

Deny by default. A user reaches a client's data only through a :class:`Grant`: a basis (why it is
allowed), the roles it applies to, the kinds of view it allows (:class:`What`), and a SQL condition
on the ``client`` row. The same condition answers both questions, so they can never disagree:

- :func:`authorise_client` -- may this user see this client as ``what``? (one object)
- :func:`visible_clients` -- the ids of every client this user may see as ``what`` (query filter)

Today's grants:

- **care team** (asiakkaan työryhmä): a coach sees the clients of whose care team they are a valid
  member today (``care_team`` rows with ``valid_from``/``valid_to``), and works on their journeys;
- **client log request** (lokitietopyyntö, Client Data Act 703/2023 §11): a coordinator prints
  the access and disclosure log of a client kept by their own organisation -- nothing else of it.

Coordinators see aggregates of their organisation (:func:`can_see_organisation_reports`); admins
manage users (:func:`can_manage_users`) and read no client data; partner workers have no grant yet.

Extension point, the referral issue: a partner worker sees the referral packet addressed to their
organisation while the client's consent holds. Add ``What.referral_packet``,
``Basis.referral_consent`` and one more entry in :data:`GRANTS` whose condition is "an open referral
of this client to ``principal.organisation_id`` with a consent valid ``today``". Nothing else
changes: the route declares ``client_rule(What.referral_packet, ...)``, revoking the consent
makes the condition false at once, and the view is logged like every other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, union
from sqlmodel import Session, col

from engine.errors import Forbidden, NotFound
from engine.models import CareTeam, Client, Journey, Role


@dataclass(frozen=True)
class Principal:
    """The authenticated user a request acts as (from a session or an API token)."""

    user_id: int
    role: Role
    organisation_id: int | None


class What(StrEnum):
    """A kind of view or processing of a client's data; written to ``access_log.what``."""

    #: The client record itself (the answer to creating one).
    client = "client"
    #: A journey with its event log.
    journey = "journey"
    #: The moves possible now on a journey, with the rules' reasons.
    triggers = "triggers"
    #: Moving a journey on (the answer carries the new state and event).
    advance = "advance"
    #: The client's care team (who works with them).
    care_team = "care_team"
    #: The client's access and disclosure log report.
    client_log = "client_log"
    #: The dated facts referral rules read (unemployed since, benefits, plans).
    facts = "facts"
    #: Recording a fact about the client.
    record_fact = "record_fact"
    #: The follow-on pathways and services the client may be referred to, with the reasons.
    referral_options = "referral_options"
    #: A row of the coach's caseload (asiakkaani): name, state, last contact, follow-up.
    caseload = "caseload"
    #: The client page: profile, journey, timeline of events and contacts.
    client_page = "client_page"
    #: Recording a contact of individual work (yhteydenotto) in the contact log.
    record_contact = "record_contact"


class Basis(StrEnum):
    """Why a view was allowed; written to ``access_log.basis``."""

    #: A valid care-team membership: the client relationship (asiakkuussuhde).
    care_team = "care_team"
    #: Handling the client's request to know who viewed and received their data (703/2023 §11).
    client_log_request = "client_log_request"


Condition = Callable[[Principal, date], ColumnElement[bool]]


@dataclass(frozen=True)
class Grant:
    """One way to reach a client's data. ``condition`` is a SQL condition on the ``client`` row."""

    basis: Basis
    roles: frozenset[Role]
    what: frozenset[What]
    condition: Condition
    #: The same condition as a ``SELECT`` of client ids from the table that drives it, so a
    #: listing starts from the principal's few rows instead of probing every client (optional;
    #: ``tests/security/test_policy.py`` checks that both give the same clients).
    client_ids: Callable[[Principal, date], Select[Any]] | None = None


def in_care_team(principal: Principal, today: date) -> ColumnElement[bool]:
    """The principal is a member of the client's care team on ``today`` (inclusive dates)."""
    return exists().where(
        col(CareTeam.client_id) == col(Client.id),
        col(CareTeam.user_id) == principal.user_id,
        col(CareTeam.valid_from) <= today,
        or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= today),
    )


def care_team_client_ids(principal: Principal, today: date) -> Select[Any]:
    """:func:`in_care_team` as a SELECT on ``care_team`` (index ``user_id, client_id``)."""
    return select(col(CareTeam.client_id)).where(
        col(CareTeam.user_id) == principal.user_id,
        col(CareTeam.valid_from) <= today,
        or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= today),
    )


def kept_by_own_organisation(principal: Principal, _today: date) -> ColumnElement[bool]:
    """The client's record is kept by the principal's organisation."""
    if principal.organisation_id is None:
        return false()
    return col(Client.organisation_id) == principal.organisation_id


GRANTS: tuple[Grant, ...] = (
    Grant(
        Basis.care_team,
        frozenset({Role.coach}),
        frozenset(
            {
                What.client,
                What.journey,
                What.triggers,
                What.advance,
                What.care_team,
                What.facts,
                What.record_fact,
                What.referral_options,
                What.caseload,
                What.client_page,
                What.record_contact,
            }
        ),
        in_care_team,
        care_team_client_ids,
    ),
    Grant(
        Basis.client_log_request,
        frozenset({Role.coordinator}),
        frozenset({What.client_log}),
        kept_by_own_organisation,
    ),
)


def grants_for(principal: Principal, what: What) -> list[Grant]:
    return [g for g in GRANTS if principal.role in g.roles and what in g.what]


def visible_clients(principal: Principal, what: What, today: date) -> Select[Any]:
    """``SELECT client.id`` of every client ``principal`` may see as ``what`` on ``today``.

    Use it as the filter of any query that lists clients or their data, e.g.
    ``.where(Journey.client_id.in_(visible_clients(p, What.journey, today)))``.
    """
    grants = grants_for(principal, what)
    if grants and all(g.client_ids is not None for g in grants):
        selects = [g.client_ids(principal, today) for g in grants if g.client_ids is not None]
        return selects[0] if len(selects) == 1 else union(*selects)  # type: ignore[return-value]
    conditions = [g.condition(principal, today) for g in grants]
    where = or_(*conditions) if conditions else false()
    return select(col(Client.id)).where(where)


def basis_for(
    session: Session, principal: Principal, client_id: int, what: What, today: date
) -> Basis | None:
    """The basis on which ``principal`` may see client ``client_id`` as ``what``, or None."""
    for grant in grants_for(principal, what):
        hit = session.execute(
            select(col(Client.id)).where(
                col(Client.id) == client_id, grant.condition(principal, today)
            )
        ).first()
        if hit is not None:
            return grant.basis
    return None


def authorise_client(
    session: Session, principal: Principal, client_id: int, what: What, today: date
) -> Basis:
    """Allow or refuse one view of one client's data. Raises :class:`Forbidden` (no grant) or
    :class:`NotFound` (a user who could see some clients asked for one that does not exist)."""
    if not grants_for(principal, what):
        raise Forbidden(f"role {principal.role} may not see {what} of any client")
    basis = basis_for(session, principal, client_id, what, today)
    if basis is not None:
        return basis
    if session.get(Client, client_id) is None:
        raise NotFound(f"client {client_id} not found")
    raise Forbidden(f"user {principal.user_id} may not see {what} of client {client_id}")


def client_of_journey(session: Session, principal: Principal, journey_id: int, what: What) -> int:
    """The client a journey belongs to; roles that can see no client get :class:`Forbidden`
    before anything is looked up."""
    if not grants_for(principal, what):
        raise Forbidden(f"role {principal.role} may not see {what} of any client")
    client_id = session.execute(
        select(col(Journey.client_id)).where(col(Journey.id) == journey_id)
    ).scalar_one_or_none()
    if client_id is None:
        raise NotFound(f"journey {journey_id} not found")
    return client_id


# --- rules that concern no single client ---------------------------------------------------------


def can_create_client(principal: Principal) -> bool:
    """A coach of an organisation records new clients (who then belong to it)."""
    return principal.role == Role.coach and principal.organisation_id is not None


def can_list_caseload(principal: Principal) -> bool:
    """A role with a grant for caseload rows lists them (which rows: :func:`visible_clients`)."""
    return bool(grants_for(principal, What.caseload))


def can_see_organisation_reports(principal: Principal) -> bool:
    """A coordinator sees aggregates (the funnel) of their own organisation's clients."""
    return principal.role == Role.coordinator and principal.organisation_id is not None


def can_manage_users(principal: Principal) -> bool:
    """An admin creates and disables users. Admins have no grant on client data."""
    return principal.role == Role.admin


def require(allowed: bool, action: str) -> None:
    if not allowed:
        raise Forbidden(f"not allowed: {action}")
