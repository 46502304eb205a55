"""The coach's caseload (asiakkaani): one page of the clients a user may list, with what the
dashboard shows for each -- the client journey's state, the last contact, the follow-up date,
the user's own role in the care team (goal coach, job coach, ...) and any extra flags -- in one
SELECT, however many rows the page has.

Which clients: :func:`engine.access.visible_clients` for :attr:`What.caseload` (the care team
today), closed clients left out unless asked for. Order: a work list -- the clients whose agreed
next contact is today or past first (the most overdue first), then the rest by name. Paging:
``LIMIT/OFFSET`` over that order, plus one ``COUNT``; both start
from the principal's care-team rows (index ``care_team(user_id, client_id)``), so a page costs
the same with 1 000 or 100 000 clients in the database (``bench/caseload.py``).

Extension point (:data:`FLAGS`): a :class:`CaseloadFlag` is a named, correlated scalar subquery
on ``client.id`` ("referrals waiting", "referrals overdue"): append one to :data:`FLAGS` and it
becomes a column of the same SELECT and a badge on the dashboard.

Dated reminders (:func:`reminder_flags`) are one kind of flag: given how many reminders of a
client are open and fall due on or before a day, they make the pair of badges "due" (due, not yet
:data:`OVERDUE_AFTER_DAYS` past) and "overdue". The ESF+ six-month follow-up
(:func:`engine.participants.follow_ups_due`) and the aftercare check-ins
(:func:`engine.aftercare.open_count`, per the runtime's schedule: :func:`caseload_flags`) share it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlmodel import Session, col

from engine.access import Principal, What, visible_clients
from engine.clock import as_utc
from engine.dates import local_day
from engine.models import CareTeam, Client, ContactEntry, Journey, Referral
from engine.participants import follow_ups_due
from engine.pathway_keys import CLIENT_JOURNEY

if TYPE_CHECKING:
    from engine.aftercare import Schedule

PAGE_SIZE = 25
#: The referral pathway's state before the partner answers.
UNANSWERED = "requested"
#: How the dashboard can narrow the list (besides search and municipality).
SHOW = ("all", "follow_up_due", "paused", "closed")
PAUSED_STATES = ("paused",)
#: Clients whose journey ended: left out unless asked for (``show="closed"`` or the state).
CLOSED_STATES = ("closed",)


@dataclass(frozen=True)
class CaseloadFlag:
    """A named count about a client, shown as a badge when it is not zero.

    ``count`` builds a correlated scalar subquery on ``client.id`` for ``today``; ``label`` holds
    the badge text in fi/sv/en.
    """

    key: str
    label: dict[str, str]
    count: Callable[[date], ColumnElement[Any]]
    #: Shown as this count less the count of the flag ``less`` (of the same list): a reminder's
    #: "due" counts every open one due by today, the "overdue" among them are its other badge.
    less: str | None = None

    def __post_init__(self) -> None:
        # The subquery for a day is built once and reused by every request of that day:
        # building it (aliases, EXISTS, CASE) was a third of a caseload request's CPU.
        object.__setattr__(self, "count", lru_cache(maxsize=2)(self.count))


def _unanswered_referrals(*, expired: bool) -> Callable[[date], ColumnElement[Any]]:
    """Referrals of the client still waiting for the partner's answer, within or past the
    promised response time (``polku referrals expire`` flags the late ones)."""

    def count(_today: date) -> ColumnElement[Any]:
        late = col(Referral.expired_at).is_not(None)
        return (
            select(func.count())
            .select_from(Referral)
            .join(Journey, col(Journey.id) == col(Referral.journey_id))
            .where(
                col(Referral.client_id) == col(Client.id),
                col(Journey.state) == UNANSWERED,
                late if expired else ~late,
            )
            .correlate(Client)
            .scalar_subquery()
        )

    return count


#: Days after its due date an open reminder is overdue (the same for every dated reminder).
OVERDUE_AFTER_DAYS = 14


def reminder_flags(
    key: str,
    due: dict[str, str],
    overdue: dict[str, str],
    open_due: Callable[[date], ColumnElement[Any]],
) -> list[CaseloadFlag]:
    """The two badges of a dated reminder, ``{key}_due`` and ``{key}_overdue``. ``open_due(day)``
    is a correlated count on ``client.id`` of the client's reminders not done that fall due on or
    before ``day``: the overdue ones fell due :data:`OVERDUE_AFTER_DAYS` ago or earlier, the
    due ones since."""

    def late(today: date) -> ColumnElement[Any]:
        return open_due(today - timedelta(days=OVERDUE_AFTER_DAYS))

    # "due" is counted as every open one due by today, less the overdue (one count each: the
    # subtraction in SQL made the database count the overdue twice)
    return [
        CaseloadFlag(f"{key}_due", due, open_due, less=f"{key}_overdue"),
        CaseloadFlag(f"{key}_overdue", overdue, late),
    ]


#: Extra per-client counts on the dashboard, each a badge when not zero.
FLAGS: list[CaseloadFlag] = [
    CaseloadFlag(
        "referrals_waiting",
        {
            "fi": "Ohjaus odottaa vastausta",
            "sv": "Remiss väntar på svar",
            "en": "Referral awaiting answer",
        },
        _unanswered_referrals(expired=False),
    ),
    CaseloadFlag(
        "referrals_expired",
        {"fi": "Ohjaus myöhässä", "sv": "Remiss försenad", "en": "Referral overdue"},
        _unanswered_referrals(expired=True),
    ),
    # ESF+ participant data (engine/participants.py): the six-month follow-up is due
    *reminder_flags(
        "esf_follow_up",
        {
            "fi": "Kuuden kuukauden seuranta",
            "sv": "Sexmånadersuppföljning",
            "en": "Six-month follow-up due",
        },
        {
            "fi": "Kuuden kuukauden seuranta myöhässä",
            "sv": "Sexmånadersuppföljning försenad",
            "en": "Six-month follow-up overdue",
        },
        follow_ups_due,
    ),
]


def caseload_flags(aftercare: Schedule | None) -> list[CaseloadFlag]:
    """:data:`FLAGS` and the aftercare check-ins of the runtime's schedule
    (:mod:`engine.aftercare`)."""
    from engine.aftercare import open_count

    return [
        *FLAGS,
        *reminder_flags(
            "aftercare",
            {"fi": "Jälkiseuranta", "sv": "Uppföljning efteråt", "en": "Aftercare check-in due"},
            {
                "fi": "Jälkiseuranta myöhässä",
                "sv": "Uppföljning efteråt försenad",
                "en": "Aftercare check-in overdue",
            },
            open_count(aftercare),
        ),
    ]


@dataclass(frozen=True)
class CaseloadQuery:
    """What the coach asked for: a name search, filters and a page number (from 1)."""

    search: str = ""
    state: str = ""
    municipality: str = ""
    show: str = "all"
    page: int = 1


@dataclass(frozen=True)
class CaseloadRow:
    client_id: int
    first_name: str
    last_name: str
    municipality_code: str
    journey_id: int | None
    state: str | None
    last_contact_at: datetime | None
    next_contact_on: date | None
    flags: dict[str, int] = field(default_factory=dict)
    #: The principal's role in this client's care team today (CareTeamRole), if a member.
    my_role: str | None = None

    def days_since_contact(self, today: date, zone: tzinfo) -> int | None:
        """Whole local days since the last contact (``today`` is the local date in ``zone``)."""
        if self.last_contact_at is None:
            return None
        return (today - local_day(self.last_contact_at, zone)).days

    def follow_up_due(self, today: date) -> bool:
        return self.next_contact_on is not None and self.next_contact_on <= today


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _last_contact() -> Any:
    return (
        select(func.max(col(ContactEntry.occurred_at)))
        .where(col(ContactEntry.client_id) == col(Client.id))
        .correlate(Client)
        .scalar_subquery()
    )


def _next_contact() -> Any:
    """The follow-up date agreed at the latest contact (a later contact replaces it)."""
    return (
        select(col(ContactEntry.next_contact_on))
        .where(col(ContactEntry.client_id) == col(Client.id))
        .order_by(col(ContactEntry.occurred_at).desc(), col(ContactEntry.id).desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )


def _my_role(principal: Principal, today: date) -> Any:
    """The principal's role in the client's care team today (none when not a member)."""
    return (
        select(col(CareTeam.role))
        .where(
            col(CareTeam.client_id) == col(Client.id),
            col(CareTeam.user_id) == principal.user_id,
            col(CareTeam.valid_from) <= today,
            or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= today),
        )
        .order_by(col(CareTeam.valid_from).desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )


def _filtered(
    principal: Principal, query: CaseloadQuery, today: date, *columns: Any
) -> Select[Any]:
    journey_on = and_(
        col(Journey.client_id) == col(Client.id), col(Journey.pathway_key) == CLIENT_JOURNEY
    )
    stmt = (
        select(*columns)
        .select_from(Client)
        .outerjoin(Journey, journey_on)
        .where(col(Client.id).in_(visible_clients(principal, What.caseload, today)))
    )
    words = query.search.split()
    for word in words[:5]:
        pattern = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(col(Client.first_name)).like(pattern),
                func.lower(col(Client.last_name)).like(pattern),
            )
        )
    if query.state:
        stmt = stmt.where(col(Journey.state) == query.state)
    if query.municipality:
        stmt = stmt.where(col(Client.municipality_code) == query.municipality)
    if query.show == "closed":
        stmt = stmt.where(col(Journey.state).in_(CLOSED_STATES))
    elif query.state not in CLOSED_STATES:
        stmt = stmt.where(
            or_(col(Journey.state).is_(None), col(Journey.state).not_in(CLOSED_STATES))
        )
    if query.show == "paused":
        stmt = stmt.where(col(Journey.state).in_(PAUSED_STATES))
    elif query.show == "follow_up_due":
        stmt = stmt.where(_next_contact() <= today)
    return stmt


# A caseload's two statements, built once per coach, query, day and page: the same coach reloads
# the same page all day, and building them (a correlated subquery per flag, the access filter)
# cost more Python than running them (issue 16). A page's statement is some 4 000 objects (its
# flags' subqueries): each is one more for the collector's every full pass to walk, and 512 of
# them (2 million objects) made a full pass take 0.8 s, so only the last 64 pages are kept. A
# count is some 140 objects.
_FlagKey = tuple[tuple[str, Callable[[date], ColumnElement[Any]], str | None], ...]


@lru_cache(maxsize=512)
def _count(principal: Principal, query: CaseloadQuery, today: date) -> Select[Any]:
    """How many clients the query finds (its page number plays no part)."""
    return _filtered(principal, query, today, func.count(col(Client.id)))


@lru_cache(maxsize=64)
def _page(
    principal: Principal,
    query: CaseloadQuery,
    today: date,
    page: int,
    page_size: int,
    flags: _FlagKey,
) -> Select[Any]:
    """The listing of one page: the clients with their state, contacts, role and the counts of
    ``flags`` (each flag's key, count and ``less``)."""
    counts = [count(today).label(f"flag_{key}") for key, count, _less in flags]
    # the clients listed with their next contact, read once a client: the work list sorts by it
    listed = _filtered(
        principal,
        query,
        today,
        col(Client.id).label("client_id"),
        col(Journey.id).label("journey_id"),
        col(Journey.state).label("state"),
        _next_contact().label("next_contact_on"),
    ).cte("listed")
    # (on PostgreSQL a step of its own: folded into the page's SELECT, the next contact's
    # subquery would run once for each sort key that names it)
    listed = listed.prefix_with("MATERIALIZED", dialect="postgresql")
    next_on = listed.c.next_contact_on
    stmt = (
        select(
            col(Client.id),
            col(Client.first_name),
            col(Client.last_name),
            col(Client.municipality_code),
            listed.c.journey_id,
            listed.c.state,
            _last_contact().label("last_contact_at"),
            next_on,
            _my_role(principal, today).label("my_role"),
            *counts,
        )
        .select_from(listed)
        .join(Client, col(Client.id) == listed.c.client_id)
        .order_by(
            # the work list: overdue and due today first (the oldest first), then by name
            case((next_on <= today, 0), else_=1),
            case((next_on <= today, next_on), else_=None),
            col(Client.last_name),
            col(Client.first_name),
            col(Client.id),
        )
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return stmt


def caseload(
    session: Session,
    principal: Principal,
    query: CaseloadQuery,
    today: date,
    *,
    page_size: int = PAGE_SIZE,
    flags: list[CaseloadFlag] | None = None,
) -> CaseloadPage:
    """One page of the principal's caseload: two statements (the page and its count). ``flags``:
    the badges to count (default :data:`FLAGS`; :func:`caseload_flags` adds aftercare)."""
    shown = FLAGS if flags is None else flags
    keys = {f.key for f in shown}
    if any(f.less is not None and f.less not in keys for f in shown):
        raise ValueError("a flag counted less another needs that flag in the same list")
    asked = replace(query, page=1)  # the statements' key: the page is chosen below
    total = int(session.execute(_count(principal, asked, today)).scalar_one())
    page = max(1, min(query.page, max(1, -(-total // page_size))))
    flag_key = tuple((f.key, f.count, f.less) for f in shown)
    stmt = _page(principal, asked, today, page, page_size, flag_key)
    rows = []
    for r in session.execute(stmt):
        last = r[6]
        counted = {f.key: int(r[9 + i] or 0) for i, f in enumerate(shown)}
        rows.append(
            CaseloadRow(
                client_id=r[0],
                first_name=r[1],
                last_name=r[2],
                municipality_code=r[3],
                journey_id=r[4],
                state=r[5],
                last_contact_at=as_utc(last) if last is not None else None,
                next_contact_on=_as_date(r[7]),
                my_role=r[8],
                flags={f.key: counted[f.key] - (counted[f.less] if f.less else 0) for f in shown},
            )
        )
    return CaseloadPage(rows, total, page, page_size)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # SQLite hands back text from a scalar subquery
