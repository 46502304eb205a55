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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, and_, case, cast, exists, extract, func, or_, select, true
from sqlalchemy.orm import aliased
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
from engine.participant_forms import DECLINED, FORMS_DIR, FormFile, LongTermRule
from engine.pathway import Pathway
from engine.pathway_keys import CLIENT_JOURNEY
from engine.projects import ProjectView
from engine.qualifications import qualifications_gained
from engine.reports import funnel

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
        if set(entry) - {"group", "annex", "code", "checked", "checked_by"} or not entry.get(
            "annex"
        ):
            raise ValueError(
                f"{path.name}: indicators.{key}: group, annex, code, checked, checked_by only"
            )
        if entry.get("checked") and not (entry.get("code") and entry.get("checked_by")):
            raise ValueError(
                f"{path.name}: indicators.{key}: a checked code names the page it was checked "
                "against (checked_by)"
            )
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
    #: How many participants the report covers (entered, left or followed up in the period):
    #: each export's disclosure rows.
    participant_count: int
    source: str
    long_term_rule: str
    #: Qualifications and cards (engine/qualifications.py) gained in the period: by how many
    #: participants (each once), and how many in all.
    qualified_participants: int = 0
    qualifications_gained: int = 0
    #: Reads the participant rows (:func:`participant_rows`); the figures never need them.
    _load: Callable[[Session], list[ParticipantRow]] | None = field(default=None, repr=False)
    _bind: Any = field(default=None, repr=False)
    _rows: list[ParticipantRow] | None = field(default=None, repr=False)
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

    def participants_in(self, session: Session) -> list[ParticipantRow]:
        """The participant rows, read in ``session`` (an export's, so the disclosure rows and
        the file come from the same reading) the first time they are asked for."""
        if self._rows is None:
            self._rows = self._load(session) if self._load is not None else []
        return self._rows

    @property
    def participants(self) -> list[ParticipantRow]:
        """The participant rows (the participant-level sheet), read when first asked for."""
        if self._rows is None:
            with Session(self._bind) as session:
                return self.participants_in(session)
        return self._rows


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


# --- one row per participant, in SQL -------------------------------------------------------------
#
# The report counts in the database (GROUP BY with conditional counts), the same statement on
# SQLite and PostgreSQL: SQLAlchemy's JSON index (``->>`` / ``json_extract``) reads the answers
# of the forms each participant's row keeps as its first entry and last exit. Nothing is counted per
# participant in Python; the participant rows (:class:`ParticipantRow`) are read only when an
# export or a caller asks for them.


def _people(project: ProjectView, query: ReportQuery) -> Any:
    """The project's participants (filters applied), each once, with the first entry, the last
    exit and the last follow-up on or after that exit (corrected forms left out): the forms
    each participant's row keeps (:func:`engine.participants.refresh_picks`, written with every
    form), joined by their keys. On PostgreSQL the answers are ``jsonb`` (parsed once, when
    written) and this is a ``MATERIALIZED`` step."""
    form = ParticipantForm
    entry_form, exit_form, follow_form = (aliased(form, name=n) for n in ("ef", "xf", "ff"))
    entry_on = col(entry_form.occurred_on)
    ey, em, ed = _ymd(entry_on)
    by, bm, bd = _ymd(col(Client.birth_date))
    me = col(ProjectParticipant.id)
    stmt = (
        select(
            me.label("participant_id"),
            col(ProjectParticipant.client_id).label("client_id"),
            col(ProjectParticipant.number).label("number"),
            col(ProjectParticipant.organisation_id).label("organisation_id"),
            col(Client.municipality_code).label("municipality_code"),
            col(Client.birth_date).label("birth_date"),
            col(Client.found_via).label("found_via"),
            entry_on.label("entry_on"),
            # the entry's date in parts and the age at entry (NULL without a birth date), once
            ey.label("entry_year"),
            em.label("entry_month"),
            ed.label("entry_day"),
            (ey - by - case((em * 100 + ed < bm * 100 + bd, 1), else_=0)).label("age"),
            col(entry_form.answers).label("entry"),
            col(exit_form.occurred_on).label("exit_on"),
            col(exit_form.answers).label("exit"),
            col(follow_form.occurred_on).label("follow_up_on"),
            col(follow_form.answers).label("follow_up"),
        )
        .select_from(ProjectParticipant)
        .join(Client, col(Client.id) == col(ProjectParticipant.client_id))
        .outerjoin(entry_form, col(entry_form.id) == col(ProjectParticipant.entry_form_id))
        .outerjoin(exit_form, col(exit_form.id) == col(ProjectParticipant.exit_form_id))
        .outerjoin(
            # the last follow-up by date counts when it is on or after the last exit (then it
            # is also the last of those that are)
            follow_form,
            and_(
                col(follow_form.id) == col(ProjectParticipant.follow_up_form_id),
                col(follow_form.occurred_on) >= col(exit_form.occurred_on),
            ),
        )
        .where(col(ProjectParticipant.project_id) == project.id)
    )
    if query.organisation_id is not None:
        stmt = stmt.where(col(ProjectParticipant.organisation_id) == query.organisation_id)
    if query.municipality:
        stmt = stmt.where(col(Client.municipality_code) == query.municipality)
    return stmt.cte("people").prefix_with("MATERIALIZED", dialect="postgresql")


def _between(day: Any, query: ReportQuery) -> Any:
    return and_(day.is_not(None), day >= query.since, day <= query.until)


def _in_report(p: Any, query: ReportQuery) -> Any:
    """Entered, left or followed up in the period: the participants the report (and each
    export's disclosure) covers."""
    return or_(
        _between(p.c.entry_on, query),
        _between(p.c.exit_on, query),
        _between(p.c.follow_up_on, query),
    )


def _ymd(day: Any) -> tuple[Any, Any, Any]:
    return tuple(cast(extract(part, day), Integer) for part in ("year", "month", "day"))  # type: ignore[return-value]


def _text_ymd(text_date: Any) -> tuple[Any, Any, Any]:
    """Year, month and day of an ISO date kept as text in the answers."""
    return (
        cast(func.substr(text_date, 1, 4), Integer),
        cast(func.substr(text_date, 6, 2), Integer),
        cast(func.substr(text_date, 9, 2), Integer),
    )


#: The entry form's items the output indicators read (besides gender, the labour-market status
#: and the unemployment's start).
ANSWERED = (
    "education",
    "disability",
    "third_country_national",
    "foreign_background",
    "minority",
    "homeless",
    "rural",
)


@dataclass(frozen=True)
class _Columns:
    """The per-participant values the counts test, each read from the JSON once (columns of
    :func:`_answers`)."""

    gender: Any
    status: Any
    age: Any
    long_term: Any
    unemployed_since: Any
    answer: Callable[[str], Any]
    #: The stored JSON list of the last exit's / follow-up's situation, as text (NULL: a gap).
    exit_situation: Any
    follow_up_situation: Any


def _answers(people: Any, rule: LongTermRule) -> Any:
    """``people`` with the answers the report counts read out of the JSON, the age at entry and
    the long-term unemployment worked out: once a participant. ``MATERIALIZED`` keeps it a
    step of its own on PostgreSQL (which would otherwise fold it into the counts and read the
    JSON again for every count that looks at it)."""

    def answer(item: str) -> Any:
        return people.c.entry[item].as_string()

    gender_value = answer("gender")
    gender = case((gender_value.in_([g for g in GENDERS if g != "gap"]), gender_value), else_="gap")
    ey, em, ed = people.c.entry_year, people.c.entry_month, people.c.entry_day
    age = people.c.age
    since = answer("unemployed_since")
    sy, sm, sd = _text_ymd(since)
    months = case((age < rule.young_below_age, rule.young_months), else_=rule.months)
    # LongTermRule.applies: the day ``months`` after ``since`` (the month's last day when it
    # has none) falls before the entry; in whole months: a later month, or the same month and
    # an earlier day of the month (a clamped last day is never before the entry's day then)
    later, entered = sy * 12 + sm + months, ey * 12 + em
    long_term = case((or_(later < entered, and_(later == entered, sd < ed)), 1), else_=0)
    return (
        select(
            people.c.organisation_id,
            people.c.found_via,
            people.c.entry_on,
            people.c.exit_on,
            people.c.follow_up_on,
            gender.label("gender"),
            answer("labour_market_status").label("status"),
            since.label("unemployed_since"),
            age,
            long_term.label("long_term"),
            *(answer(item).label(f"a_{item}") for item in ANSWERED),
            people.c.exit["situation"].as_string().label("exit_situation"),
            people.c.follow_up["situation"].as_string().label("follow_up_situation"),
        )
        .cte("answers")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )


def _columns(a: Any) -> _Columns:
    return _Columns(
        gender=a.c.gender,
        status=a.c.status,
        age=a.c.age,
        long_term=a.c.long_term == 1,
        unemployed_since=a.c.unemployed_since,
        answer=lambda item: a.c[f"a_{item}"],
        exit_situation=a.c.exit_situation,
        follow_up_situation=a.c.follow_up_situation,
    )


#: An indicator's rule: (counts, declined, gap) conditions on one participant (None: never).
Rule = Callable[[_Columns], tuple[Any, Any, Any]]


def _status(*wanted: str) -> Rule:
    # "declined" is no labour-market status the form offers; it would count as none of them
    return lambda c: (c.status.in_(wanted), None, c.status.is_(None))


def _answer(item: str, *wanted: str) -> Rule:
    def rule(c: _Columns) -> tuple[Any, Any, Any]:
        value = c.answer(item)
        return value.in_(wanted), value == DECLINED, value.is_(None)

    return rule


def _age(low: int, high: int) -> Rule:
    return lambda c: (c.age.between(low, high), None, c.age.is_(None))


def _long_term(c: _Columns) -> tuple[Any, Any, Any]:
    since_known = and_(c.unemployed_since.is_not(None), c.unemployed_since != "")
    unemployed = c.status == "unemployed"
    return (
        and_(unemployed, since_known, c.long_term),
        None,
        or_(c.status.is_(None), and_(unemployed, ~since_known)),
    )


OUTPUT_RULES: dict[str, Rule] = {
    "total": lambda c: (true(), None, None),
    "unemployed": _status("unemployed"),
    "long_term_unemployed": _long_term,
    # in education counts as inactive: outside the labour force (docs/reporting.md)
    "inactive": _status("inactive", "in_education"),
    "employed": _status("employed"),
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


def _situation(option: str, follow_up: bool = False) -> Rule:
    def rule(c: _Columns) -> tuple[Any, Any, Any]:
        chosen = c.follow_up_situation if follow_up else c.exit_situation
        # the options of a multi item are [a-z0-9_] keys, so '"employed"' is one whole option
        # of the stored JSON list (never part of "self_employed"); same text on both databases
        return chosen.contains(f'"{option}"', autoescape=True), None, chosen.is_(None)

    return rule


EXIT_RULES: dict[str, Rule] = {
    "exit_job_searching": _situation("job_searching"),
    "exit_in_education": _situation("in_education"),
    "exit_qualification": _situation("qualification"),
    "exit_employed": _situation("employed"),
}
SIX_MONTH_RULES: dict[str, Rule] = {"follow_up_employed": _situation("employed", True)}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


#: Days are local days (Europe/Helsinki): a contact at 00:30 on 1 April local time is in Q2.
ZONE = ZoneInfo("Europe/Helsinki")


def period_start(query: ReportQuery) -> datetime:
    """The report period's first moment: local midnight of its first day."""
    return datetime.combine(query.since, time(), ZONE)


def period_end(query: ReportQuery) -> datetime:
    """The moment after the period: local midnight after its last day."""
    return datetime.combine(query.until + timedelta(days=1), time(), ZONE)


@dataclass
class _Counted:
    """What the one aggregate statement gives."""

    figures: dict[str, list[Figure]]
    entered: int = 0
    exited: int = 0
    followed_up: int = 0
    in_report: int = 0
    so_far: Counter[int] = field(default_factory=Counter)
    found_via: Counter[str] = field(default_factory=Counter)


def _count(
    session: Session,
    project: ProjectView,
    query: ReportQuery,
    rule: LongTermRule,
    table: dict[str, IndicatorDef],
) -> _Counted:
    """Every indicator by gender with its declined and gaps, the entered / left / followed-up
    totals, planned-against-actual by implementer and how the entered were found: one SELECT
    with conditional counts, grouped by gender, implementer and way found (at most a few
    hundred rows come back, whatever the number of participants)."""
    people = _answers(_people(project, query), rule)
    c = _columns(people)
    entered = _between(people.c.entry_on, query)
    exited = _between(people.c.exit_on, query)
    followed = _between(people.c.follow_up_on, query)

    def how_many(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    columns: list[Any] = []
    places: list[tuple[str, int, str]] = []
    figures: dict[str, list[Figure]] = {}
    groups = (
        ("outputs", OUTPUT_RULES, entered),
        ("results_exit", EXIT_RULES, exited),
        ("results_six_months", SIX_MONTH_RULES, followed),
    )
    for group, rules, within in groups:
        figures[group] = []
        for key, indicator in rules.items():
            spec = table[key]
            figures[group].append(Figure(key, spec.annex, spec.shown_code))
            for part, condition in zip(("n", "declined", "gaps"), indicator(c), strict=True):
                if condition is not None:
                    columns.append(how_many(and_(within, condition)))
                    places.append((group, len(figures[group]) - 1, part))
    stmt = select(
        c.gender,
        people.c.organisation_id,
        people.c.found_via,
        how_many(entered),
        how_many(exited),
        how_many(followed),
        how_many(_in_report(people, query)),
        how_many(and_(people.c.entry_on.is_not(None), people.c.entry_on <= query.until)),
        *columns,
    ).group_by(c.gender, people.c.organisation_id, people.c.found_via)
    counted = _Counted(figures)
    for (
        gender,
        organisation,
        found_via,
        n_in,
        n_out,
        n_followed,
        n_report,
        so_far,
        *values,
    ) in session.execute(stmt):
        counted.entered += n_in
        counted.exited += n_out
        counted.followed_up += n_followed
        counted.in_report += n_report
        counted.so_far[organisation] += so_far
        if n_in:
            counted.found_via[found_via or "gap"] += n_in
        for (group, i, part), value in zip(places, values, strict=True):
            figure = figures[group][i]
            if part == "n":
                figure.by_gender[gender] += value
            elif part == "declined":
                figure.declined += value
            else:
                figure.gaps += value
    return counted


def participant_rows(
    session: Session, project: ProjectView, query: ReportQuery, form_file: FormFile
) -> list[ParticipantRow]:
    """The participants the report covers (entered, left or followed up in the period), by
    participant number, with their first entry, last exit and last follow-up: the
    participant-level sheet's rows and each export's disclosure. One SELECT."""
    people = _people(project, query)
    stmt = select(people).where(_in_report(people, query)).order_by(people.c.number)
    rows = []
    rule = form_file.long_term
    for r in session.execute(stmt).mappings():
        entry = r["entry"] or {}
        entry_on = _as_date(r["entry_on"]) if r["entry_on"] is not None else None
        born = r["birth_date"]
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
                participant_id=r["participant_id"],
                client_id=r["client_id"],
                number=r["number"],
                organisation_id=r["organisation_id"],
                municipality_code=r["municipality_code"],
                entry_on=entry_on,
                entry=entry,
                age_at_entry=age,
                long_term_unemployed=long_term,
                exit_on=_as_date(r["exit_on"]) if r["exit_on"] is not None else None,
                exit=r["exit"],
                follow_up_on=(
                    _as_date(r["follow_up_on"]) if r["follow_up_on"] is not None else None
                ),
                follow_up=r["follow_up"],
                found_via=r["found_via"],
            )
        )
    return rows


def _in_report_clients(
    session: Session, project: ProjectView, query: ReportQuery
) -> Callable[[], set[int]]:
    """The client ids of the participants the report covers, read once and only if asked (the
    GAS and Kykyviisari figures need them only when someone has a goal or an assessment)."""
    found: list[set[int]] = []

    def ids() -> set[int]:
        if not found:
            people = _people(project, query)
            found.append(
                set(
                    session.execute(
                        select(people.c.client_id).where(_in_report(people, query))
                    ).scalars()
                )
            )
        return found[0]

    return ids


def _funnel(
    session: Session, pathway: Pathway, project: ProjectView, query: ReportQuery
) -> list[tuple[str, int]]:
    """The funnel over the clients the project's implementers keep, whose client journey
    started in the period (filters applied): the dashboard's funnel (:func:`engine.reports.funnel`,
    each journey's furthest stage kept on its row), never a scan of the event log."""
    return funnel(
        session,
        pathway,
        organisation_ids=(
            [query.organisation_id]
            if query.organisation_id is not None
            else list(project.organisation_ids)
        ),
        municipality_codes=(
            [query.municipality]
            if query.municipality
            else (list(project.municipality_codes) or None)
        ),
        since=period_start(query),
        until=period_end(query),
    ).as_list()


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
    counted = _count(session, project, query, form_file.long_term, table)
    planned = [
        Planned(
            i.name, i.organisation_id, i.planned_participants, counted.so_far[i.organisation_id]
        )
        for i in project.implementers
        if query.organisation_id in (None, i.organisation_id)
    ]
    if query.organisation_id is None:
        planned.insert(
            0, Planned(project.name, None, project.planned_participants, counted.so_far.total())
        )
    ids = participant_clients(project, query)
    covered = _in_report_clients(session, project, query)
    pathways, outcomes, contacts, contact_people = _activity(session, ids, query)
    present, marked, attendees = _attendance(session, ids, query)
    gas, gas_without, gas_median = _gas(session, ids, covered, counted.in_report, rho)
    kyky_with, kyky_change, kyky_median = _kyky(session, ids, covered)
    rule = form_file.long_term
    qualified, gained = qualifications_gained(session, ids, query.since, query.until)
    attended = attended_in(
        session, ids, period_start(query), period_end(query), now or datetime.now(UTC)
    )
    return Report(
        project=project,
        query=query,
        small_cell=small_cell,
        planned=planned,
        outputs=counted.figures["outputs"],
        results_exit=counted.figures["results_exit"],
        results_six_months=counted.figures["results_six_months"],
        entered=counted.entered,
        exited=counted.exited,
        followed_up=counted.followed_up,
        funnel=_funnel(session, pathway, project, query),
        found_via=_counted(counted.found_via, [*FoundVia, "gap"]),
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
        kyky_without=counted.in_report - kyky_with,
        kyky_change=kyky_change,
        kyky_median_change=kyky_median,
        participant_count=counted.in_report,
        source=indicator_source(project.form_key),
        long_term_rule=rule.source,
        qualified_participants=qualified,
        qualifications_gained=gained,
        _load=lambda s: participant_rows(s, project, query, form_file),
        _bind=session.get_bind(),
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
            col(Referral.created_at) >= period_start(query),
            col(Referral.created_at) < period_end(query),
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
            col(JourneyEvent.occurred_at) >= period_start(query),
            col(JourneyEvent.occurred_at) < period_end(query),
        )
        .group_by(col(JourneyEvent.outcome))
    ).all()
    in_period = (
        col(ContactEntry.occurred_at) >= period_start(query),
        col(ContactEntry.occurred_at) < period_end(query),
    )
    contacts = session.execute(
        select(col(ContactEntry.kind), func.count())
        .where(col(ContactEntry.client_id).in_(ids), *in_period)
        .group_by(col(ContactEntry.kind))
    ).all()
    # the people met: the participants with a contact in the period (a semi-join, not a
    # count(DISTINCT) over every contact)
    chosen = ids.subquery()
    people = session.execute(
        select(func.count())
        .select_from(chosen)
        .where(exists().where(col(ContactEntry.client_id) == chosen.c.client_id, *in_period))
    ).scalar_one()
    return (
        sorted(((str(t), int(n)) for t, n in referrals), key=lambda x: (-x[1], x[0])),
        sorted(((str(o or "gap"), int(n)) for o, n in outcomes), key=lambda x: (-x[1], x[0])),
        _counted(Counter({str(k): int(n) for k, n in contacts}), list(ContactKind)),
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
            col(GroupSession.starts_at) >= period_start(query),
            col(GroupSession.starts_at) < period_end(query),
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
    session: Session, ids: Any, covered: Callable[[], set[int]], count: int, rho: float
) -> tuple[list[tuple[str, int]], int, float | None]:
    """The distribution of the GAS T-score change (last follow-up against the baseline) over
    the ``count`` participants the report covers who have a rated goal; the others are counted
    as without."""
    goals: dict[int, list[GasGoal]] = defaultdict(list)
    ratings: dict[int, list[GasRating]] = defaultdict(list)
    for goal in session.execute(select(GasGoal).where(col(GasGoal.client_id).in_(ids))).scalars():
        goals[goal.client_id].append(goal)
    changes = []
    if goals:
        for rating in session.execute(
            select(GasRating).where(col(GasRating.client_id).in_(ids))
        ).scalars():
            ratings[rating.client_id].append(rating)
        wanted = covered()
        for client_id in sorted(goals):
            if client_id not in wanted:
                continue
            points = series(goals[client_id], ratings.get(client_id, []), rho)
            if len(points) >= 2 and points[-1].from_baseline is not None:
                changes.append(points[-1].from_baseline)
    counts = Counter(_bucket(c, [(n, lo, hi) for n, lo, hi in GAS_BUCKETS]) for c in changes)
    median = round(statistics.median(changes), 1) if changes else None
    return (
        [(b[0], counts.get(b[0], 0)) for b in GAS_BUCKETS],
        count - len(changes),
        median,
    )


def _kyky(
    session: Session, ids: Any, covered: Callable[[], set[int]]
) -> tuple[int, list[tuple[str, int]], float | None]:
    """Kykyviisari coverage (participants with at least one) and the change of the overall work
    ability (0-10) between the first and the last, for those with two or more."""
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
    wanted = covered() if rows else set()
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
