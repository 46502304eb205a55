"""Read-only snapshots of rows, handed to guards, plugins and callers of ``advance()``.

Guards must not write, and building ORM instances costs more than the rest of a transition, so
the hot path reads plain rows into these frozen, slotted dataclasses. Their fields mirror the
tables column for column (a meta-test checks that they stay in step with the models).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self


class _View:
    __slots__ = ()

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    @classmethod
    def of(cls, obj: Any) -> Self:
        """A snapshot of any object (ORM instance, row, view) with the same attribute names."""
        if isinstance(obj, cls):
            return obj
        return cls(*(getattr(obj, name) for name in cls.field_names()))


@dataclass(frozen=True, slots=True)
class JourneyView(_View):
    id: int
    client_id: int
    pathway_key: str
    pathway_version: int
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    event_hash: str = ""
    furthest_stage: int | None = None


@dataclass(frozen=True, slots=True)
class ClientView(_View):
    id: int
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_code: str
    phone: str | None
    email: str | None
    participation_consent_at: datetime | None
    created_at: datetime
    created_by: int | None
    organisation_id: int | None
    #: How the client was found (ESF+ reporting: diaconia, social work, street outreach...).
    found_via: str | None = None


@dataclass(frozen=True, slots=True)
class EventView(_View):
    """One committed (or about to be committed) journey event."""

    id: int | None
    journey_id: int
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
    prev_hash: str = ""
