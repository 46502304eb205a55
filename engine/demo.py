"""Fictional demo data (Faker fi_FI, fixed seed): never a real person's name or contact details.

One project organisation and two fictional partner agencies, one user per role with a fixed demo
password (:data:`DEMO_LOGINS`), and clients kept by the project, all in the demo coach's care team.
Clients live in the municipalities the plugins describe (the seed municipalities), with a few
plausible dated facts for the referral rules (unemployed since, benefit, plans made), recorded
only for fact keys some plugin defines. Journeys are walked through the real engine
(``advance``) by the demo coach, so every demo event obeys the pathway and its guards, with
back-dated times spread over the past months.

Loaded only in demo, development or test settings: the demo passwords are printed on every
``make run``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from faker import Faker
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.assessments import record_assessment
from engine.clock import as_utc
from engine.contacts import record_contact
from engine.demo_esf import load_esf
from engine.demo_events import load_events
from engine.demo_groups import load_groups
from engine.demo_voice import load_voice
from engine.inputs import Checks
from engine.models import (
    CareTeam,
    Client,
    ContactEntry,
    ContactKind,
    Journey,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from engine.pathway_keys import CLIENT_JOURNEY
from engine.qualifications import QualificationInput
from engine.qualifications import add as add_qualification
from engine.runtime import Runtime
from engine.settings import Environment
from engine.strengths import ExperienceInput, add_experience, add_strength, set_cv_contact

#: The demo coach's role in each client's care team, in turn (issue 18: care-team roles).
DEMO_CARE_ROLES = ("goal_coach", "goal_coach", "job_coach", "outreach_worker")

DEMO_ENVIRONMENTS = (Environment.demo, Environment.development, Environment.test)

#: Preferred forward moves, in journey order; the walk takes the first allowed one most often.
FORWARD = (
    "engage",
    "start_assessment",
    "set_goals",
    "start_group_work",
    "start_individual_work",
    "close",
)
DETOURS = ("pause", "resume", "drop_out", "re_engage", "decline", "reach_again")
FALLBACK_MUNICIPALITIES = ("261", "614", "977", "678", "491")
#: Contact kinds of the demo's everyday work (an aftercare check-in is recorded on purpose).
IN_WORK_KINDS = tuple(k for k in ContactKind if k != ContactKind.aftercare)


DEMO_PROJECT = "Polku-hanke (demo)"
DEMO_PARTNERS = ("Esimerkkilän työllisyyspalvelut (demo)", "Työpaja Verstas ry (demo)")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    display_name: str
    organisation: str


#: One login per role. Fictional people; the passwords are public on purpose (demo only).
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("valmentaja", "demo-valmentaja-2026", Role.coach, "Demo Valmentaja", DEMO_PROJECT),
    DemoLogin(
        "koordinaattori",
        "demo-koordinaattori-2026",
        Role.coordinator,
        "Demo Koordinaattori",
        DEMO_PROJECT,
    ),
    DemoLogin("kumppani", "demo-kumppani-2026", Role.partner, "Demo Kumppani", DEMO_PARTNERS[0]),
    DemoLogin("paakayttaja", "demo-paakayttaja-2026", Role.admin, "Demo Pääkäyttäjä", DEMO_PROJECT),
)


class DemoRefused(RuntimeError):
    """Demo data (with its published passwords) never goes into a production database."""


@dataclass
class DemoSummary:
    clients: int
    events: int
    users: int


def demo_municipalities(runtime: Runtime) -> list[str]:
    """The codes of the municipalities the plugins describe (fallback when none do)."""
    return sorted(runtime.municipalities) or list(FALLBACK_MUNICIPALITIES)


def demo_facts(rng: random.Random, started: datetime, age: int) -> dict[str, object]:
    """A plausible set of facts for one demo client, as known when they were first met."""
    met = started.date()
    status = rng.choices(
        ["unemployed", "outside_labour_force", "student"], weights=[8, 2, 1 if age < 30 else 0]
    )[0]
    facts: dict[str, object] = {"employment_status": status}
    if status == "unemployed":
        facts["unemployed_since"] = met - timedelta(days=rng.randint(60, 6 * 365))
        facts["benefit"] = rng.choices(
            ["labour_market_subsidy", "social_assistance", "basic_unemployment_allowance"],
            weights=[6, 3, 1],
        )[0]
        facts["activation_plan"] = rng.random() < 0.4
        facts["multi_agency_employment_plan"] = rng.random() < 0.25
        facts["work_ability_obstacles"] = rng.random() < 0.6
    if rng.random() < 0.5:
        facts["service_needs_assessment"] = rng.random() < 0.7
    return facts


def is_empty(runtime: Runtime) -> bool:
    """No users yet (a database from before users existed still gets the demo logins)."""
    with runtime.db.read() as session:
        return not session.execute(select(func.count()).select_from(User)).scalar_one()


def load_people(runtime: Runtime) -> dict[str, int]:
    """The demo organisations and one user per role; return {username: user id}."""
    if runtime.settings.environment not in DEMO_ENVIRONMENTS:
        raise DemoRefused(
            "demo data (with published passwords) is loaded only with POLKU_ENVIRONMENT=demo "
            f"(or development/test), not {runtime.settings.environment.value}"
        )
    municipalities = ",".join(demo_municipalities(runtime))
    ids: dict[str, int] = {}
    with runtime.db.write() as session:
        organisations: dict[str, int] = {}
        for name, kind in [(DEMO_PROJECT, OrganisationKind.project)] + [
            (p, OrganisationKind.partner) for p in DEMO_PARTNERS
        ]:
            organisation = Organisation(
                name=name, kind=kind.value, municipality_codes=municipalities
            )
            session.add(organisation)
            session.flush()
            assert organisation.id is not None
            organisations[name] = organisation.id
        for login in DEMO_LOGINS:
            user, _secret = runtime.auth.create_user(
                session,
                username=login.username,
                display_name=login.display_name,
                role=login.role,
                organisation_id=organisations[login.organisation],
                password=login.password,
                totp=runtime.settings.require_totp,
            )
            assert user.id is not None
            ids[login.username] = user.id
    return ids


def demo_users(runtime: Runtime) -> list[tuple[DemoLogin, User]]:
    """The demo logins that exist in this database, with their users."""
    names = [login.username for login in DEMO_LOGINS]
    with runtime.db.read() as session:
        users = {
            u.username: u
            for u in session.execute(select(User).where(col(User.username).in_(names))).scalars()
        }
    return [(login, users[login.username]) for login in DEMO_LOGINS if login.username in users]


def load_demo(runtime: Runtime, *, clients: int = 60, seed: int = 2026) -> DemoSummary:
    """Create the demo organisations and users, and ``clients`` fictional clients with journeys
    at every stage, all kept by the project and in the demo coach's care team."""
    people = load_people(runtime)
    coach_id = people[DEMO_LOGINS[0].username]
    with runtime.db.read() as session:
        project_id = session.execute(
            select(col(User.organisation_id)).where(col(User.id) == coach_id)
        ).scalar_one()
    fake = Faker("fi_FI")
    Faker.seed(seed)
    rng = random.Random(seed)
    municipalities = demo_municipalities(runtime)
    now = datetime.now(UTC)
    events = 0
    for i in range(clients):
        started = now - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 600))
        age = rng.randint(17, 60)
        first, last = fake.first_name(), fake.last_name()
        with runtime.db.write() as session:
            client = Client(
                first_name=first,
                last_name=last,
                birth_date=date(now.year - age, rng.randint(1, 12), rng.randint(1, 28)),
                municipality_code=rng.choice(municipalities),
                phone=fake.phone_number(),
                email=f"{_ascii(first)}.{_ascii(last)}.{i}@example.org",
                participation_consent_at=started if rng.random() < 0.8 else None,
                created_at=started,
                created_by=coach_id,
                organisation_id=project_id,
            )
            session.add(client)
            session.flush()
            assert client.id is not None
            for key, value in demo_facts(rng, started, age).items():
                if key in runtime.facts.definitions:
                    runtime.facts.record(
                        session,
                        client_id=client.id,
                        key=key,
                        value=value,
                        valid_from=started.date(),
                        at=started,
                    )

            session.add(
                CareTeam(
                    client_id=client.id,
                    user_id=coach_id,
                    valid_from=started.date(),
                    role=DEMO_CARE_ROLES[i % len(DEMO_CARE_ROLES)],
                    created_at=started,
                    created_by=coach_id,
                )
            )
            journey = runtime.journeys.start(
                session,
                client_id=client.id,
                pathway_key=CLIENT_JOURNEY,
                actor_id=coach_id,
                at=started,
            )
            events += 1 + _walk(runtime, session, journey, client, rng, started, now, coach_id)
            _contacts(session, rng, client.id, coach_id, started, now)
            _follow_ups(session, rng, client.id, coach_id, now)
    load_referrals(runtime, people, project_id, now)
    load_assessments_and_strengths(runtime, coach_id, now)
    load_pair_work(runtime, coach_id, project_id, now)
    load_aftercare(runtime, coach_id, now)
    # groups (engine/demo_groups.py): one running 8-week group
    load_groups(runtime, coach_id, people[DEMO_LOGINS[2].username], project_id, now)
    # events (engine/demo_events.py): an expert session, a course and a client panel
    load_events(runtime, coach_id, project_id, now)
    # ESF+ (engine/demo_esf.py): a project with two co-implementers and filled forms
    load_esf(runtime, coach_id, project_id, now)
    # the client's voice (engine/demo_voice.py): feedback, a link answered, two roles
    load_voice(runtime, coach_id, now)
    return DemoSummary(clients, events, len(people))


def load_aftercare(runtime: Runtime, coach_id: int, now: datetime) -> None:
    """Aftercare (engine/aftercare.py): the referrals above leave clients on a follow-on pathway
    (the one completed 40 days ago has its one-month check-in due); the coach called the one
    whose pathway started most recently two days ago, which clears its first check-in."""
    from engine.aftercare import plan

    if runtime.aftercare is None:
        return
    with runtime.db.write() as session:
        on_pathway = session.execute(
            select(col(Journey.client_id))
            .join(CareTeam, col(CareTeam.client_id) == col(Journey.client_id))
            .where(
                col(CareTeam.user_id) == coach_id,
                col(Journey.pathway_key) == CLIENT_JOURNEY,
                col(Journey.state).in_(runtime.aftercare.definition.continues_in),
            )
        ).scalars()
        plans = [
            (p.started_on, c) for c in on_pathway if (p := plan(session, c, runtime.aftercare))
        ]
        # the earliest started keeps its reminder due; the latest (started 3+ days ago) is called
        recent = [(on, c) for on, c in sorted(plans)[1:] if on <= (now - timedelta(days=3)).date()]
        if not recent:
            return
        _started, client_id = max(recent)
        record_contact(
            session,
            client_id=client_id,
            coach_id=coach_id,
            contact={
                "kind": ContactKind.aftercare.value,
                "occurred_at": now - timedelta(days=2),
                "duration_minutes": 20,
                "note": "Soitin: jatkopolku on alkanut hyvin, aamut sujuvat (demo).",
            },
            checks=Checks.at(runtime.clock, now),
        )


#: The demo coach's colleague (a job coach without a login): pair work on the first client.
DEMO_COLLEAGUE = ("demo.tyopari", "Demo Työpari")


def load_pair_work(runtime: Runtime, coach_id: int, project_id: int | None, now: datetime) -> None:
    """The demo coach's first client also has a job coach (the colleague, in the care team), and
    the two visited the client at home together last week (pair work; the coach wrote it)."""
    with runtime.db.write() as session:
        client_id = session.execute(
            select(func.min(CareTeam.client_id)).where(col(CareTeam.user_id) == coach_id)
        ).scalar_one()
        if client_id is None:
            return
        username, name = DEMO_COLLEAGUE
        colleague = User(
            username=username, display_name=name, role=Role.coach.value, organisation_id=project_id
        )
        session.add(colleague)
        session.flush()
        assert colleague.id is not None
        session.add(
            CareTeam(
                client_id=client_id,
                user_id=colleague.id,
                valid_from=(now - timedelta(days=30)).date(),
                role="job_coach",
                created_at=now,
                created_by=coach_id,
            )
        )
        visited = now - timedelta(days=6)
        record_contact(
            session,
            client_id=client_id,
            coach_id=coach_id,
            contact={
                "kind": "home_visit",
                "occurred_at": visited,
                "duration_minutes": 90,
                "note": "Kotikäynti työparina: työkokeilun aloitus ja kulkeminen.",
                "pair_worker_id": colleague.id,
            },
            checks=Checks.at(runtime.clock, visited),
        )


DEMO_NOTES = (
    "Tavattiin kahvilassa, kuulumisten vaihtoa.",
    "Käytiin yhdessä Kelan asiointipisteessä.",
    "Puhelu: sovittiin seuraava tapaaminen.",
    "Kotikäynti, arjen asioiden läpikäyntiä.",
    "Etätapaaminen, CV:n päivitystä.",
    "",
)


def _contacts(
    session: Session,
    rng: random.Random,
    client_id: int,
    coach_id: int,
    start: datetime,
    now: datetime,
) -> None:
    """A few fictional contacts of individual work, the last one sometimes with a follow-up."""
    when = start
    for _ in range(rng.randint(0, 4)):
        when = min(now, when + timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 6)))
        follow_up = (
            when.date() + timedelta(days=rng.randint(-5, 21)) if rng.random() < 0.5 else None
        )
        session.add(
            ContactEntry(
                client_id=client_id,
                coach_id=coach_id,
                occurred_at=when,
                kind=rng.choice(IN_WORK_KINDS).value,
                duration_minutes=rng.choice([15, 30, 45, 60, 90, 120]),
                note=rng.choice(DEMO_NOTES),
                next_contact_on=max(follow_up, when.date()) if follow_up else None,
                recorded_at=when,
            )
        )


#: The demo referrals to the demo partner: the partner's moves after sending, and how many days
#: ago each was sent (the first is overdue: unanswered past its response time).
DEMO_REFERRALS: tuple[tuple[tuple[tuple[str, str | None, str | None], ...], int], ...] = (
    ((), 20),
    ((), 1),
    ((("accept", None, None),), 6),
    ((("accept", None, None), ("start_work", None, None)), 12),
    (
        (
            ("accept", None, None),
            ("start_work", None, None),
            ("complete", "Aloitti ammatilliset opinnot", "moved_on"),
        ),
        40,
    ),
    ((("reject", "Ryhmä on täynnä tänä keväänä", None),), 9),
)


def load_referrals(
    runtime: Runtime, people: dict[str, int], project_id: int | None, now: datetime
) -> int:
    """Referrals in different states to the demo partner (DEMO_PARTNERS[0]): the plugins'
    eligible targets of the demo clients go into the partner catalogue, each referral is sent
    with the client's consent and moved on by the demo partner. Returns how many were sent."""
    from engine import consents, partner_catalogue
    from engine.access import Principal
    from engine.consents import PACKET_FIELDS
    from engine.errors import PolkuError
    from engine.partner_catalogue import SERVICE_TYPES

    coach = Principal(people[DEMO_LOGINS[0].username], Role.coach, project_id)
    partner_login = DEMO_LOGINS[2]
    with runtime.db.read() as session:
        partner_org = session.execute(
            select(col(Organisation.id)).where(col(Organisation.name) == partner_login.organisation)
        ).scalar_one()
        candidates = (
            session.execute(
                select(col(Journey.client_id))
                .where(
                    col(Journey.pathway_key) == CLIENT_JOURNEY,
                    col(Journey.state).in_(
                        ["group_work", "individual_work", "group_and_individual_work", "engaged"]
                    ),
                )
                # clients in group or individual work first (a follow-on referral needs them);
                # an engaged client can still be referred to a supporting service
                .order_by(col(Journey.state) == "engaged", col(Journey.client_id))
            )
            .scalars()
            .all()
        )
    partner = Principal(people[partner_login.username], Role.partner, partner_org)
    plans = list(DEMO_REFERRALS)
    sent = 0
    for client_id in candidates:
        if not plans:
            break
        moves, days_ago = plans[0]
        at = now - timedelta(days=days_ago)
        try:
            with runtime.db.write() as session:
                options = runtime.referral_options.of_client(
                    session, client_id, today=runtime.clock.local_date(at)
                )
                eligible = [o for o in options if o.eligible]
                if not eligible:
                    continue
                target = eligible[0].target
                partner_catalogue.save_service(
                    session,
                    target_key=target.key,
                    organisation_id=partner_org,
                    service_type=target.pathway_type
                    if target.pathway_type in SERVICE_TYPES
                    else "other",
                    municipality_code=target.area[0]
                    if target.area
                    else (target.provider.municipality_code if target.provider else "000"),
                    capacity=12,
                    response_days=14,
                    notify_email=None,
                )
                consent = consents.record_consent(
                    session,
                    coach,
                    client_id,
                    organisation_id=partner_org,
                    scope=PACKET_FIELDS,
                    purpose="Ohjaus jatkopalveluun (demo)",
                    evidence="written",
                    given_at=at,
                    now=at,
                )
                referral = runtime.referrals.refer(
                    session,
                    coach,
                    client_id,
                    target_key=target.key,
                    fields=("name", "contact", "goals", "handoff_note"),
                    consent_id=consent.id,
                    goals="Säännöllinen päivärytmi ja opiskelupaikka",
                    handoff_note="Sopii parhaiten aamupäivisin; tulee mielellään ensikäynnille "
                    "valmentajan kanssa.",
                    now=at,
                    today=runtime.clock.local_date(at),
                )
                assert referral.id is not None
                for step, (trigger, reason, outcome) in enumerate(moves, start=1):
                    runtime.referrals.advance(
                        session,
                        partner,
                        referral.id,
                        trigger,
                        reason=reason,
                        outcome=outcome,
                        now=at + timedelta(days=step),
                    )
        except PolkuError:
            continue  # this client's journey or rules do not allow it: try the next one
        plans.pop(0)
        sent += 1
    with runtime.db.write() as session:
        runtime.referrals.expire(session, now)
    return sent


def _walk(
    runtime: Runtime,
    session: Session,
    journey: Journey,
    client: Client,
    rng: random.Random,
    start: datetime,
    now: datetime,
    actor_id: int,
) -> int:
    assert journey.id is not None
    steps = rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9])
    when = start
    done = 0
    for _ in range(steps):
        if journey.state == "assessment" and client.id is not None:
            _goals(session, rng, client.id, actor_id, when)  # set with the client first
        options = [o for o in runtime.journeys.available(session, journey, client) if o.allowed]
        if not options:
            break
        by_name = {o.trigger: o for o in options}
        forward = [t for t in FORWARD if t in by_name and (t != "close" or rng.random() < 0.3)]
        detours = [t for t in DETOURS if t in by_name]
        if "resume" in by_name:
            choice = "resume"
        elif detours and rng.random() < 0.12:
            choice = rng.choice(detours)
        elif forward:
            choice = forward[0] if rng.random() < 0.8 else rng.choice(forward)
        else:
            break
        option = by_name[choice]
        when = min(now, when + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)))
        runtime.journeys.advance(
            session,
            journey.id,
            choice,
            actor_id=actor_id,
            reason="Demo: kirjattu esimerkkisyy." if option.reason_required else None,
            outcome=rng.choice(option.outcomes) if option.outcomes else None,
            at=when,
        )
        done += 1
    return done


# --- GAS goals (engine/goals.py): fictional goals in the client's words, two follow-ups ----

#: (goal, baseline, levels -2..+2)
DEMO_GOALS: tuple[tuple[str, int, tuple[str, str, str, str, str]], ...] = (
    (
        "Säännöllinen päivärytmi",
        -1,
        (
            "Valvon öisin enkä lähde kotoa",
            "Herään yleensä vasta iltapäivällä",
            "Herään ennen kymmentä kolmena arkiaamuna viikossa",
            "Herään ennen kymmentä neljänä arkiaamuna viikossa",
            "Herään joka arkiaamu ennen kymmentä ja syön aamupalan",
        ),
    ),
    (
        "Liikun kodin ulkopuolella",
        -2,
        (
            "En käy ulkona ollenkaan",
            "Käyn kaupassa kerran viikossa",
            "Käyn kävelyllä kahdesti viikossa",
            "Käyn kävelyllä joka toinen päivä",
            "Käyn kävelyllä joka päivä ja kerran viikossa kuntosalilla",
        ),
    ),
    (
        "Selvitän opiskelupaikan",
        -1,
        (
            "En ole selvittänyt mitään",
            "Tiedän, mikä ala minua kiinnostaa",
            "Olen käynyt tutustumassa yhteen oppilaitokseen",
            "Olen hakenut yhteen koulutukseen",
            "Olen saanut opiskelupaikan",
        ),
    ),
)
#: The states after goal setting, where goals get their follow-ups.
DEMO_RATED_STATES = ("group_work", "individual_work", "group_and_individual_work", "referred")


def _goals(
    session: Session, rng: random.Random, client_id: int, coach_id: int, when: datetime
) -> None:
    """One to three of the demo goals, weighted or not, once per client."""
    from engine.goals import add_goal, goals_of

    if goals_of(session, client_id):
        return
    weighted = rng.random() < 0.5
    for goal, baseline, levels in rng.sample(DEMO_GOALS, rng.randint(1, len(DEMO_GOALS))):
        add_goal(
            session,
            client_id=client_id,
            actor_id=coach_id,
            goal=goal,
            levels=dict(zip((-2, -1, 0, 1, 2), levels, strict=True)),
            baseline=baseline,
            importance=rng.randint(1, 3) if weighted else None,
            difficulty=rng.randint(1, 3) if weighted else None,
            now=when,
        )


def _follow_ups(
    session: Session, rng: random.Random, client_id: int, coach_id: int, now: datetime
) -> None:
    """Two follow-ups for the clients past goal setting, levels drifting up: after the goals
    were set (never before a goal's baseline), up to a month apart, the second by today; a
    client whose goals were set only yesterday or today has none yet."""
    from engine.goals import goals_of, record_follow_up

    journey_state = session.execute(
        select(col(Journey.state)).where(
            col(Journey.client_id) == client_id, col(Journey.pathway_key) == CLIENT_JOURNEY
        )
    ).scalar_one()
    goals = goals_of(session, client_id)
    if journey_state not in DEMO_RATED_STATES or not goals:
        return
    set_on = max(as_utc(g.created_at).date() for g in goals)
    step = min(30, (now.date() - set_on).days // 2)
    if step < 1:
        return
    levels = {g.id: g.baseline for g in goals if g.id is not None}
    for steps in (1, 2):
        on = set_on + timedelta(days=step * steps)
        levels = {gid: min(2, level + rng.choice([0, 1, 1, 2])) for gid, level in levels.items()}
        record_follow_up(
            session,
            client_id=client_id,
            actor_id=coach_id,
            rated_on=on,
            levels=dict(levels),
            today=now.date(),
            now=datetime.combine(on, datetime.min.time(), UTC),
        )


def _ascii(text: str) -> str:
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", "Ä": "a", "Ö": "o", "Å": "a"})
    return "".join(c for c in text.lower().translate(table) if c.isalnum())


# --- assessments, strengths and experiences (engine/assessments.py, engine/strengths.py) ------

#: Two Kykyviisari summaries three months apart (0-10), then an ability and requirement profile.
DEMO_KYKYVIISARI = (
    (
        95,
        {
            "overall_work_ability": 4,
            "mental_wellbeing": 4,
            "social_participation": 3,
            "physical_capacity": 6,
            "skills": 5,
            "everyday_coping": 5,
        },
    ),
    (
        5,
        {
            "overall_work_ability": 6,
            "mental_wellbeing": 6,
            "social_participation": 5,
            "physical_capacity": 6,
            "skills": 6,
            "everyday_coping": 7,
        },
    ),
)
DEMO_PROFILE = (
    "Varastotyö (työkokeilu)",
    {"concentration": (3, 4), "cooperation": (4, 3), "punctuality": (3, 5), "lifting": (4, 3)},
)
DEMO_STRENGTHS = (
    ("skill", "Korjaan polkupyöriä"),
    ("skill", "Osaan laittaa ruokaa isommallekin porukalle"),
    ("quality", "Hyvä kuuntelija"),
    ("quality", "Pidän lupaukseni"),
    ("interest", "Kalastus ja luonnossa liikkuminen"),
)
DEMO_EXPERIENCES = (
    ("work", "Varastoapulainen", "Rautakauppa (kesätyö)", "2019", "Tavaran vastaanotto"),
    ("studies", "Logistiikan perustutkinto, osa", "Ammattiopisto", "2020–2021", ""),
    ("volunteering", "Ruoka-avun jakelu", "Seurakunta", "2024–", "Jakelu kerran viikossa"),
    ("other", "Kalastusseuran talkoot", "", "", "Laiturin korjaus"),
)

#: Qualifications and cards (engine/qualifications.py): kind, name, issuer, days ago, valid for
#: (days; 0: does not run out). The work-safety card is valid five years.
DEMO_QUALIFICATIONS = (
    ("hygiene_card", "Hygieniapassi", "Ruokavirasto (testaaja: Lapin ammattiopisto)", 40, 0),
    ("work_safety_card", "Työturvallisuuskortti", "Työturvallisuuskeskus TTK", 12, 5 * 365),
    (
        "partial_qualification",
        "Varastotoiminnot (logistiikan perustutkinnon osa)",
        "Lapin ammattiopisto",
        200,
        0,
    ),
)


def load_assessments_and_strengths(runtime: Runtime, coach_id: int, now: datetime) -> None:
    """The coach's first client gets two Kykyviisari summaries (the change shows), an ability
    and requirement profile, strengths in their own words, experiences, qualifications and
    cards and, as the CV's contact details, only their home municipality."""
    with runtime.db.write() as session:
        client_id = session.execute(
            select(func.min(CareTeam.client_id)).where(col(CareTeam.user_id) == coach_id)
        ).scalar_one()
        if client_id is None:
            return
        checks = Checks.at(runtime.clock, now)
        today = checks.today
        kyky = runtime.instruments.get("kykyviisari")
        for days_ago, scores in DEMO_KYKYVIISARI if kyky else ():
            assert kyky is not None
            record_assessment(
                session,
                kyky,
                client_id=client_id,
                recorded_by=coach_id,
                assessed_on=today - timedelta(days=days_ago),
                scores=scores,
                now=now - timedelta(days=days_ago),
                today=today,
            )
        profile = runtime.instruments.get("ability_profile")
        if profile is not None:
            job, ratings = DEMO_PROFILE
            record_assessment(
                session,
                profile,
                client_id=client_id,
                recorded_by=coach_id,
                assessed_on=today - timedelta(days=3),
                scores={k: ability for k, (ability, _req) in ratings.items()},
                requirements={k: req for k, (_ability, req) in ratings.items()},
                requirement_of=job,
                now=now,
                today=today,
            )
        for category, text in DEMO_STRENGTHS:
            add_strength(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                category=category,
                text=text,
                now=now,
            )
        client = session.get(Client, client_id)
        municipality = runtime.municipalities.get(client.municipality_code) if client else None
        if municipality is not None:
            set_cv_contact(
                session,
                client_id=client_id,
                updated_by=coach_id,
                phone="",
                email="",
                location=municipality.label("fi"),
                now=now,
            )
        for kind, title, place, period, description in DEMO_EXPERIENCES:
            add_experience(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values=ExperienceInput(kind, title, place, period, description),
                checks=checks,
            )
        for kind, name, issuer, days_ago, valid_days in DEMO_QUALIFICATIONS:
            gained = today - timedelta(days=days_ago)
            valid_until = gained + timedelta(days=valid_days) if valid_days else None
            add_qualification(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values=QualificationInput(
                    kind,
                    name,
                    gained.isoformat(),
                    issuer,
                    valid_until.isoformat() if valid_until else "",
                ),
                checks=checks,
            )
