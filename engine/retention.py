"""Retention and erasure (säilytysajat, tietojen poistaminen): docs/operations.md, "Retention".

A closed client's record is kept for the period the law sets, counted from the closing of the
client relationship, and then removed with everything that belongs to it. The rule, with its
legal source, lives in :data:`DEFAULT_RULE`; ``POLKU_RETENTION_YEARS`` and
``POLKU_LOG_RETENTION_YEARS`` override its periods (:func:`rule_for`).

- *Closed*: every journey of the client (client journey, referrals, group memberships) is in a
  final state. *Closed on*: the local date of the last event of any of them.
- *Due*: the record is kept through ``closed_on + years`` (the same calendar day; 29 February
  becomes 28 February) and due from the day after.
- *Removed*: the client row and every row that belongs to it, found through the foreign keys
  (journeys, events, contacts, goals, ratings, assessments, referrals, consents, facts, group
  memberships and marks, ... and what later tables add), and the client's access- and
  disclosure-log rows older than their own retention period; younger log rows stay (the logs
  outlive the record) and their chain's ``anchor`` keeps the remaining rows verifiable.
- Every removal writes a :class:`~engine.models.RetentionTombstone` (the client's id, the rule,
  the dates and the counts removed per table: no personal data). An erasure request (GDPR art.
  17) before the record is due is refused with the legal reason (art. 17(3)(b): a legal
  obligation to keep it), and the refusal is recorded the same way.

Only the owner role may run it: the app role has no DELETE on the append-only tables, and their
triggers let a DELETE through only in a transaction that set ``polku.retention`` (PostgreSQL)
or on a connection that answers ``polku_may_delete()`` with 1 (SQLite): engine/migrate.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, select, text, update
from sqlmodel import Session, SQLModel

from engine.audit import CODE, years_before
from engine.chain import CLIENT_STREAMS, row_hash
from engine.clock import Clock, as_utc
from engine.db import Database
from engine.errors import InputRequired, NotFound
from engine.models import Client, Journey, JourneyEvent, LogChain, RetentionTombstone
from engine.pathway import PathwayRegistry
from engine.settings import Settings

_client_t: Table = Client.__table__  # type: ignore[attr-defined]
_journey_t: Table = Journey.__table__  # type: ignore[attr-defined]
_event_t: Table = JourneyEvent.__table__  # type: ignore[attr-defined]
_chain_t: Table = LogChain.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RetentionRule:
    """How long a closed client's record is kept, and its access and disclosure log rows."""

    key: str
    years: int
    legal_source: str
    log_years: int
    log_legal_source: str


#: The rule for the project's clients: working-age people's social-welfare and substance-abuse
#: service records (työikäisten sosiaalipalvelut, päihdepalvelut).
DEFAULT_RULE = RetentionRule(
    key="working_age_social_services_10y",
    years=10,
    legal_source=(
        "Kansallisarkisto: sosiaalihuollon asiakasasiakirjojen säilytysajat (laki sosiaali- ja "
        "terveydenhuollon asiakastietojen käsittelystä 703/2023): työikäisten sosiaalipalvelut "
        "ja päihdepalvelut 10 vuotta asiakkuuden päättymisestä"
    ),
    log_years=12,
    log_legal_source=(
        "703/2023: käyttö- ja luovutuslokitiedot säilytetään 12 vuotta niiden syntymisestä"
    ),
)


def rule_for(settings: Settings) -> RetentionRule:
    """:data:`DEFAULT_RULE` with the periods a deployment sets (``POLKU_RETENTION_YEARS``,
    ``POLKU_LOG_RETENTION_YEARS``)."""
    rule = DEFAULT_RULE
    if settings.retention_years is not None:
        rule = replace(rule, years=settings.retention_years)
    if settings.log_retention_years is not None:
        rule = replace(rule, log_years=settings.log_retention_years)
    return rule


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Standing:
    """Where one client's record stands: open, or closed on a day and kept until a day."""

    client_id: int
    closed_on: date | None
    kept_until: date | None

    def due(self, today: date) -> bool:
        return self.kept_until is not None and today > self.kept_until


@dataclass
class Removal:
    client_id: int
    closed_on: date
    kept_until: date
    removed: dict[str, int] = field(default_factory=dict)


def standings(
    session: Session, pathways: PathwayRegistry, clock: Clock, rule: RetentionRule
) -> Iterator[Standing]:
    """Every client's standing, ordered by id."""
    finals = {
        (p.key, p.version, name)
        for p in pathways
        for name, state in p.states.items()
        if state.final
    }
    rows = session.execute(
        select(
            _client_t.c.id,
            _journey_t.c.pathway_key,
            _journey_t.c.pathway_version,
            _journey_t.c.state,
            select(func.max(_event_t.c.occurred_at))
            .where(_event_t.c.journey_id == _journey_t.c.id)
            .scalar_subquery(),
        )
        .outerjoin(_journey_t, _journey_t.c.client_id == _client_t.c.id)
        .order_by(_client_t.c.id)
    ).all()
    current: int | None = None
    open_ = False
    last: datetime | None = None
    for cid, key, version, state, at in [*rows, (None, None, None, None, None)]:
        if cid != current:
            if current is not None:
                if open_ or last is None:
                    yield Standing(current, None, None)
                else:
                    closed_on = clock.local_date(as_utc(last))
                    yield Standing(current, closed_on, years_after(closed_on, rule.years))
            current, open_, last = cid, False, None
        if key is None:
            open_ = True  # a client without any journey: nothing says the matter closed
            continue
        if (key, version, state) not in finals:
            open_ = True
        if at is not None and (last is None or as_utc(at) > last):
            last = as_utc(at)


def standing_of(
    session: Session, pathways: PathwayRegistry, clock: Clock, rule: RetentionRule, client_id: int
) -> Standing:
    for s in standings(session, pathways, clock, rule):
        if s.client_id == client_id:
            return s
    raise NotFound(f"client {client_id} not found")


def _owned_conditions(client_id: int) -> list[tuple[Table, ColumnElement[bool]]]:
    """Every table with rows that belong to a client, dependents first, each with the condition
    that picks the client's rows: through ``client_id``, or through a foreign key to a table
    already found. The logs are left out (they have their own period)."""
    owned: dict[str, tuple[Table, ColumnElement[bool]]] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in CLIENT_STREAMS or table.name in {"client", "log_chain"}:
            continue
        if table.name == "retention_tombstone":
            continue
        condition: ColumnElement[bool] | None = None
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name == "client":
                condition = fk.parent == client_id
                break
        if condition is None:
            for fk in table.foreign_keys:
                parent_name = fk.column.table.name
                if parent_name in owned:
                    _parent, parent_condition = owned[parent_name]
                    condition = fk.parent.in_(
                        select(fk.column).where(parent_condition).scalar_subquery()
                    )
                    break
        if condition is not None:
            owned[table.name] = (table, condition)
    return list(reversed(owned.values()))


def _allow_deletes(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL polku.retention = 'on'"))


def _trim_logs(session: Session, client_id: int, cutoff: datetime) -> dict[str, int]:
    """Remove the client's oldest log rows, those older than ``cutoff``; keep the rest linked."""
    removed: dict[str, int] = {}
    for stream, table in CLIENT_STREAMS.items():
        rows = session.execute(
            select(table).where(table.c.client_id == client_id).order_by(table.c.id)
        ).all()
        gone = 0
        while gone < len(rows) and as_utc(rows[gone]._mapping["occurred_at"]) < cutoff:
            gone += 1
        if not gone:
            continue
        last = rows[gone - 1]._mapping
        fields = [c.name for c in table.columns if c.name not in {"id", "prev_hash"}]
        anchor = row_hash(last["prev_hash"], fields, dict(last))
        session.execute(
            delete(table).where(table.c.client_id == client_id, table.c.id <= last["id"])
        )
        where = (_chain_t.c.stream == stream) & (_chain_t.c.client_id == client_id)
        if gone == len(rows):
            session.execute(delete(_chain_t).where(where))
        else:
            session.execute(update(_chain_t).where(where).values(anchor=anchor))
        removed[stream] = gone
    return removed


def remove_client(
    session: Session, standing: Standing, rule: RetentionRule, now: datetime
) -> Removal:
    """Remove one due client's record inside the caller's (owner, retention) transaction."""
    assert standing.closed_on is not None
    assert standing.kept_until is not None
    _allow_deletes(session)
    cid = standing.client_id
    removal = Removal(cid, standing.closed_on, standing.kept_until)
    for table, condition in _owned_conditions(cid):
        count = session.execute(delete(table).where(condition)).rowcount  # type: ignore[attr-defined]
        if count:
            removal.removed[table.name] = count
    removal.removed.update(_trim_logs(session, cid, years_before(now, rule.log_years)))
    session.execute(delete(_client_t).where(_client_t.c.id == cid))
    removal.removed["client"] = 1
    session.add(
        RetentionTombstone(
            client_id=cid,
            action="removed",
            rule=rule.key,
            legal_source=rule.legal_source,
            closed_on=standing.closed_on,
            due_on=standing.kept_until + timedelta(days=1),
            detail=dict(sorted(removal.removed.items())),
            occurred_at=now,
        )
    )
    return removal


class Retention:
    """Runs the rule against a database as its owner (``polku retention ...``)."""

    def __init__(
        self, owner_db: Database, pathways: PathwayRegistry, clock: Clock, rule: RetentionRule
    ):
        self.db = owner_db
        self.pathways = pathways
        self.clock = clock
        self.rule = rule

    def due(self) -> list[Standing]:
        today = self.clock.today()
        with self.db.read() as session:
            return [
                s for s in standings(session, self.pathways, self.clock, self.rule) if s.due(today)
            ]

    def run(self, *, dry_run: bool = False) -> list[Standing | Removal]:
        """Remove every due client, one transaction each; ``dry_run``: only list them."""
        due = self.due()
        if dry_run:
            return list(due)
        done: list[Standing | Removal] = []
        for standing in due:
            with self.db.write() as session:
                done.append(remove_client(session, standing, self.rule, self.clock.now()))
        return done

    def erase(self, client_id: int, *, request: str) -> Removal:
        """A data subject's erasure request: removed when due, else refused and recorded
        (raises :class:`ErasureRefused` after committing the refusal)."""
        if not CODE.fullmatch(request):
            raise InputRequired("reason", "the request reference must be a short code")
        with self.db.write() as session:
            standing = standing_of(session, self.pathways, self.clock, self.rule, client_id)
            if standing.due(self.clock.today()):
                return remove_client(session, standing, self.rule, self.clock.now())
            refusal = ErasureRefused(standing, self.rule)
            session.add(
                RetentionTombstone(
                    client_id=client_id,
                    action="erasure_refused",
                    rule=self.rule.key,
                    legal_source=self.rule.legal_source,
                    closed_on=standing.closed_on,
                    due_on=None
                    if standing.kept_until is None
                    else standing.kept_until + timedelta(days=1),
                    detail={"request": request, "why": refusal.code},
                    occurred_at=self.clock.now(),
                )
            )
        raise refusal


class ErasureRefused(Exception):
    """An erasure request (GDPR art. 17) before the record is due: the law requires keeping it
    (art. 17(3)(b)). The refusal has been recorded."""

    def __init__(self, standing: Standing, rule: RetentionRule):
        self.standing = standing
        self.rule = rule
        if standing.kept_until is None:
            self.code = "relationship_open"
            when = "the client relationship has not closed; the period starts when it does"
        else:
            self.code = "retention_period"
            when = f"closed on {standing.closed_on}, kept until {standing.kept_until}"
        super().__init__(
            f"erasure refused for client {standing.client_id}: GDPR art. 17(3)(b), the record "
            f"must be kept {rule.years} years from the closing of the client relationship "
            f"({rule.legal_source}); {when}"
        )


def tombstones(session: Session, client_id: int | None = None) -> list[dict[str, Any]]:
    stmt = select(RetentionTombstone).order_by(RetentionTombstone.id)  # type: ignore[arg-type]
    if client_id is not None:
        stmt = stmt.where(RetentionTombstone.client_id == client_id)  # type: ignore[arg-type]
    return [t.model_dump() for t in session.execute(stmt).scalars()]


__all__ = [
    "DEFAULT_RULE",
    "ErasureRefused",
    "Removal",
    "Retention",
    "RetentionRule",
    "Standing",
    "rule_for",
]
