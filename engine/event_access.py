"""The SQL conditions behind the event grants of :mod:`engine.access` (docs/architecture.md,
"Events"): who leads or coordinates an event, and which clients that lets them see (its
participants' names and attendance, nothing else). Like :mod:`engine.group_access`, these only
build conditions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, false, or_
from sqlalchemy.orm import aliased
from sqlmodel import col

from engine.models import Client, Event, EventParticipant

if TYPE_CHECKING:
    from engine.access import Principal

#: An event's id, or the id column of a query (``Event.id``, ``EventParticipant.event_id``).
EventId = Any


def leads_event(principal: Principal, _today: date, event_id: EventId) -> ColumnElement[bool]:
    """The principal (a coach) created the event or is its leader."""
    event = aliased(Event)
    return exists().where(
        col(event.id) == event_id,
        or_(col(event.created_by) == principal.user_id, col(event.leader_id) == principal.user_id),
    )


def coordinates_event(principal: Principal, _today: date, event_id: EventId) -> ColumnElement[bool]:
    """The event is kept by the principal's organisation (a coordinator's)."""
    if principal.organisation_id is None:
        return false()
    event = aliased(Event)
    return exists().where(
        col(event.id) == event_id, col(event.organisation_id) == principal.organisation_id
    )


def _participates(condition: Any) -> ColumnElement[bool]:
    return exists().where(
        col(EventParticipant.client_id) == col(Client.id),
        condition(col(EventParticipant.event_id)),
    )


def participant_of_led_event(principal: Principal, today: date) -> ColumnElement[bool]:
    """The client takes part in an event the principal leads or created."""
    return _participates(lambda event_id: leads_event(principal, today, event_id))


def participant_of_coordinated_event(principal: Principal, today: date) -> ColumnElement[bool]:
    """The client takes part in an event of the principal's organisation."""
    return _participates(lambda event_id: coordinates_event(principal, today, event_id))
