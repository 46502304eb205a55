"""Fictional demo data for groups (engine/groups.py): one running 8-week group led by the demo
coach and co-led by the demo partner worker, with a few of the demo clients as members (one
still invited, one who dropped out) and attendance marked at the meetings held so far. The
members who attend consented, when invited, to the co-leader's organisation seeing their name and
attendance (so the demo partner sees them; the one still invited did not). Every move goes
through the real engine, so the client journeys follow it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from engine.access import Principal
from engine.clock import as_utc
from engine.groups import (
    GroupInput,
    add_member,
    advance_membership,
    create_group,
    mark_attendance,
)
from engine.models import AbsenceReason, Client, GroupSession, Journey, Role
from engine.pathway_keys import CLIENT_JOURNEY
from engine.runtime import Runtime

#: the reasons of the demo's absences from group meetings, in turn (engine/attendance.py)
ABSENCES = (AbsenceReason.no_notice, AbsenceReason.ill, AbsenceReason.other_appointment)

DEMO_GROUP = "Arjen taidot -ryhmä (demo)"
#: Client journey states from which a member can start attending.
READY = ("goal_setting", "individual_work", "group_work", "group_and_individual_work")
MEMBERS = 5
TOPICS = (
    "Tutustuminen ja ryhmän pelisäännöt",
    "Arjen rytmi ja uni",
    "Ruoka ja raha-asiat",
    "Terveys ja liikunta",
    "Vahvuudet ja osaaminen",
    "Tutustumiskäynti työpajaan",
    "Työnhaun taidot",
    "Yhteenveto ja jatkosuunnitelmat",
)


def load_groups(
    runtime: Runtime, coach_id: int, partner_id: int, project_id: int, now: datetime
) -> int | None:
    """The demo group; returns its id (None when no demo client is ready for group work)."""
    rng = random.Random(8)
    coach = Principal(coach_id, Role.coach, project_id)
    zone = runtime.clock.zone
    first_local = (
        (now - timedelta(weeks=3))
        .astimezone(zone)
        .replace(hour=13, minute=0, second=0, microsecond=0, tzinfo=None)
    )
    with runtime.db.write() as session:
        ready = session.execute(
            select(col(Client.id), col(Client.municipality_code), col(Journey.updated_at))
            .join(Journey, col(Journey.client_id) == col(Client.id))
            .where(
                col(Journey.pathway_key) == CLIENT_JOURNEY,
                col(Journey.state).in_(READY),
                col(Client.organisation_id) == project_id,
            )
            .order_by(col(Client.id))
            .limit(MEMBERS)
        ).all()
        if not ready:
            return None
        group = create_group(
            session,
            coach,
            GroupInput(
                name=DEMO_GROUP,
                municipality_code=ready[0][1],
                first_meeting=first_local,
                meetings=8,
                place="Nuorisotila Kipinä",
                co_leader_id=partner_id,
            ),
            municipalities=runtime.municipalities,
            zone=zone,
            now=now - timedelta(weeks=4),
        )
        assert group.id is not None
        meetings = list(
            session.execute(
                select(GroupSession)
                .where(col(GroupSession.group_id) == group.id)
                .order_by(col(GroupSession.number))
            ).scalars()
        )
        for meeting, topic in zip(meetings, TOPICS, strict=True):
            meeting.topic = topic
            session.add(meeting)
        held = [m for m in meetings if as_utc(m.starts_at) <= now]
        for i, (client_id, _code, last_move) in enumerate(ready):
            at = max(as_utc(last_move), now - timedelta(weeks=4)) + timedelta(minutes=1)
            stays_invited = i == len(ready) - 1 and len(ready) > 1
            membership = add_member(
                session,
                runtime.journeys,
                coach,
                group.id,
                client_id,
                now=at,
                consent_evidence=None if stays_invited else ("verbal", "written")[i % 2],
            )
            assert membership.id is not None
            if stays_invited:
                continue  # invited, not started yet
            start = max(at, as_utc(held[0].starts_at) if held else at)
            start = min(start, now)
            advance_membership(
                session,
                runtime.journeys,
                coach,
                group.id,
                membership.id,
                "start_attending",
                now=start,
            )
            drops = i == 1 and len(ready) > 2
            drop_at = min(now, start + timedelta(days=8))
            for n, meeting in enumerate(held):
                if as_utc(meeting.starts_at) < start - timedelta(hours=1):
                    continue
                if drops and as_utc(meeting.starts_at) > drop_at:
                    break
                # mostly present; the first member misses the second meeting (ill, told us)
                present = rng.random() < 0.8 and not (i == 0 and n == 1)
                reason = None if present else ABSENCES[(i + n) % len(ABSENCES)]
                mark_attendance(
                    session,
                    coach,
                    group.id,
                    meeting.id or 0,
                    membership.id,
                    present=present,
                    absence_reason=reason,
                    notified=reason is not None and reason != AbsenceReason.no_notice,
                    today=runtime.clock.local_date(now),
                    zone=zone,
                    now=min(now, as_utc(meeting.starts_at) + timedelta(hours=2)),
                )
            if drops:
                advance_membership(
                    session,
                    runtime.journeys,
                    coach,
                    group.id,
                    membership.id,
                    "drop_out",
                    reason="Demo: aloitti työkokeilun.",
                    now=drop_at,
                )
        return group.id
