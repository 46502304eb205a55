"""Fictional ESF+ demo data (Faker fi_FI, fixed seed): a project with two co-implementers and
filled participant forms, so the coordinator's funder report (/reports/funder) has something to
show after ``make run``.

- The project "VALTO (demo)": the demo project organisation is the main implementer (in every
  demo municipality), "Laptuote-säätiö (demo)" in Parikkala and "SaimaanVirta (demo)" in
  Ruokolahti and Rautjärvi are co-implementers; 85 participants planned (51, 14 and 20).
- The demo coach's clients get an entry form on the day their journey reached "engaged", and
  an exit form when it ended; some a six-month follow-up. A few items are left as gaps and a
  few sensitive ones declined, as in real life.
- Each co-implementer gets a dozen fictional clients of its own, engaged and with forms.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from faker import Faker
from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import PolkuError
from engine.models import Client, FoundVia, Journey, JourneyEvent, Organisation
from engine.participant_forms import DEFAULT_FORM, add_months
from engine.participants import FormInput, record_form
from engine.pathway_keys import CLIENT_JOURNEY
from engine.projects import ImplementerInput, ProjectInput, ProjectView, create_project
from engine.runtime import Runtime

DEMO_ESF_PROJECT = "VALTO-DEMO"
CO_IMPLEMENTERS = (
    ("Laptuote-säätiö (demo)", ("580",), 14),
    ("SaimaanVirta (demo)", ("700", "689"), 20),
)


def _entry_answers(rng: random.Random, entered: date) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {
        "gender": rng.choices(["woman", "man", "non_binary", "declined"], [45, 48, 3, 4])[0],
    }
    status = rng.choices(
        ["unemployed", "inactive", "in_education", "employed", ""], [60, 25, 6, 4, 5]
    )[0]
    if status:
        answers["labour_market_status"] = status
    if status == "unemployed" and rng.random() < 0.9:
        answers["unemployed_since"] = (entered - timedelta(days=rng.randint(30, 900))).isoformat()
    if rng.random() < 0.92:
        answers["education"] = rng.choices(["isced_0_2", "isced_3_4", "isced_5_8"], [45, 45, 10])[0]
    for item, yes in (
        ("disability", 0.25),
        ("third_country_national", 0.05),
        ("foreign_background", 0.12),
        ("minority", 0.04),
        ("homeless", 0.1),
        ("rural", 0.45),
    ):
        roll = rng.random()
        if roll < 0.08:
            continue  # not asked: a gap
        if roll < 0.13 and item != "rural":
            answers[item] = "declined"
        else:
            answers[item] = "yes" if rng.random() < yes else "no"
    return answers


def _exit_answers(rng: random.Random, outcome: str | None) -> dict[str, str | list[str]]:
    if outcome == "employed":
        return {"situation": ["employed"]}
    if outcome == "studies":
        return {"situation": rng.choice([["in_education"], ["in_education", "qualification"]])}
    if outcome == "follow_on_pathway":
        return {
            "situation": rng.choice(
                [["job_searching"], ["in_education"], ["job_searching", "qualification"]]
            )
        }
    return {"situation": rng.choice([["none"], ["job_searching"], ["none"]])}


def _record(
    runtime: Runtime,
    session: Session,
    project: ProjectView,
    client_id: int,
    actor_id: int | None,
    kind: str,
    on: date,
    answers: dict[str, str | list[str]],
) -> None:
    try:
        with session.begin_nested():
            record_form(
                session,
                runtime.forms,
                client_id=client_id,
                actor_id=actor_id,
                data=FormInput(project_id=project.id, kind=kind, occurred_on=on, answers=answers),  # type: ignore[arg-type]
                today=runtime.clock.today(),
                now=runtime.clock.now(),
            )
    except PolkuError:
        pass  # a demo date outside the project's rules: the form is left out (a gap)


def load_esf(
    runtime: Runtime, coach_id: int, organisation_id: int, now: datetime, *, seed: int = 2026
) -> ProjectView:
    """The demo project and its participants' forms (see the module's docstring)."""
    rng = random.Random(seed)
    fake = Faker("fi_FI")
    fake.seed_instance(seed)
    today = runtime.clock.local_date(now)
    with runtime.db.write() as session:
        main_org = session.get(Organisation, organisation_id)
        assert main_org is not None
        codes = sorted(
            {
                c
                for (c,) in session.execute(
                    select(col(Client.municipality_code)).where(
                        col(Client.organisation_id) == organisation_id
                    )
                )
            }
        )
        # without the seed plugins no municipality is known: the project then names none
        known = set(runtime.municipalities)
        project = create_project(
            session,
            ProjectInput(
                code=DEMO_ESF_PROJECT,
                name="VALTO (demo)",
                starts_on=today - timedelta(days=365),
                ends_on=today + timedelta(days=365),
                form_key=DEFAULT_FORM,
                funder="Etelä-Savon ELY-keskus (demo)",
                planned_participants=85,
                main=ImplementerInput(
                    organisation=main_org.name,
                    municipality_codes=[c for c in codes if c in known],
                    planned_participants=51,
                ),
                co_implementers=[
                    ImplementerInput(
                        organisation=name,
                        municipality_codes=[m for m in c if m in known],
                        planned_participants=n,
                    )
                    for name, c, n in CO_IMPLEMENTERS
                ],
            ),
            forms=runtime.forms,
            municipalities=set(runtime.municipalities),
            now=now,
        )
        # the demo coach's clients: entry when engaged, exit when the journey ended
        rows = session.execute(
            select(
                col(Journey.client_id),
                col(JourneyEvent.to_state),
                col(JourneyEvent.occurred_at),
                col(JourneyEvent.outcome),
            )
            .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
            .join(Client, col(Client.id) == col(Journey.client_id))
            .where(
                col(Journey.pathway_key) == CLIENT_JOURNEY,
                col(Client.organisation_id) == organisation_id,
            )
            .order_by(col(Journey.client_id), col(JourneyEvent.seq))
        ).all()
        entered: set[int] = set()
        for client_id, to_state, at, outcome in rows:
            on = at.date() if isinstance(at, datetime) else date.fromisoformat(str(at)[:10])
            if to_state == "engaged" and client_id not in entered:
                entered.add(client_id)
                client = session.get(Client, client_id)
                if client is not None and client.found_via is None:
                    client.found_via = rng.choice(list(FoundVia)).value
                _record(
                    runtime,
                    session,
                    project,
                    client_id,
                    coach_id,
                    "entry",
                    on,
                    _entry_answers(rng, on),
                )
            elif to_state in ("closed", "dropped_out") and client_id in entered:
                _record(
                    runtime,
                    session,
                    project,
                    client_id,
                    coach_id,
                    "exit",
                    on,
                    _exit_answers(rng, outcome),
                )
                if add_months(on, 6) <= today and rng.random() < 0.7:
                    later = rng.choice(["employed", "job_searching", "none"])
                    _record(
                        runtime,
                        session,
                        project,
                        client_id,
                        coach_id,
                        "follow_up",
                        add_months(on, 6),
                        {"situation": [later]},
                    )
        # the co-implementers' own participants
        for implementer in project.implementers:
            if implementer.role != "co":
                continue
            for _ in range(12):
                started = now - timedelta(days=rng.randint(20, 330))
                client = Client(
                    first_name=fake.first_name(),
                    last_name=fake.last_name(),
                    birth_date=date(
                        today.year - rng.randint(18, 62), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    municipality_code=rng.choice(
                        implementer.municipality_codes or sorted(known) or ["580"]
                    ),
                    participation_consent_at=started,
                    created_at=started,
                    organisation_id=implementer.organisation_id,
                    found_via=rng.choice(list(FoundVia)).value,
                )
                session.add(client)
                session.flush()
                assert client.id is not None
                journey = runtime.journeys.start(
                    session,
                    client_id=client.id,
                    pathway_key=CLIENT_JOURNEY,
                    actor_id=None,
                    at=started,
                )
                assert journey.id is not None
                engaged = started + timedelta(days=rng.randint(1, 14))
                runtime.journeys.advance(session, journey.id, "engage", actor_id=None, at=engaged)
                _record(
                    runtime,
                    session,
                    project,
                    client.id,
                    None,
                    "entry",
                    engaged.date(),
                    _entry_answers(rng, engaged.date()),
                )
                if rng.random() < 0.4:
                    left = min(engaged + timedelta(days=rng.randint(30, 200)), now)
                    _record(
                        runtime,
                        session,
                        project,
                        client.id,
                        None,
                        "exit",
                        left.date(),
                        _exit_answers(rng, None),
                    )
    return project
