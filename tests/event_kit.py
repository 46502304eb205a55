"""Building blocks for event tests (tests/, features/, the security matrix, the browser tests):
an event created and filled through the engine code paths the app uses (engine/events.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from engine import holidays
from engine.access import Principal
from engine.events import add_participant, create_event
from engine.inputs import Checks
from engine.runtime import Runtime


def make_event(
    runtime: Runtime,
    coach: Principal,
    *,
    kind: str = "expert_session",
    title: str = "Psykologin työkykyarvio",
    sessions: int = 1,
    first_at: datetime | None = None,
    leader_id: int | None = None,
    expert: tuple[str, str] | None = ("Psykologi Pirjo Pohjola", "Psykologipalvelut Oy"),
    participants: Sequence[int] = (),
) -> int:
    """An event of ``coach`` in Kittilä (261) with ``participants`` (the coach's clients); by
    default one session led by an outside expert, an hour ago today, so it can be marked."""
    if first_at is None:
        first_at = (runtime.clock.now() - timedelta(hours=1)).astimezone(runtime.clock.zone)
        first_at = first_at.replace(tzinfo=None)
    with runtime.db.write() as session:
        given: dict[str, object] = {
            "kind": kind,
            "title": title,
            "municipality_code": "261",
            "place": "Kittilän työllisyyspiste",
            "first_at": first_at,
            "sessions": sessions,
        }
        if leader_id is not None:
            given["leader_id"] = leader_id
        elif expert is not None:
            given["expert_name"], given["expert_organisation"] = expert
        event = create_event(
            session,
            coach,
            given,
            checks=Checks.of(runtime.clock, runtime.municipalities),
            # the default follows the wall clock: no holiday may move the session
            holidays=holidays.NONE,
        )
        assert event.id is not None
        for client_id in participants:
            add_participant(session, coach, event.id, client_id, today=runtime.clock.today())
        return event.id
