"""The funder report of a project (ESF+ raportti rahoittajalle) for a period: every figure the
coordinator page (/reports/funder), the exports and ``polku report esf`` show, counted here once.

Counting rules (docs/reporting.md):

- a participant counts **once per project** (one :class:`ProjectParticipant` row);
- **entry data come from the first entry**, exit data from the **last exit**, the six-month
  result from the last follow-up after that exit (corrected forms left out);
- the output indicators count participants whose first entry falls in the period; the exit
  results those whose last exit does; the six-month result those whose follow-up does;
- **age is the age at entry** (the client's birth date and the first entry's date);
- **long-term unemployment** follows the rule of the project's form file
  (:class:`engine.participant_forms.LongTermRule`);
- an item not recorded is a **gap**, counted as such beside each figure, never as a zero; a
  "declined to answer" is counted as declined;
- every figure is broken down by gender (woman, man, non-binary, declined, not recorded).

Filters: one co-implementer (the participant's implementer) and one municipality (the client's).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from engine.errors import InputRequired
from engine.events import attended_in
from engine.goals import series
from engine.instruments import KYKYVIISARI
from engine.models import (
    Assessment,
    AssessmentScore,
    AttendanceMark,
    Client,
    ContactEntry,
    ContactKind,
    FoundVia,
    GasGoal,
    GasRating,
    GroupMembership,
    GroupSession,
    Journey,
    JourneyEvent,
    ParticipantForm,
    ProjectParticipant,
    Referral,
)
from engine.participant_forms import DECLINED, FORMS_DIR, FormFile
from engine.participants import not_corrected
from engine.pathway import FUNNEL_STAGES, Pathway
from engine.pathway_keys import CLIENT_JOURNEY
from engine.projects import ProjectView
from engine.qualifications import gained_in_period

GENDERS = ("woman", "man", "non_binary", DECLINED, "gap")
#: The Kykyviisari summary the report follows (0-10).
KYKY_ITEM = "overall_work_ability"
#: GAS T-score change buckets (T at the last follow-up minus T at the baseline).
GAS_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("below_0", float("-inf"), 0.0),
    ("0_to_10", 0.0, 10.0),
    ("10_to_20", 10.0, 20.0),
    ("20_plus", 20.0, float("inf")),
)
KYKY_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("down", -10, -1),
    ("same", 0, 0),
    ("up_1_2", 1, 2),
    ("up_3_plus", 3, 10),
)


class ReportQuery(BaseModel):
    """A report's project, period and filters, as asked (page, CLI and API alike)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: int
    since: date
    until: date
    organisation_id: int | None = None
    municipality: str | None = Field(default=None, max_length=3)


# --- indicator table (forms/<form>.indicators.yaml) --------------------------------------------


@dataclass(frozen=True)
class IndicatorDef:
    key: str
    group: str
    annex: dict[str, str]
    code: str | None
    checked: bool

    @property
    def shown_code(self) -> str | None:
        """The code, only when it was checked against the Commission's published list."""
        return self.code if self.checked else None


@cache
def indicator_table(form_key: str, directory: Path = FORMS_DIR) -> dict[str, IndicatorDef]:
    path = directory / f"{form_key}.indicators.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = {}
    for key, entry in (raw.get("indicators") or {}).items():
        if set(entry) - {"group", "annex", "code", "checked"} or not entry.get("annex"):
            raise ValueError(f"{path.name}: indicators.{key}: group, annex, code, checked only")
        table[key] = IndicatorDef(
            key, entry["group"], dict(entry["annex"]), entry.get("code"), bool(entry["checked"])
        )
    return table


def indicator_source(form_key: str) -> str:
    raw = yaml.safe_load((FORMS_DIR / f"{form_key}.indicators.yaml").read_text(encoding="utf-8"))
    return str(raw.get("source", ""))


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One indicator: how many, by gender, and beside it the declined and the gaps."""

    key: str
    label: dict[str, str]
    code: str | None
    by_gender: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GENDERS, 0))
    #: Participants who declined to answer the item(s) this figure depends on.
    declined: int = 0
    #: Participants for whom it was not recorded (a gap, never a zero).
    gaps: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_gender.values())


@dataclass(frozen=True)
class ParticipantRow:
    """One participant as the report sees them: the participant-level sheet's row."""

    participant_id: int
    client_id: int
    number: int
    organisation_id: int
    municipality_code: str
    entry_on: date | None
    entry: dict[str, Any]
    age_at_entry: int | None
    long_term_unemployed: bool | None
    exit_on: date | None
    exit: dict[str, Any] | None
    follow_up_on: date | None
    follow_up: dict[str, Any] | None
    found_via: str | None

    @property
    def gender(self) -> str:
        return str(self.entry.get("gender", "gap"))


@dataclass(frozen=True)
class Planned:
    label: str
    organisation_id: int | None
    planned: int | None
    actual: int


@dataclass
class Report:
    project: ProjectView
    query: ReportQuery
    small_cell: int
    planned: list[Planned]
    outputs: list[Figure]
    results_exit: list[Figure]
    results_six_months: list[Figure]
    entered: int
    exited: int
    followed_up: int
    funnel: list[tuple[str, int]]
    found_via: list[tuple[str, int]]
    pathways: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    contacts: list[tuple[str, int]]
    contacts_participants: int
    attendance_present: int
    attendance_marked: int
    attendance_participants: int
    gas_change: list[tuple[str, int]]
    gas_without: int
    gas_median_change: float | None
    kyky_with: int
    kyky_without: int
    kyky_change: list[tuple[str, int]]
    kyky_median_change: float | None
    participants: list[ParticipantRow]
    source: str
    long_term_rule: str
    #: Qualifications and cards (engine/qualifications.py) gained in the period: by how many
    #: participants (each once), and how many in all.
    qualified_participants: int = 0
    qualifications_gained: int = 0
    #: Events (engine/events.py) as activities: event sessions held in the period that
    #: participants attended (the latest mark present; cancelled and future sessions never
    #: count), and how many participants attended at least one.
    event_sessions_attended: int = 0
    event_participants: int = 0

    @property
    def event_sessions_per_participant(self) -> float | None:
        """Event sessions attended per participant who attended any (None: nobody did)."""
        if not self.event_participants:
            return None
        return self.event_sessions_attended / self.event_participants

    @property
    def contacts_total(self) -> int:
        return sum(n for _k, n in self.contacts)


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def participant_clients(project: ProjectView, query: ReportQuery) -> Any:
    """``SELECT client_id`` of the project's participants within the filters (a subquery, so
    no list of ids is ever bound: 100 000 participants fit)."""
    stmt = select(col(ProjectParticipant.client_id)).where(
        col(ProjectParticipant.project_id) == project.id
    )
    if query.organisation_id is not None:
        stmt = stmt.where(col(ProjectParticipant.organisation_id) == query.organisation_id)
    if query.municipality:
        stmt = stmt.where(
            col(ProjectParticipant.client_id).in_(
                select(col(Client.id)).where(col(Client.municipality_code) == query.municipality)
            )
        )
    return stmt


def _participant_rows(
    session: Session, project: ProjectView, query: ReportQuery, form_file: FormFile
) -> list[ParticipantRow]:
    """Every participant of the project (filters applied) with first entry, last exit and the
    last follow-up after it: two SELECTs."""
    stmt = (
        select(
            col(ProjectParticipant.id),
            col(ProjectParticipant.client_id),
            col(ProjectParticipant.number),
            col(ProjectParticipant.organisation_id),
            col(Client.municipality_code),
            col(Client.birth_date),
            col(Client.found_via),
        )
        .join(Client, col(Client.id) == col(ProjectParticipant.client_id))
        .where(col(ProjectParticipant.project_id) == project.id)
    )
    if query.organisation_id is not None:
        stmt = stmt.where(col(ProjectParticipant.organisation_id) == query.organisation_id)
    if query.municipality:
        stmt = stmt.where(col(Client.municipality_code) == query.municipality)
    people = {r[0]: r for r in session.execute(stmt)}
    if not people:
        return []
    forms: dict[int, list[tuple[str, date, dict[str, Any], int]]] = defaultdict(list)
    form_stmt = (
        select(
            col(ParticipantForm.participant_id),
            col(ParticipantForm.kind),
            col(ParticipantForm.occurred_on),
            col(ParticipantForm.answers),
            col(ParticipantForm.id),
        )
        .join(ProjectParticipant, col(ProjectParticipant.id) == col(ParticipantForm.participant_id))
        .where(col(ProjectParticipant.project_id) == project.id, not_corrected())
    )
    for pid, kind, on, answers, fid in session.execute(form_stmt):
        if pid in people:
            forms[pid].append((kind, _as_date(on), answers or {}, fid))
    rows = []
    rule = form_file.long_term
    for pid, (_pid, client_id, number, org, municipality, born, found_via) in people.items():
        mine = sorted(forms.get(pid, []), key=lambda f: (f[1], f[3]))
        entries = [f for f in mine if f[0] == "entry"]
        exits = [f for f in mine if f[0] == "exit"]
        first_entry = entries[0] if entries else None
        last_exit = exits[-1] if exits else None
        follow_ups = [f for f in mine if f[0] == "follow_up" and last_exit and f[1] >= last_exit[1]]
        last_follow_up = follow_ups[-1] if follow_ups else None
        entry = first_entry[2] if first_entry else {}
        entry_on = first_entry[1] if first_entry else None
        age = age_on(_as_date(born) if born else None, entry_on) if entry_on else None
        long_term: bool | None = None
        if entry.get("labour_market_status") == "unemployed":
            since = entry.get("unemployed_since")
            if since and entry_on:
                long_term = rule.applies(
                    unemployed_since=date.fromisoformat(since), entered_on=entry_on, age=age
                )
        elif entry.get("labour_market_status") is not None:
            long_term = False
        rows.append(
            ParticipantRow(
                participant_id=pid,
                client_id=client_id,
                number=number,
                organisation_id=org,
                municipality_code=municipality,
                entry_on=entry_on,
                entry=entry,
                age_at_entry=age,
                long_term_unemployed=long_term,
                exit_on=last_exit[1] if last_exit else None,
                exit=last_exit[2] if last_exit else None,
                follow_up_on=last_follow_up[1] if last_follow_up else None,
                follow_up=last_follow_up[2] if last_follow_up else None,
                found_via=found_via,
            )
        )
    rows.sort(key=lambda r: r.number)
    return rows


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


#: Days are local days (Europe/Helsinki): a contact at 00:30 on 1 April local time is in Q2.
ZONE = ZoneInfo("Europe/Helsinki")


def _start(query: ReportQuery) -> datetime:
    return datetime.combine(query.since, time(), ZONE)


def _end(query: ReportQuery) -> datetime:
    return datetime.combine(query.until + timedelta(days=1), time(), ZONE)


def _in(day: date | None, query: ReportQuery) -> bool:
    return day is not None and query.since <= day <= query.until


# Which answers make a participant count in each output indicator: (item, test) -> True / False
# / None (a gap) / DECLINED.
def _status(row: ParticipantRow, *wanted: str) -> bool | str | None:
    value = row.entry.get("labour_market_status")
    return None if value is None else value in wanted


def _answer(item: str, *wanted: str) -> Any:
    def test(row: ParticipantRow) -> bool | str | None:
        value = row.entry.get(item)
        if value is None:
            return None
        if value == DECLINED:
            return DECLINED
        return value in wanted

    return test


def _age(low: int, high: int) -> Any:
    def test(row: ParticipantRow) -> bool | None:
        return None if row.age_at_entry is None else low <= row.age_at_entry <= high

    return test


OUTPUT_TESTS: dict[str, Any] = {
    "total": lambda row: True,
    "unemployed": lambda row: _status(row, "unemployed"),
    "long_term_unemployed": lambda row: (
        None
        if row.entry.get("labour_market_status") is None
        else (row.long_term_unemployed if row.long_term_unemployed is not None else None)
    ),
    # in education counts as inactive: outside the labour force (docs/reporting.md)
    "inactive": lambda row: _status(row, "inactive", "in_education"),
    "employed": lambda row: _status(row, "employed"),
    "below_18": _age(0, 17),
    "age_18_29": _age(18, 29),
    "age_55_plus": _age(55, 200),
    "isced_0_2": _answer("education", "isced_0_2"),
    "isced_3_4": _answer("education", "isced_3_4"),
    "isced_5_8": _answer("education", "isced_5_8"),
    "disability": _answer("disability", "yes"),
    "third_country_national": _answer("third_country_national", "yes"),
    "foreign_background": _answer("foreign_background", "yes"),
    "minority": _answer("minority", "yes"),
    "homeless": _answer("homeless", "yes"),
    "rural": _answer("rural", "yes"),
}


def _situation(which: str, option: str) -> Any:
    def test(row: ParticipantRow) -> bool | str | None:
        answers = row.exit if which == "exit" else row.follow_up
        if answers is None or "situation" not in answers:
            return None
        return option in answers["situation"]

    return test


EXIT_TESTS = {
    "exit_job_searching": _situation("exit", "job_searching"),
    "exit_in_education": _situation("exit", "in_education"),
    "exit_qualification": _situation("exit", "qualification"),
    "exit_employed": _situation("exit", "employed"),
}
SIX_MONTH_TESTS = {"follow_up_employed": _situation("follow_up", "employed")}


def _figures(
    rows: Sequence[ParticipantRow], tests: dict[str, Any], table: dict[str, IndicatorDef]
) -> list[Figure]:
    figures = []
    for key, test in tests.items():
        spec = table[key]
        figure = Figure(key, spec.annex, spec.shown_code)
        for row in rows:
            verdict = test(row)
            if verdict is None:
                figure.gaps += 1
            elif verdict == DECLINED:
                figure.declined += 1
            elif verdict:
                gender = row.gender if row.gender in GENDERS else "gap"
                figure.by_gender[gender] += 1
        figures.append(figure)
    return figures


def _funnel(
    session: Session, pathway: Pathway, project: ProjectView, query: ReportQuery
) -> list[tuple[str, int]]:
    """The funnel over the clients the project's implementers keep, whose client journey
    started in the period (filters applied): counted from the event log like engine.reports."""
    rank = {
        name: FUNNEL_STAGES.index(state.funnel)
        for name, state in pathway.states.items()
        if state.funnel is not None
    }
    organisations = (
        [query.organisation_id]
        if query.organisation_id is not None
        else list(project.organisation_ids)
    )
    stage_rank = case(
        *[(col(JourneyEvent.to_state) == name, r) for name, r in rank.items()], else_=-1
    )
    stmt = (
        select(col(JourneyEvent.journey_id), func.max(stage_rank).label("furthest"))
        .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
        .join(Client, col(Client.id) == col(Journey.client_id))
        .where(
            col(Journey.pathway_key) == pathway.key,
            col(Client.organisation_id).in_(organisations),
            col(Journey.created_at) >= _start(query),
            col(Journey.created_at) < _end(query),
        )
    )
    if query.municipality:
        stmt = stmt.where(col(Client.municipality_code) == query.municipality)
    elif project.municipality_codes:
        stmt = stmt.where(col(Client.municipality_code).in_(project.municipality_codes))
    stmt = stmt.group_by(col(JourneyEvent.journey_id))
    sub = stmt.subquery()
    counted = session.execute(select(sub.c.furthest, func.count()).group_by(sub.c.furthest)).all()
    return [
        (stage, sum(int(n) for f, n in counted if f is not None and f >= i))
        for i, stage in enumerate(FUNNEL_STAGES)
    ]


def _counted(counter: Counter[str], order: Iterable[str]) -> list[tuple[str, int]]:
    keys = list(order) + sorted(k for k in counter if k not in set(order))
    return [(k, counter.get(k, 0)) for k in keys]


def build_report(
    session: Session,
    project: ProjectView,
    query: ReportQuery,
    *,
    forms: dict[str, FormFile],
    pathway: Pathway,
    rho: float,
    small_cell: int,
    now: datetime | None = None,
) -> Report:
    """Every figure of the report for ``query`` (the caller has checked who may see it);
    ``now`` (default: the wall clock) tells sessions held from those to come."""
    if query.until < query.since:
        raise InputRequired("until", "the period ends before it starts")
    if query.organisation_id is not None and query.organisation_id not in project.organisation_ids:
        raise InputRequired("organisation", "not an implementer of this project")
    form_file = forms[project.form_key]
    table = indicator_table(project.form_key)
    everyone = _participant_rows(session, project, query, form_file)
    entered = [r for r in everyone if _in(r.entry_on, query)]
    exited = [r for r in everyone if _in(r.exit_on, query)]
    followed = [r for r in everyone if _in(r.follow_up_on, query)]
    in_report = {r.participant_id: r for r in [*entered, *exited, *followed]}
    participants = sorted(in_report.values(), key=lambda r: r.number)
    client_ids = [r.client_id for r in participants]

    # planned against actual: participants who entered up to the period's end
    so_far = [r for r in everyone if r.entry_on is not None and r.entry_on <= query.until]
    by_org = Counter(r.organisation_id for r in so_far)
    planned = [
        Planned(i.name, i.organisation_id, i.planned_participants, by_org.get(i.organisation_id, 0))
        for i in project.implementers
        if query.organisation_id in (None, i.organisation_id)
    ]
    if query.organisation_id is None:
        planned.insert(0, Planned(project.name, None, project.planned_participants, len(so_far)))

    found_via = _counted(Counter(r.found_via or "gap" for r in entered), [*FoundVia, "gap"])
    ids = participant_clients(project, query)
    pathways, outcomes, contacts, contact_people = _activity(session, ids, query)
    present, marked, attendees = _attendance(session, ids, query)
    gas, gas_without, gas_median = _gas(session, ids, client_ids, rho)
    kyky_with, kyky_change, kyky_median = _kyky(session, ids, client_ids)
    rule = form_file.long_term
    gained = gained_in_period(session, {r.client_id for r in everyone}, query.since, query.until)
    attended = attended_in(session, ids, _start(query), _end(query), now or datetime.now(UTC))
    return Report(
        project=project,
        query=query,
        small_cell=small_cell,
        planned=planned,
        outputs=_figures(entered, OUTPUT_TESTS, table),
        results_exit=_figures(exited, EXIT_TESTS, table),
        results_six_months=_figures(followed, SIX_MONTH_TESTS, table),
        entered=len(entered),
        exited=len(exited),
        followed_up=len(followed),
        funnel=_funnel(session, pathway, project, query),
        found_via=found_via,
        pathways=pathways,
        outcomes=outcomes,
        contacts=contacts,
        contacts_participants=contact_people,
        attendance_present=present,
        attendance_marked=marked,
        attendance_participants=attendees,
        gas_change=gas,
        gas_without=gas_without,
        gas_median_change=gas_median,
        kyky_with=kyky_with,
        kyky_without=len(client_ids) - kyky_with,
        kyky_change=kyky_change,
        kyky_median_change=kyky_median,
        participants=participants,
        source=indicator_source(project.form_key),
        long_term_rule=rule.source,
        qualified_participants=len(gained),
        qualifications_gained=sum(len(found) for found in gained.values()),
        event_sessions_attended=sum(attended.values()),
        event_participants=len(attended),
    )


def _activity(
    session: Session, ids: Any, query: ReportQuery
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]], int]:
    """Follow-on pathways by type (referrals made in the period, one per client and type),
    outcomes (the client journey's close in the period) and contacts by kind in the period."""
    referrals = session.execute(
        select(col(Referral.service_type), func.count(func.distinct(col(Referral.client_id))))
        .where(
            col(Referral.client_id).in_(ids),
            col(Referral.created_at) >= _start(query),
            col(Referral.created_at) < _end(query),
        )
        .group_by(col(Referral.service_type))
    ).all()
    outcomes = session.execute(
        select(col(JourneyEvent.outcome), func.count())
        .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
        .where(
            col(Journey.client_id).in_(ids),
            col(Journey.pathway_key) == CLIENT_JOURNEY,
            col(JourneyEvent.trigger) == "close",
            col(JourneyEvent.occurred_at) >= _start(query),
            col(JourneyEvent.occurred_at) < _end(query),
        )
        .group_by(col(JourneyEvent.outcome))
    ).all()
    contacts = session.execute(
        select(
            col(ContactEntry.kind),
            func.count(),
            func.count(func.distinct(col(ContactEntry.client_id))),
        )
        .where(
            col(ContactEntry.client_id).in_(ids),
            col(ContactEntry.occurred_at) >= _start(query),
            col(ContactEntry.occurred_at) < _end(query),
        )
        .group_by(col(ContactEntry.kind))
    ).all()
    people = session.execute(
        select(func.count(func.distinct(col(ContactEntry.client_id)))).where(
            col(ContactEntry.client_id).in_(ids),
            col(ContactEntry.occurred_at) >= _start(query),
            col(ContactEntry.occurred_at) < _end(query),
        )
    ).scalar_one()
    return (
        sorted(((str(t), int(n)) for t, n in referrals), key=lambda x: (-x[1], x[0])),
        sorted(((str(o or "gap"), int(n)) for o, n in outcomes), key=lambda x: (-x[1], x[0])),
        _counted(Counter({str(k): int(n) for k, n, _p in contacts}), list(ContactKind)),
        int(people),
    )


def _attendance(session: Session, ids: Any, query: ReportQuery) -> tuple[int, int, int]:
    """Group attendance in the period: the latest mark of each (session, member) counts."""
    latest = (
        select(func.max(col(AttendanceMark.id)))
        .join(GroupMembership, col(GroupMembership.id) == col(AttendanceMark.membership_id))
        .join(GroupSession, col(GroupSession.id) == col(AttendanceMark.session_id))
        .where(
            col(GroupMembership.client_id).in_(ids),
            col(GroupSession.starts_at) >= _start(query),
            col(GroupSession.starts_at) < _end(query),
        )
        .group_by(col(AttendanceMark.session_id), col(AttendanceMark.membership_id))
    )
    rows = session.execute(
        select(col(AttendanceMark.present), col(GroupMembership.client_id))
        .join(GroupMembership, col(GroupMembership.id) == col(AttendanceMark.membership_id))
        .where(col(AttendanceMark.id).in_(latest))
    ).all()
    present = sum(1 for p, _c in rows if p)
    return present, len(rows), len({c for p, c in rows if p})


def _bucket(value: float, buckets: Sequence[tuple[str, float, float]]) -> str:
    for name, low, high in buckets:
        if low <= value < high or (high == low == value):
            return name
    return buckets[-1][0]


def _gas(
    session: Session, ids: Any, client_ids: list[int], rho: float
) -> tuple[list[tuple[str, int]], int, float | None]:
    """The distribution of the GAS T-score change (last follow-up against the baseline) over
    participants with a rated goal; the others are counted as without."""
    if not client_ids:
        return [(b[0], 0) for b in GAS_BUCKETS], 0, None
    goals: dict[int, list[GasGoal]] = defaultdict(list)
    ratings: dict[int, list[GasRating]] = defaultdict(list)
    for goal in session.execute(select(GasGoal).where(col(GasGoal.client_id).in_(ids))).scalars():
        goals[goal.client_id].append(goal)
    for rating in session.execute(
        select(GasRating).where(col(GasRating.client_id).in_(ids))
    ).scalars():
        ratings[rating.client_id].append(rating)
    changes = []
    for client_id in client_ids:
        points = series(goals.get(client_id, []), ratings.get(client_id, []), rho)
        if len(points) >= 2 and points[-1].from_baseline is not None:
            changes.append(points[-1].from_baseline)
    counts = Counter(_bucket(c, [(n, lo, hi) for n, lo, hi in GAS_BUCKETS]) for c in changes)
    median = round(statistics.median(changes), 1) if changes else None
    return (
        [(b[0], counts.get(b[0], 0)) for b in GAS_BUCKETS],
        len(client_ids) - len(changes),
        median,
    )


def _kyky(
    session: Session, ids: Any, client_ids: list[int]
) -> tuple[int, list[tuple[str, int]], float | None]:
    """Kykyviisari coverage (participants with at least one) and the change of the overall work
    ability (0-10) between the first and the last, for those with two or more."""
    if not client_ids:
        return 0, [(b[0], 0) for b in KYKY_BUCKETS], None
    rows = session.execute(
        select(col(Assessment.client_id), col(Assessment.assessed_on), col(AssessmentScore.score))
        .join(
            AssessmentScore,
            and_(
                col(AssessmentScore.assessment_id) == col(Assessment.id),
                col(AssessmentScore.item) == KYKY_ITEM,
            ),
        )
        .where(
            col(Assessment.client_id).in_(ids),
            col(Assessment.instrument) == KYKYVIISARI.key,
        )
        .order_by(col(Assessment.client_id), col(Assessment.assessed_on), col(Assessment.id))
    ).all()
    wanted = set(client_ids)
    scores: dict[int, list[int]] = defaultdict(list)
    for client_id, _on, score in rows:
        if client_id in wanted:
            scores[client_id].append(int(score))
    changes = [s[-1] - s[0] for s in scores.values() if len(s) >= 2]
    counts: Counter[str] = Counter()
    for change in changes:
        for name, low, high in KYKY_BUCKETS:
            if low <= change <= high:
                counts[name] += 1
    median = round(statistics.median(changes), 1) if changes else None
    return len(scores), [(b[0], counts.get(b[0], 0)) for b in KYKY_BUCKETS], median
