"""The coordinator's view of their organisation (projektipäällikkö): the dashboard's aggregates
and finding a client whose log report (703/2023 §11) they were asked for.

What counts is decided by the coordinator's grants in :mod:`engine.access`: the organisation's
aggregates (:func:`~engine.access.can_see_organisation_reports`: clients the organisation keeps),
the groups it keeps (``Grant.for_group`` through :func:`engine.groups.groups_of`) and, for the
log report only, the clients it keeps (basis ``client_log_request``). The dashboard holds counts,
coaches' names, services and groups -- never a client's name or id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import Session, col

from engine import audit
from engine.access import (
    Basis,
    Principal,
    What,
    can_see_organisation_reports,
    kept_by_own_organisation,
    require,
)
from engine.access import visible_clients as visible
from engine.clock import as_utc
from engine.group_reads import (
    GroupSummary,
    groups_of,
)
from engine.models import CareTeam, Client, Journey, Organisation, Referral, Role, User
from engine.pathway import Pathway
from engine.referrals import UNANSWERED
from engine.reports import Funnel, funnel

#: The most clients one search shows (a coordinator narrows the search rather than scrolls).
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class DashboardFilter:
    """The period (local dates, both inclusive) and optionally one municipality."""

    since: date
    until: date
    municipality_code: str | None = None

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start of ``since``, start of the day after ``until``) as aware datetimes."""
        start = datetime.combine(self.since, time(), tzinfo=zone)
        end = datetime.combine(self.until + timedelta(days=1), time(), tzinfo=zone)
        return start, end


@dataclass(frozen=True)
class CoachLoad:
    """One coach of the organisation and how many open client journeys their care teams hold."""

    user_id: int
    name: str
    clients: int


@dataclass(frozen=True)
class OverdueReferral:
    """An unanswered referral past its due time: which service, to whom, since when (no client)."""

    referral_id: int
    target_key: str
    service: dict[str, str]
    organisation: str
    sent_at: datetime
    due_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class Dashboard:
    filter: DashboardFilter
    funnel: Funnel
    caseloads: list[CoachLoad]
    referrals_by_state: dict[str, int]
    overdue: list[OverdueReferral]
    groups: list[GroupSummary]

    @property
    def referrals_total(self) -> int:
        return sum(self.referrals_by_state.values())


def _kept(principal: Principal, municipality_code: str | None) -> list[ColumnElement[bool]]:
    """Conditions on ``client``: kept by the principal's organisation (the same condition as the
    coordinator's grants in engine.access) and, when chosen, in the municipality."""
    conditions = [kept_by_own_organisation(principal, date.min)]
    if municipality_code:
        conditions.append(col(Client.municipality_code) == municipality_code)
    return conditions


def caseloads(
    session: Session, principal: Principal, client_journey: Pathway, today: date, code: str | None
) -> list[CoachLoad]:
    """Every active coach of the organisation with the number of its clients (open client
    journeys, care-team membership valid today), most first."""
    final = [name for name, s in client_journey.states.items() if s.final]
    load = (
        select(col(CareTeam.user_id), func.count(func.distinct(col(CareTeam.client_id))))
        .join(Client, col(Client.id) == col(CareTeam.client_id))
        .join(Journey, col(Journey.client_id) == col(Client.id))
        .where(
            *_kept(principal, code),
            col(Journey.pathway_key) == client_journey.key,
            col(Journey.state).not_in(final),
            col(CareTeam.valid_from) <= today,
            or_(col(CareTeam.valid_to).is_(None), col(CareTeam.valid_to) >= today),
        )
        .group_by(col(CareTeam.user_id))
    )
    counts = {int(u): int(n) for u, n in session.execute(load).all()}
    coaches = session.execute(
        select(col(User.id), col(User.display_name)).where(
            col(User.role) == Role.coach.value,
            col(User.organisation_id) == principal.organisation_id,
            col(User.is_active),
        )
    ).all()
    rows = [CoachLoad(int(i), str(n), counts.get(int(i), 0)) for i, n in coaches]
    return sorted(rows, key=lambda r: (-r.clients, r.name))


def referrals_by_state(
    session: Session, principal: Principal, start: datetime, end: datetime, code: str | None
) -> dict[str, int]:
    """Referrals of the organisation's clients sent in the period, by their state now."""
    rows = session.execute(
        select(col(Journey.state), func.count())
        .select_from(Referral)
        .join(Journey, col(Journey.id) == col(Referral.journey_id))
        .join(Client, col(Client.id) == col(Referral.client_id))
        .where(
            *_kept(principal, code),
            col(Referral.created_at) >= start,
            col(Referral.created_at) < end,
        )
        .group_by(col(Journey.state))
    ).all()
    return {str(state): int(n) for state, n in rows}


def overdue_referrals(
    session: Session, principal: Principal, now: datetime, code: str | None
) -> list[OverdueReferral]:
    """Every referral of the organisation's clients still unanswered past its due time (or
    flagged expired), oldest due first, whenever it was sent: it is work to chase now."""
    rows = session.execute(
        select(Referral, col(Organisation.name))
        .join(Journey, col(Journey.id) == col(Referral.journey_id))
        .join(Client, col(Client.id) == col(Referral.client_id))
        .join(Organisation, col(Organisation.id) == col(Referral.to_organisation_id))
        .where(
            *_kept(principal, code),
            col(Journey.state) == UNANSWERED,
            or_(col(Referral.expired_at).is_not(None), col(Referral.due_at) <= now),
        )
        .order_by(col(Referral.due_at), col(Referral.id))
    ).all()
    found = []
    for referral, organisation in rows:
        assert referral.id is not None
        due = as_utc(referral.due_at)
        service = referral.packet.get("service") if isinstance(referral.packet, dict) else None
        found.append(
            OverdueReferral(
                referral.id,
                referral.target_key,
                service if isinstance(service, dict) else {},
                str(organisation),
                as_utc(referral.created_at),
                due,
                max((now - due).days, 0),
            )
        )
    return found


def dashboard(
    session: Session,
    principal: Principal,
    client_journey: Pathway,
    chosen: DashboardFilter,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> Dashboard:
    """The organisation's dashboard for the chosen period and municipality."""
    require(can_see_organisation_reports(principal), "organisation reports")
    assert principal.organisation_id is not None  # (the rule above)
    start, end = chosen.bounds(zone)
    code = chosen.municipality_code
    today = now.astimezone(zone).date()
    running = [
        g
        for g in groups_of(session, principal, today, now)
        if g.next_session is not None and (not code or g.group.municipality_code == code)
    ]
    return Dashboard(
        filter=chosen,
        funnel=funnel(
            session,
            client_journey,
            organisation_ids=[principal.organisation_id],
            municipality_codes=[code] if code else None,
            since=start,
            until=end,
        ),
        caseloads=caseloads(session, principal, client_journey, today, code),
        referrals_by_state=referrals_by_state(session, principal, start, end, code),
        overdue=overdue_referrals(session, principal, now, code),
        groups=running,
    )


def organisation_municipalities(session: Session, principal: Principal) -> list[str]:
    """The municipality codes the organisation works in (its own list, and its clients')."""
    organisation = (
        session.get(Organisation, principal.organisation_id) if principal.organisation_id else None
    )
    codes = {
        c.strip() for c in (organisation.municipality_codes if organisation else "").split(",")
    }
    codes |= {
        str(c)
        for c in session.execute(
            select(func.distinct(col(Client.municipality_code))).where(
                col(Client.organisation_id) == principal.organisation_id
            )
        ).scalars()
    }
    return sorted(c for c in codes if c)


# --- finding a client for their log report --------------------------------------------------------


@dataclass(frozen=True)
class FoundClient:
    """A client the coordinator may hand a log report to: enough to tell people apart."""

    id: int
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_code: str


def find_clients_for_log(
    session: Session, principal: Principal, query: str, *, now: datetime, today: date
) -> list[FoundClient]:
    """Clients the principal may print a log report of (``What.client_lookup``) whose id is
    ``query`` (digits) or whose name contains every word of it. Each client shown is a view of
    their data: one access-log row each, in this transaction."""
    words = query.split()[:4]
    if not words:
        return []
    allowed = visible(principal, What.client_lookup, today)
    stmt = select(Client).where(col(Client.id).in_(allowed))
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and len(words[0]) < 10:
        stmt = stmt.where(col(Client.id) == int(words[0]))
    else:
        for word in words:
            escaped = word.lower()[:100].replace("\\", "\\\\").replace("%", "\\%")
            pattern = "%" + escaped.replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    func.lower(col(Client.first_name)).like(pattern, escape="\\"),
                    func.lower(col(Client.last_name)).like(pattern, escape="\\"),
                )
            )
    rows = list(
        session.execute(
            stmt.order_by(col(Client.last_name), col(Client.first_name), col(Client.id)).limit(
                SEARCH_LIMIT
            )
        ).scalars()
    )
    found = [
        FoundClient(c.id or 0, c.first_name, c.last_name, c.birth_date, c.municipality_code)
        for c in rows
    ]
    audit.record_accesses(
        session,
        principal=principal,
        client_ids=[f.id for f in found],
        what=What.client_lookup,
        basis=Basis.client_log_request,
        at=now,
    )
    return found
