"""The SQL conditions behind the group grants of :mod:`engine.access` (docs/architecture.md,
"Groups"): who leads, co-leads or coordinates a group, and which clients that lets them see.

Kept apart from :mod:`engine.access` so the policy module stays one screen of grants; these
functions only build conditions and never decide on their own.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, false, literal
from sqlalchemy.orm import aliased
from sqlmodel import col

from engine.models import (
    Client,
    ClientGroup,
    Consent,
    GroupLeader,
    GroupLeaderKind,
    GroupMembership,
)

if TYPE_CHECKING:
    from engine.access import Principal

#: What a group's partner co-leader sees of a member, and so what the member's consent to the
#: co-leader's organisation must cover (``Consent.scope``).
CO_LEADER_SCOPE: tuple[str, ...] = ("name", "attendance")
#: The purpose recorded with that consent.
CO_LEADER_PURPOSE = "ryhmän ohjaus / gruppledning / group co-leading"

#: A group's id, or the id column of a query (``ClientGroup.id``, ``GroupMembership.group_id``).
GroupId = Any


def _leads(user_id: int, group_id: GroupId, kind: GroupLeaderKind) -> ColumnElement[bool]:
    return exists().where(
        col(GroupLeader.group_id) == group_id,
        col(GroupLeader.user_id) == user_id,
        col(GroupLeader.kind) == kind.value,
    )


def leads_group(principal: Principal, _today: date, group_id: GroupId) -> ColumnElement[bool]:
    """The principal (a coach) is a leader (ohjaaja) of the group."""
    return _leads(principal.user_id, group_id, GroupLeaderKind.leader)


def co_leads_group(principal: Principal, _today: date, group_id: GroupId) -> ColumnElement[bool]:
    """The principal (a partner worker) is the group's co-leader (apuohjaaja)."""
    return _leads(principal.user_id, group_id, GroupLeaderKind.co_leader)


def coordinates_group(principal: Principal, _today: date, group_id: GroupId) -> ColumnElement[bool]:
    """The group is kept by the principal's organisation (the coordinator's own project).

    The subquery reads an alias of ``client_group``: with the table itself, a ``group_id`` that is
    the outer query's ``client_group.id`` would compare the subquery's row with itself
    (``client_group.id = client_group.id``) and hold for every group of the organisation's
    existence, not for the group being checked."""
    if principal.organisation_id is None:
        return false()
    kept = aliased(ClientGroup)
    return exists().where(
        col(kept.id) == group_id,
        col(kept.organisation_id) == principal.organisation_id,
    )


def member_of_led_group(principal: Principal, today: date) -> ColumnElement[bool]:
    """The client is (or was) a member of a group the principal leads."""
    return exists().where(
        col(GroupMembership.client_id) == col(Client.id),
        leads_group(principal, today, col(GroupMembership.group_id)),
    )


def consents_to_co_leader(principal: Principal, _today: date) -> ColumnElement[bool]:
    """The client has an unrevoked consent to the principal's organisation whose scope covers
    :data:`CO_LEADER_SCOPE` (a condition on the ``client`` row, checked at every request, so
    revoking the consent hides the client at the next one)."""
    if principal.organisation_id is None:
        return false()
    return exists().where(
        col(Consent.client_id) == col(Client.id),
        col(Consent.organisation_id) == principal.organisation_id,
        consent_holds_for_co_leader(),
    )


def consent_holds_for_co_leader() -> ColumnElement[bool]:
    """A condition on the ``consent`` row: not revoked, and its scope (comma-separated) covers
    every field of :data:`CO_LEADER_SCOPE`."""
    padded = literal(",") + col(Consent.scope) + literal(",")
    return and_(
        col(Consent.revoked_at).is_(None),
        *(padded.like(f"%,{field},%") for field in CO_LEADER_SCOPE),
    )


def member_of_co_led_group(principal: Principal, today: date) -> ColumnElement[bool]:
    """The client has started attending a group the principal co-leads (an invitation alone
    shows the partner nothing) and consents to the principal's organisation seeing their name and
    attendance (:func:`consents_to_co_leader`)."""
    return and_(
        exists().where(
            col(GroupMembership.client_id) == col(Client.id),
            col(GroupMembership.attended_from).is_not(None),
            co_leads_group(principal, today, col(GroupMembership.group_id)),
        ),
        consents_to_co_leader(principal, today),
    )


def member_of_coordinated_group(principal: Principal, today: date) -> ColumnElement[bool]:
    """The client is (or was) a member of a group kept by the principal's organisation."""
    return exists().where(
        col(GroupMembership.client_id) == col(Client.id),
        coordinates_group(principal, today, col(GroupMembership.group_id)),
    )
