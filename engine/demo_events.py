"""Fictional demo data for events (engine/events.py): a psychologist's capacity assessment for
six demo clients two weeks ago (an outside expert; four came, one was ill and told us, one did
not come without notice), a weekly IT-skills course led by the demo coach that started three
weeks ago (absences with each reason; its weeks skip the holidays), and a client panel next
week. Every write goes through the real engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.access import Principal
from engine.events import add_participant, create_event, event_detail, mark_attendance
from engine.inputs import Checks
from engine.models import CareTeam, Client, Role
from engine.runtime import Runtime

#: (participant index, session number) -> the mark; the others present.
COURSE_ABSENCES: dict[tuple[int, int], dict[str, Any]] = {
    (1, 2): {"present": False, "absence_reason": "other_appointment", "notified": True},
    (2, 1): {"present": False, "absence_reason": "ill", "notified": False},
    (3, 3): {"present": False, "absence_reason": "no_notice"},
}


def load_events(runtime: Runtime, coach_id: int, project_id: int | None, now: datetime) -> int:
    """The demo events; returns how many were made (0 without clients)."""
    if project_id is None:
        return 0
    coach = Principal(coach_id, Role.coach, project_id)
    zone = runtime.clock.zone
    checks = Checks(now.astimezone(zone).date(), set(runtime.municipalities), now, zone)

    def local(days_ago: int, hour: int) -> datetime:
        day = (now - timedelta(days=days_ago)).astimezone(zone)
        return day.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)

    with runtime.db.write() as session:
        clients = [
            (int(i), str(m))
            for i, m in session.execute(
                select(col(Client.id), col(Client.municipality_code))
                .join(CareTeam, col(CareTeam.client_id) == col(Client.id))
                .where(col(CareTeam.user_id) == coach_id, col(Client.organisation_id) == project_id)
                .order_by(col(Client.id))
                .limit(9)
            ).all()
        ]
        if len(clients) < 6:
            return 0
        municipality = clients[0][1]
        plans: list[tuple[dict[str, Any], list[int]]] = [
            (
                {
                    "kind": "expert_session",
                    "title": "Psykologin työkykyarvio (demo)",
                    "expert_name": "Psykologi Pirjo Pohjola",
                    "expert_organisation": "Psykologipalvelut Oy (demo)",
                    "place": "Työllisyyspiste, neuvotteluhuone",
                    "first_at": local(14, 10),
                },
                [c for c, _m in clients[:6]],
            ),
            (
                {
                    "kind": "course_session",
                    "title": "Digitaidot-kurssi (demo)",
                    "leader_id": coach_id,
                    "place": "Kirjaston ATK-luokka",
                    "first_at": local(21, 13),
                    "sessions": 6,
                },
                [c for c, _m in clients[2:7]],
            ),
            (
                {
                    "kind": "client_panel",
                    "title": "Asiakasraati: kevään toiveet (demo)",
                    "leader_id": coach_id,
                    "remote": True,
                    "first_at": local(-7, 15),
                },
                [c for c, _m in clients[6:9]],
            ),
        ]
        made = 0
        for given, participants in plans:
            event = create_event(
                session,
                coach,
                {"municipality_code": municipality, **given},
                checks=checks,
                holidays=runtime.holidays,
            )
            assert event.id is not None
            made += 1
            for client_id in participants:
                add_participant(session, coach, event.id, client_id, today=checks.today)
            detail = event_detail(session, event.id, now)
            for s in detail.sessions:
                if s.starts_at.astimezone(zone).date() > checks.today or s.id is None:
                    continue
                for index, p in enumerate(detail.participants):
                    assert p.participant.id is not None
                    mark = _mark(given["kind"], index, s.number)
                    mark_attendance(
                        session, coach, event.id, s.id, p.participant.id, mark, checks=checks
                    )
        return made


def _mark(kind: str, index: int, number: int) -> dict[str, Any]:
    if kind == "expert_session":
        if index == 4:
            return {"present": False, "absence_reason": "ill", "notified": True}
        if index == 5:
            return {"present": False, "absence_reason": "no_notice"}
        return {"present": True}
    return COURSE_ABSENCES.get((index, number), {"present": True})
