"""Who may see what (käyttöoikeudet): the one access policy every route and every query uses.

Deny by default. A user reaches a client's data only through a :class:`Grant`: a basis (why it is
allowed), the roles it applies to, the kinds of view it allows (:class:`What`), and a SQL condition
on the ``client`` row. The same condition answers both questions, so they can never disagree:

- :func:`authorise_client` -- may this user see this client as ``what``? (one object)
- :func:`visible_clients` -- the ids of every client this user may see as ``what`` (query filter)

Today's grants:

- **care team** (asiakkaan työryhmä): a coach sees the clients of whose care team they are a valid
  member today (``care_team`` rows with ``valid_from``/``valid_to``), and works on their journeys;
- **client log request** (lokitietopyyntö, Client Data Act 703/2023 §11): a coordinator finds
  a client kept by their own organisation (name and birth date, ``What.client_lookup``) and prints
  their access and disclosure log -- nothing else of them.

- **referral** (lähete, docs/referrals.md): a partner worker sees the referral packet addressed to
  their organisation, and works on the referral, while its basis holds: the client's consent to
  that organisation not revoked (or a statutory basis named by the coach), and the referral not
  cancelled. Revoking the consent makes the condition false at the very next request. The one
  referral a route names is checked with :func:`authorise_referral` (``Grant.for_referral``).
- **groups** (ryhmät, docs/architecture.md "Groups"): a group's leaders (coaches) see its members
  and work in it; the coordinators of the organisation that keeps it see it; its partner
  co-leader sees the names and attendance of members who have started attending and whose
  consent to the co-leader's organisation holds (``group_access.consents_to_co_leader``:
  revoking it hides the member at the next request), nothing else of them. The one group a
  route names is checked with :func:`authorise_group` (``Grant.for_group``).

Coordinators see aggregates of their organisation (:func:`can_see_organisation_reports`); admins
manage users (:func:`can_manage_users`) and read no client data. Which referral triggers each role
may fire: :data:`REFERRAL_TRIGGERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    exists,
    false,
    or_,
    select,
    union,
)
from sqlmodel import Session, col

from engine import event_access, group_access
from engine.driver import DriverStatement, connection_of
from engine.errors import Forbidden, NotFound
from engine.models import (
    CareTeam,
    Client,
    ClientGroup,
    Consent,
    Event,
    Journey,
    Referral,
    Role,
)


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
    #: Finding the client (name, birth date) to answer their log request (coordinator).
    client_lookup = "client_lookup"
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
    #: The client's referrals with their status history (coach).
    referrals = "referrals"
    #: Sending a referral (with its packet) to a partner organisation.
    refer = "refer"
    #: The client's consents to disclosure (suostumukset): read, record, revoke.
    consent = "consent"
    #: One referral: its packet and status history (coach, or the receiving partner).
    referral = "referral"
    #: Working on a referral as the receiving partner (accept, reject, progress, complete).
    referral_work = "referral_work"
    #: Cancelling a referral (the referring coach).
    cancel_referral = "cancel_referral"
    #: The referral as an HL7 FHIR R4 Task.
    referral_fhir = "referral_fhir"
    #: The client's GAS goals with their follow-ups and T-scores (tavoitteet).
    goals = "goals"
    #: Setting (adding or changing) a GAS goal with the client.
    set_goal = "set_goal"
    #: Recording a follow-up: every goal rated on one date.
    rate_goals = "rate_goals"
    # assessments, strengths and the CV (engine/assessments.py, engine/strengths.py)
    #: The client's assessments (arvioinnit) with their change over time.
    assessments = "assessments"
    #: Recording an assessment (e.g. a Kykyviisari summary).
    record_assessment = "record_assessment"
    #: The client's strengths and experiences (vahvuudet ja kokemukset).
    strengths = "strengths"
    #: Adding, editing or removing a strength or an experience.
    record_strengths = "record_strengths"
    #: The printable strengths-based CV (vahvuuslähtöinen CV).
    cv = "cv"
    #: A group's page: its members' names, membership states and attendance.
    group = "group"
    #: Working in a group: moving memberships, marking attendance.
    group_work = "group_work"
    #: Inviting the client (from their page) to a group the coach leads.
    group_invite = "group_invite"
    #: An event's page: its participants' names and attendance (engine/events.py).
    event = "event"
    #: Working in an event: adding participants, marking attendance, cancelling a session.
    event_work = "event_work"
    #: Adding the client (one of the coach's own) to an event.
    event_invite = "event_invite"
    #: The client's ESF+ participant data (osallistujatiedot) as recorded, with its gaps.
    participant_data = "participant_data"
    #: Filling in an entry, exit or follow-up form of the participant data.
    participant_form = "participant_form"
    # the client's voice (engine/voice.py)
    #: The client's feedback and wishes, their roles (experience expert, peer instructor).
    feedback = "feedback"
    #: Recording feedback and wishes with the client.
    record_feedback = "record_feedback"
    #: Giving the client a one-time feedback link (its creation).
    feedback_link = "feedback_link"
    #: The client gave feedback through their one-time link (its use; the row names the
    #: worker who gave the link, the basis says the client used it).
    feedback_by_link = "feedback_by_link"
    #: Recording or ending an experience expert's or peer instructor's role.
    voice_roles = "voice_roles"
    #: A client listed for the coordinator as an experience expert or peer instructor.
    voice_role_list = "voice_role_list"


class Basis(StrEnum):
    """Why a view was allowed; written to ``access_log.basis``."""

    #: A valid care-team membership: the client relationship (asiakkuussuhde).
    care_team = "care_team"
    #: Handling the client's request to know who viewed and received their data (703/2023 §11).
    client_log_request = "client_log_request"
    #: An open referral to the viewer's organisation whose consent (or statutory basis) holds.
    referral_consent = "referral_consent"
    #: The viewer leads a group the client is a member of.
    group_leader = "group_leader"
    #: The viewer (a partner worker) co-leads a group the client attends.
    group_co_leader = "group_co_leader"
    #: The group is kept by the viewer's organisation (coordinator).
    group_coordinator = "group_coordinator"
    #: The viewer created or leads an event the client takes part in.
    event_leader = "event_leader"
    #: The event is kept by the viewer's organisation (coordinator).
    event_coordinator = "event_coordinator"
    #: The client used a one-time feedback link given to them (engine/voice.py).
    client_link = "client_link"
    #: The client consented to hold an experience expert's or peer instructor's role.
    voice_role_consent = "voice_role_consent"


Condition = Callable[[Principal, date], ColumnElement[bool]]
ReferralCondition = Callable[[Principal, date, int], ColumnElement[bool]]
GroupCondition = Callable[[Principal, date, Any], ColumnElement[bool]]


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
    #: The condition for one named referral (default: ``condition`` on the referral's client).
    for_referral: ReferralCondition | None = None
    #: The condition on one group (its id or id column); only group grants have one.
    for_group: GroupCondition | None = None
    #: The condition on one event (its id or id column); only event grants have one.
    for_event: GroupCondition | None = None


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


def referral_basis_holds() -> ColumnElement[bool]:
    """The referral's disclosure basis holds now: a statutory basis, or its consent not revoked."""
    return or_(
        col(Referral.statutory_basis).is_not(None),
        exists().where(
            col(Consent.id) == col(Referral.consent_id), col(Consent.revoked_at).is_(None)
        ),
    )


def receiving_partner(
    principal: Principal, _today: date, referral_id: int | None = None
) -> ColumnElement[bool]:
    """A referral of the client (``referral_id``, or any) is addressed to the principal's
    organisation, is not cancelled, and its consent or statutory basis holds."""
    if principal.organisation_id is None:
        return false()
    conditions = [
        col(Referral.client_id) == col(Client.id),
        col(Referral.to_organisation_id) == principal.organisation_id,
        col(Journey.id) == col(Referral.journey_id),
        col(Journey.state) != "cancelled",
        referral_basis_holds(),
    ]
    if referral_id is not None:
        conditions.append(col(Referral.id) == referral_id)
    return exists().where(*conditions)


#: Assessments, strengths and the CV: the care team, like the contact log.
ASSESSMENT_KINDS = (
    What.assessments,
    What.record_assessment,
    What.strengths,
    What.record_strengths,
    What.cv,
)

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
                What.referrals,
                What.refer,
                What.consent,
                What.referral,
                What.cancel_referral,
                What.referral_fhir,
                What.goals,
                What.set_goal,
                What.rate_goals,
                *ASSESSMENT_KINDS,
                What.group_invite,
                What.event_invite,
                What.participant_data,
                What.participant_form,
                What.feedback,
                What.record_feedback,
                What.feedback_link,
                What.voice_roles,
            }
        ),
        in_care_team,
        care_team_client_ids,
    ),
    Grant(
        Basis.referral_consent,
        frozenset({Role.partner}),
        frozenset({What.referral, What.referral_work, What.referral_fhir}),
        receiving_partner,
        for_referral=receiving_partner,
    ),
    Grant(
        Basis.client_log_request,
        frozenset({Role.coordinator}),
        frozenset({What.client_log, What.client_lookup}),
        kept_by_own_organisation,
    ),
    # --- groups (ryhmät) ---
    Grant(
        Basis.group_leader,
        frozenset({Role.coach}),
        frozenset({What.group, What.group_work}),
        group_access.member_of_led_group,
        for_group=group_access.leads_group,
    ),
    Grant(
        Basis.group_co_leader,
        frozenset({Role.partner}),
        frozenset({What.group}),
        group_access.member_of_co_led_group,
        for_group=group_access.co_leads_group,
    ),
    Grant(
        Basis.group_coordinator,
        frozenset({Role.coordinator}),
        frozenset({What.group}),
        group_access.member_of_coordinated_group,
        for_group=group_access.coordinates_group,
    ),
    # --- events (tapahtumat) ---
    Grant(
        Basis.event_leader,
        frozenset({Role.coach}),
        frozenset({What.event, What.event_work}),
        event_access.participant_of_led_event,
        for_event=event_access.leads_event,
    ),
    Grant(
        Basis.event_coordinator,
        frozenset({Role.coordinator}),
        frozenset({What.event}),
        event_access.participant_of_coordinated_event,
        for_event=event_access.coordinates_event,
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
    grants = grants_for(principal, what)
    if not grants:
        return None
    row = _client_check(principal, what, today).first(
        connection_of(session), {"client_id": client_id}
    )
    if row is None:  # not expected: a SELECT without FROM answers one row
        return None
    for grant, hit in zip(grants, row, strict=True):
        if hit:
            return grant.basis
    return None


# The access checks of one request, built once per principal, kind of view and day: the grants'
# conditions hold the principal's ids and the day as bound values, so the statement is the same
# for every request of that user today. Compiled once (a DriverStatement); building and hashing
# it per request was most of an API advance's "policy" time (issue 16).


@lru_cache(maxsize=4096)
def _client_check(principal: Principal, what: What, today: date) -> DriverStatement:
    """Per grant, whether its condition holds for the client ``:client_id`` (always one row:
    every answer false for a client that does not exist)."""
    return DriverStatement(
        select(
            *(
                exists(
                    select(col(Client.id)).where(
                        col(Client.id) == bindparam("client_id"),
                        grant.condition(principal, today),
                    )
                )
                for grant in grants_for(principal, what)
            )
        )
    )


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
    return int(client_id)


def authorise_journey(
    session: Session, principal: Principal, journey_id: int, what: What, today: date
) -> tuple[int, Basis]:
    """:func:`client_of_journey` and :func:`authorise_client` in one statement: the journey's
    client and, per grant, whether its condition holds for that client (the first that holds is
    the basis). The same errors, in the same order: :class:`Forbidden` for a role with no grant,
    :class:`NotFound` for no such journey, :class:`Forbidden` for a client outside the grants."""
    grants = grants_for(principal, what)
    if not grants:
        raise Forbidden(f"role {principal.role} may not see {what} of any client")
    row = _journey_check(principal, what, today).first(
        connection_of(session), {"journey_id": journey_id}
    )
    if row is None:
        raise NotFound(f"journey {journey_id} not found")
    client_id = int(row[0])
    for grant, hit in zip(grants, row[1:], strict=True):
        if hit:
            return client_id, grant.basis
    raise Forbidden(f"user {principal.user_id} may not see {what} of client {client_id}")


@lru_cache(maxsize=4096)
def _journey_check(principal: Principal, what: What, today: date) -> DriverStatement:
    """The journey ``:journey_id``'s client and, per grant, whether its condition holds (built
    once per principal, kind of view and day, as :func:`_client_check`)."""
    holds = [
        exists(
            select(col(Client.id)).where(
                col(Client.id) == col(Journey.client_id), grant.condition(principal, today)
            )
        )
        for grant in grants_for(principal, what)
    ]
    return DriverStatement(
        select(col(Journey.client_id), *holds).where(col(Journey.id) == bindparam("journey_id"))
    )


def authorise_referral(
    session: Session, principal: Principal, referral_id: int, what: What, today: date
) -> tuple[int, Basis]:
    """Allow or refuse one view of one referral: (its client's id, the basis). The care-team
    grant asks about the referral's client; the partner grant about this very referral."""
    if not grants_for(principal, what):
        raise Forbidden(f"role {principal.role} may not see {what} of any referral")
    client_id = session.execute(
        select(col(Referral.client_id)).where(col(Referral.id) == referral_id)
    ).scalar_one_or_none()
    if client_id is None:
        raise NotFound(f"referral {referral_id} not found")
    for grant in grants_for(principal, what):
        condition = (
            grant.for_referral(principal, today, referral_id)
            if grant.for_referral is not None
            else grant.condition(principal, today)
        )
        hit = session.execute(
            select(col(Client.id)).where(col(Client.id) == client_id, condition)
        ).first()
        if hit is not None:
            return client_id, grant.basis
    raise Forbidden(f"user {principal.user_id} may not see {what} of referral {referral_id}")


def authorise_group(
    session: Session, principal: Principal, group_id: int, what: What, today: date
) -> Basis:
    """Allow or refuse one view of (or work in) one group: the basis of the first group grant
    whose condition holds for this group. :class:`Forbidden` for a role with no group grant or a
    user outside the group, :class:`NotFound` for a group that does not exist."""
    grants = [g for g in grants_for(principal, what) if g.for_group is not None]
    if not grants:
        raise Forbidden(f"role {principal.role} may not see {what} of any group")
    for grant in grants:
        assert grant.for_group is not None
        hit = session.execute(
            select(col(ClientGroup.id)).where(
                col(ClientGroup.id) == group_id,
                grant.for_group(principal, today, col(ClientGroup.id)),
            )
        ).first()
        if hit is not None:
            return grant.basis
    if session.get(ClientGroup, group_id) is None:
        raise NotFound(f"group {group_id} not found")
    raise Forbidden(f"user {principal.user_id} may not see {what} of group {group_id}")


#: Which referral triggers each role may fire: the receiving partner answers and reports, the
#: referring coach may cancel (FHIR: the owner vs the requester of the Task).
REFERRAL_TRIGGERS: dict[Role, frozenset[str]] = {
    Role.partner: frozenset({"accept", "reject", "start_work", "hold", "complete", "fail"}),
    Role.coach: frozenset({"cancel"}),
}


def may_fire_referral_trigger(principal: Principal, trigger: str) -> bool:
    return trigger in REFERRAL_TRIGGERS.get(principal.role, frozenset())


def can_read_partner_inbox(principal: Principal) -> bool:
    """A partner worker of an organisation lists the referrals to it (no client data)."""
    return principal.role == Role.partner and principal.organisation_id is not None


def can_manage_partner_services(principal: Principal) -> bool:
    """An admin edits the partner services catalogue (no client data)."""
    return principal.role == Role.admin


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


def can_see_funder_reports(principal: Principal) -> bool:
    """A coordinator lists the funder reports of the projects their organisation takes part in
    (which projects: :func:`can_report_project`)."""
    return principal.role == Role.coordinator and principal.organisation_id is not None


def can_report_project(principal: Principal, organisation_ids: frozenset[int]) -> bool:
    """Only the coordinators of a project's organisations (main implementer or a
    co-implementer) see its funder report and export it (docs/reporting.md)."""
    return can_see_funder_reports(principal) and principal.organisation_id in organisation_ids


def can_find_clients_for_log(principal: Principal) -> bool:
    """A role with the log-request grant searches the clients it may print a log report of."""
    return bool(grants_for(principal, What.client_lookup))


def can_manage_users(principal: Principal) -> bool:
    """An admin creates and disables users. Admins have no grant on client data."""
    return principal.role == Role.admin


def authorise_event(
    session: Session, principal: Principal, event_id: int, what: What, today: date
) -> Basis:
    """Allow or refuse one view of (or work in) one event, as :func:`authorise_group` does for
    groups: :class:`Forbidden` for a role with no event grant or a user outside the event,
    :class:`NotFound` for an event that does not exist."""
    grants = [g for g in grants_for(principal, what) if g.for_event is not None]
    if not grants:
        raise Forbidden(f"role {principal.role} may not see {what} of any event")
    for grant in grants:
        assert grant.for_event is not None
        hit = session.execute(
            select(col(Event.id)).where(
                col(Event.id) == event_id, grant.for_event(principal, today, col(Event.id))
            )
        ).first()
        if hit is not None:
            return grant.basis
    if session.get(Event, event_id) is None:
        raise NotFound(f"event {event_id} not found")
    raise Forbidden(f"user {principal.user_id} may not see {what} of event {event_id}")


def can_list_events(principal: Principal) -> bool:
    """A role with an event grant lists the events it leads or coordinates."""
    return bool(grants_for(principal, What.event))


def can_create_event(principal: Principal) -> bool:
    """A coach of an organisation creates an event (kept by that organisation)."""
    return principal.role == Role.coach and principal.organisation_id is not None


def can_list_groups(principal: Principal) -> bool:
    """A role with a group grant lists the groups it leads, co-leads or coordinates."""
    return bool(grants_for(principal, What.group))


def can_create_group(principal: Principal) -> bool:
    """A coach of an organisation starts a group (kept by that organisation, led by them)."""
    return principal.role == Role.coach and principal.organisation_id is not None


def require(allowed: bool, action: str) -> None:
    if not allowed:
        raise Forbidden(f"not allowed: {action}")
