"""The demo's client voice (engine/voice.py): feedback and wishes of the demo coach's first
clients (recorded together, and one given through a one-time link on the client's phone), an
open link not used yet, an experience expert and a peer instructor. Enough clients answer for
the coordinator's dashboard to show its counts and themes. All fictional.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from engine.inputs import Checks
from engine.models import CareTeam
from engine.runtime import Runtime
from engine.voice import add_role, create_link, give_by_link, record_feedback

#: (days ago, satisfaction, what helped, what to change, theme, wish)
DEMO_FEEDBACK = (
    (40, 4, "Kotikäynnit ja se, että ohjaaja soitti itse.", "", "work", "Työkokeilu varastolla"),
    (25, 5, "Ryhmän tapaamiset tiistaisin.", "Aamut ovat liian aikaisin.", "peer_group", ""),
    (18, 3, "", "Enemmän tietoa opiskelusta.", "study", "Tutustuminen ammattiopistoon"),
    (12, 4, "Apu lomakkeiden kanssa.", "", "everyday_skills", "Raha-asioiden kurssi"),
    (9, 2, "", "Tapaamiset peruuntuivat kahdesti.", "health", "Liikuntaryhmä"),
    (5, 5, "Kokemusasiantuntijan vierailu ryhmässä.", "", "leisure", "Kalastusretki"),
)
#: The answer given through a link on the client's own phone.
DEMO_LINK_ANSWER = {
    "satisfaction": "4",
    "helped": "Että sain puhua omista asioista rauhassa.",
    "change": "",
    "wish_theme": "work",
    "wish": "Yritysvierailu",
}


def load_voice(runtime: Runtime, coach_id: int, now: datetime) -> None:
    """Feedback of the demo coach's first clients, a link answered and one open, and two roles
    (the first client an experience expert, the second a peer instructor)."""
    today = runtime.clock.local_date(now)
    with runtime.db.write() as session:
        client_ids = list(
            session.execute(
                select(col(CareTeam.client_id))
                .where(col(CareTeam.user_id) == coach_id)
                .order_by(col(CareTeam.client_id))
                .limit(len(DEMO_FEEDBACK) + 2)
            ).scalars()
        )
        if len(client_ids) < len(DEMO_FEEDBACK) + 2:
            return
        checks = Checks(today, now=now, zone=runtime.clock.zone)
        for client_id, (days_ago, level, helped, change, theme, wish) in zip(
            client_ids, DEMO_FEEDBACK, strict=False
        ):
            record_feedback(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values={
                    "given_on": (today - timedelta(days=days_ago)).isoformat(),
                    "satisfaction": str(level),
                    "helped": helped,
                    "change": change,
                    "wish_theme": theme,
                    "wish": wish,
                },
                checks=checks,
                now=now,
            )
        answered = create_link(
            session,
            client_id=client_ids[len(DEMO_FEEDBACK)],
            created_by=coach_id,
            language="fi",
            now=now - timedelta(days=2),
            days=runtime.settings.feedback_link_days,
        )
        give_by_link(session, answered.token, DEMO_LINK_ANSWER, checks=checks, now=now)
        create_link(  # given to the client yesterday, not answered yet
            session,
            client_id=client_ids[len(DEMO_FEEDBACK) + 1],
            created_by=coach_id,
            language="",
            now=now - timedelta(days=1),
            days=runtime.settings.feedback_link_days,
        )
        for client_id, kind, days_ago in (
            (client_ids[0], "experience_expert", 30),
            (client_ids[1], "peer_instructor", 60),
        ):
            started = (today - timedelta(days=days_ago)).isoformat()
            add_role(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values={
                    "kind": kind,
                    "valid_from": started,
                    "consent_evidence": "written",
                    "consent_given_on": started,
                },
                checks=checks,
                now=now,
            )
