"""Hash chains over the append-only logs (tamper evidence), and ``polku db verify``'s check.

Every row of the event log, the access log and the disclosure log holds ``prev_hash``: the hash
of the previous row of its *stream*. A row's hash is SHA-256 over the previous hash and the row's
own columns (canonical JSON, without ``id`` and ``prev_hash``). Changing, removing or inserting a
row in the middle of a stream breaks the link of the row after it; changing or removing the
last row breaks the stream's stored head.

Streams are chosen so that concurrent writers never fork one:

- **events**: one stream per journey. The journey row holds the head (``journey.event_hash``);
  the transition's conditional UPDATE (on id, state and version) already serialises writers of
  one journey, and the head rides along in the same statement, so a transition costs no extra
  round trip.
- **access and disclosure logs**: one stream per client, its head in ``log_chain``. A writer
  upserts the head row first (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), which locks it
  until the transaction ends on PostgreSQL (SQLite has one writer at a time anyway), then
  inserts the rows and moves the head.

Retention removes a whole client's streams (their journeys and log heads), so other streams stay
intact; when it removes only the oldest rows of a stream, it records the last removed row's hash
as the stream's ``anchor``, which the oldest remaining row must link to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from engine.driver import DriverStatement, connection_of
from engine.models import AccessLog, Disclosure, Journey, JourneyEvent, LogChain

#: What the first row of a stream links to.
GENESIS = "0" * 64

_event_t: Table = JourneyEvent.__table__  # type: ignore[attr-defined]
_journey_t: Table = Journey.__table__  # type: ignore[attr-defined]
_access_t: Table = AccessLog.__table__  # type: ignore[attr-defined]
_disclosure_t: Table = Disclosure.__table__  # type: ignore[attr-defined]
_chain_t: Table = LogChain.__table__  # type: ignore[attr-defined]

#: The client-keyed streams: stream name -> table.
CLIENT_STREAMS: dict[str, Table] = {"access_log": _access_t, "disclosure": _disclosure_t}


def _fields(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.name not in {"id", "prev_hash"})


EVENT_FIELDS = _fields(_event_t)
_CLIENT_FIELDS = {name: _fields(t) for name, t in CLIENT_STREAMS.items()}


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_hash(prev_hash: str, fields: Sequence[str], row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash and the row's ``fields`` as canonical JSON."""
    body = json.dumps(
        [prev_hash, [[name, _canonical(row[name])] for name in fields]],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    return row_hash(prev_hash, EVENT_FIELDS, event)


# --- appending to a client's access or disclosure log --------------------------------------------


#: Client ids locked by one statement.
LOCK_BATCH = 5000


def _lock_heads(session: Session, stream: str, client_ids: Sequence[int]) -> dict[int, str]:
    """Lock the heads of ``client_ids``' streams (creating missing ones) and return them.

    ``ON CONFLICT DO UPDATE`` takes the row lock and returns the latest committed head even in
    READ COMMITTED, so a second writer of the same client waits here and then sees the first
    one's head. Ids are locked in ascending order (no deadlock between two listings)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        rows = _PG_LOCK_HEADS_FAST.all(
            connection_of(session),
            {"stream": stream, "cids": sorted(set(client_ids)), "genesis": GENESIS},
        )
        return {int(r[0]): str(r[1]) for r in rows}
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    ids = sorted(set(client_ids))
    heads: dict[int, str] = {}
    locked = (
        insert_fn(_chain_t)
        .on_conflict_do_update(
            index_elements=[_chain_t.c.stream, _chain_t.c.client_id],
            set_={"head": _chain_t.c.head},  # a no-op update: it takes the row lock
        )
        .returning(_chain_t.c.client_id, _chain_t.c.head)
    )
    # in batches, ascending: one statement's parameters stay within every database's limit
    # (PostgreSQL 65 535, SQLite 32 766; four a row) when an export lists 100 000 clients;
    # each batch an executemany (SQLAlchemy's "insertmanyvalues": the statement compiled once)
    for i in range(0, len(ids), LOCK_BATCH):
        values = [
            {"stream": stream, "client_id": cid, "head": GENESIS, "anchor": GENESIS}
            for cid in ids[i : i + LOCK_BATCH]
        ]
        heads.update((int(r[0]), str(r[1])) for r in session.execute(locked, values))
    return heads


#: :func:`_lock_heads` on PostgreSQL: one statement text for any number of clients, locking in
#: ascending id order.
_PG_LOCK_HEADS = text(
    "INSERT INTO log_chain (stream, client_id, head, anchor) "
    "SELECT :stream, c, :genesis, :genesis FROM unnest(CAST(:cids AS INTEGER[])) AS c ORDER BY c "
    "ON CONFLICT (stream, client_id) DO UPDATE SET head = log_chain.head "
    "RETURNING client_id, head"
)
_PG_LOCK_HEADS_FAST = DriverStatement(_PG_LOCK_HEADS)
_PG_APPEND: dict[str, TextClause] = {}
#: :func:`_pg_append`'s statements compiled once and sent on the driver's cursor (engine/driver.py):
#: SQLAlchemy's execution of a text() with a dozen array parameters cost more than the statement
_PG_APPEND_FAST: dict[str, DriverStatement] = {}


def _pg_append(stream: str, dialect: Dialect) -> TextClause:
    """The rows of ``stream`` (column arrays ``:c0``...) and the new heads in one statement."""
    found = _PG_APPEND.get(stream)
    if found is None:
        table = CLIENT_STREAMS[stream]
        columns = (*_CLIENT_FIELDS[stream], "prev_hash")
        arrays = ", ".join(
            f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])"
            for i, name in enumerate(columns)
        )
        # table and column names from our own models, never input: no injection vector
        found = _PG_APPEND[stream] = text(
            f"WITH new_rows AS (INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT * FROM unnest({arrays}) RETURNING id) "
            "UPDATE log_chain SET head = v.head "
            "FROM unnest(CAST(:cids AS INTEGER[]), CAST(:heads AS VARCHAR[])) "
            "AS v(client_id, head) "
            "WHERE log_chain.stream = :stream AND log_chain.client_id = v.client_id "
            "RETURNING (SELECT min(id) FROM new_rows)"
        )
    return found


_MOVE_HEAD = (
    update(_chain_t)
    .where(
        _chain_t.c.stream == bindparam("b_stream"),
        _chain_t.c.client_id == bindparam("b_client_id"),
    )
    .values(head=bindparam("b_head"))
)


def append(session: Session, stream: str, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into the client-keyed log ``stream`` with their links; return the new id
    of a single row (none for several).

    Every row needs all the stream's columns except ``id`` and ``prev_hash``."""
    if not rows:
        return []
    table = CLIENT_STREAMS[stream]
    fields = _CLIENT_FIELDS[stream]
    heads = _lock_heads(session, stream, [int(r["client_id"]) for r in rows])
    linked = []
    for row in rows:
        cid = int(row["client_id"])
        full = {name: row.get(name) for name in fields}
        full["prev_hash"] = heads[cid]
        heads[cid] = row_hash(heads[cid], fields, full)
        linked.append(full)
    ids: list[int] = []
    if session.get_bind().dialect.name == "postgresql":
        # The rows and the heads in one statement: the INSERT as a data-modifying CTE of the
        # heads' UPDATE, every column as one array parameter (one round trip instead of two,
        # and one statement text whatever the number of rows: nothing to build or compile per
        # call; measured in docs/architecture.md, "Request cost").
        columns = (*fields, "prev_hash")
        params: dict[str, Any] = {
            f"c{i}": [r[name] for r in linked] for i, name in enumerate(columns)
        }
        params.update(stream=stream, cids=list(heads), heads=list(heads.values()))
        fast = _PG_APPEND_FAST.get(stream)
        if fast is None:
            fast = _PG_APPEND_FAST[stream] = DriverStatement(
                _pg_append(stream, session.get_bind().dialect)
            )
        returned = fast.first(connection_of(session), params)
        first = returned[0] if returned is not None else None
        if len(linked) == 1 and first is not None:
            ids.append(int(first))
        return ids
    if len(linked) == 1:
        result = session.execute(insert(table).returning(table.c.id), linked[0])
        ids.append(int(result.scalar_one()))
    else:  # one executemany; a listing needs no ids (RETURNING would cost a statement a row)
        session.execute(insert(table), linked)
    session.execute(
        _MOVE_HEAD,
        [{"b_stream": stream, "b_client_id": cid, "b_head": h} for cid, h in heads.items()],
    )
    return ids


# --- verify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """The first row of one stream whose link does not hold (or a head that does not match)."""

    table: str
    row_id: int | None
    stream: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.table} row {self.row_id}" if self.row_id is not None else self.table
        return f"{where} ({self.stream}): {self.problem}"


@dataclass
class ChainReport:
    rows: int
    streams: int
    broken: list[Broken]

    @property
    def ok(self) -> bool:
        return not self.broken


def _walk(
    rows: Iterable[Any],
    key: str,
    fields: Sequence[str],
    table: str,
    anchors: Mapping[Any, str],
    heads: Mapping[Any, str],
    label: str,
) -> Iterator[tuple[int, Broken | None, Any]]:
    """Walk rows ordered by stream key: yield (rows seen, first break or None, stream) per
    stream."""
    current: Any = object()
    expected = GENESIS
    broken: Broken | None = None
    n = 0
    before: int | None = None
    for row in rows:
        m = row._mapping
        stream = m[key]
        if stream != current:
            if n:
                yield n, _close(broken, heads, current, expected, table, label, before), current
            current, expected, broken, n = stream, anchors.get(stream, GENESIS), None, 0
            before = None
        n += 1
        if broken is None and m["prev_hash"] != expected:
            problem = (
                "does not link to the start of its stream (this row was changed, or rows "
                "before it removed)"
                if before is None
                else f"does not link to row {before} before it (row {before} or this row was "
                "changed, or a row between removed)"
            )
            broken = Broken(table, int(m["id"]), f"{label} {stream}", problem)
        expected = row_hash(m["prev_hash"], fields, m)
        before = int(m["id"])
    if n:
        yield n, _close(broken, heads, current, expected, table, label, before), current


def _close(
    broken: Broken | None,
    heads: Mapping[Any, str],
    stream: Any,
    last_hash: str,
    table: str,
    label: str,
    last_id: int | None,
) -> Broken | None:
    if broken is not None:
        return broken
    head = heads.get(stream)
    if head != last_hash:
        return Broken(
            table,
            last_id,
            f"{label} {stream}",
            "is the last row and does not match the stream's head (it was changed, or rows "
            "after it removed)",
        )
    return None


def verify_chains(session: Session) -> ChainReport:
    """Recompute every stream's chain; report the first broken row of each broken stream."""
    broken: list[Broken] = []
    total = streams = 0
    heads = {r[0]: r[1] for r in session.execute(select(_journey_t.c.id, _journey_t.c.event_hash))}
    events = session.execute(
        select(_event_t).order_by(_event_t.c.journey_id, _event_t.c.seq),
        execution_options={"yield_per": 2000},
    )
    seen: set[Any] = set()
    for n, problem, stream in _walk(
        events, "journey_id", EVENT_FIELDS, "journey_event", {}, heads, "journey"
    ):
        total, streams = total + n, streams + 1
        seen.add(stream)
        if problem is not None:
            broken.append(problem)
    for jid, head in heads.items():
        if jid not in seen and head not in ("", GENESIS):
            broken.append(Broken("journey", jid, f"journey {jid}", "its events are missing"))
    for name, table in CLIENT_STREAMS.items():
        chain_rows = session.execute(
            select(_chain_t.c.client_id, _chain_t.c.head, _chain_t.c.anchor).where(
                _chain_t.c.stream == name
            )
        ).all()
        log_heads = {r[0]: r[1] for r in chain_rows}
        anchors = {r[0]: r[2] for r in chain_rows}
        rows = session.execute(
            select(table).order_by(table.c.client_id, table.c.id),
            execution_options={"yield_per": 2000},
        )
        seen = set()
        for n, problem, stream in _walk(
            rows, "client_id", _CLIENT_FIELDS[name], name, anchors, log_heads, "client"
        ):
            total, streams = total + n, streams + 1
            seen.add(stream)
            if problem is not None:
                broken.append(problem)
        for cid, head in log_heads.items():
            if cid not in seen and head != anchors[cid]:
                broken.append(
                    Broken(name, None, f"client {cid}", "every row of the stream is missing")
                )
    return ChainReport(rows=total, streams=streams, broken=broken)


def relink_all(connection: Any) -> None:
    """Compute every chain from scratch (the migration that introduces them, for rows already
    present). Runs as the owner with the append-only triggers off."""
    from sqlalchemy import text

    def rows_of(table: Table, order: Sequence[Any]) -> list[Any]:
        return list(connection.execute(select(table).order_by(*order)).mappings())

    last: dict[Any, str] = {}
    for m in rows_of(_event_t, [_event_t.c.journey_id, _event_t.c.seq]):
        prev = last.get(m["journey_id"], GENESIS)
        if m["prev_hash"] != prev:
            connection.execute(
                update(_event_t).where(_event_t.c.id == m["id"]).values(prev_hash=prev)
            )
        last[m["journey_id"]] = row_hash(prev, EVENT_FIELDS, {**m, "prev_hash": prev})
    for jid, head in last.items():
        connection.execute(update(_journey_t).where(_journey_t.c.id == jid).values(event_hash=head))
    connection.execute(text("DELETE FROM log_chain"))
    for name, table in CLIENT_STREAMS.items():
        heads: dict[Any, str] = {}
        for m in rows_of(table, [table.c.client_id, table.c.id]):
            prev = heads.get(m["client_id"], GENESIS)
            if m["prev_hash"] != prev:
                connection.execute(
                    update(table).where(table.c.id == m["id"]).values(prev_hash=prev)
                )
            heads[m["client_id"]] = row_hash(prev, _CLIENT_FIELDS[name], {**m, "prev_hash": prev})
        for cid, head in heads.items():
            connection.execute(
                insert(_chain_t).values(stream=name, client_id=cid, head=head, anchor=GENESIS)
            )


@dataclass
class Verification:
    """What ``polku db verify`` found: projection mismatches and broken chains, with counts."""

    rows: int
    streams: int
    journeys: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_database(session: Session) -> Verification:
    """Every journey agrees with its event log (engine/integrity.py) and every hash chain holds."""
    from engine.integrity import verify_journeys

    mismatches = verify_journeys(session)
    report = verify_chains(session)
    journeys = session.execute(select(_journey_t.c.id).order_by(None)).all()
    problems = [f"journey {m.journey_id}: {m.problem}" for m in mismatches]
    problems += [str(b) for b in report.broken]
    return Verification(report.rows, report.streams, len(journeys), problems)
