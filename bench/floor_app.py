"""The HTTP floor of ``bench/http.py``: what FastAPI and PostgreSQL cost for Polku's own SQL.

A FastAPI app served by the same uvicorn as Polku, whose routes send byte for byte the SQL that
Polku sends for the same request, on plain psycopg connections (one per thread, no pool, no
SQLAlchemy, no ORM, no Jinja environment work beyond one small template), with the least Python
in between that still does the request's work:

- ``POST /floor/journeys/{id}/advance`` (API token): the token's statement (autocommit), BEGIN,
  the journey's client and its grants, the journey with its client, the previous state (resume),
  the UPDATE with the event INSERT, the access-log head lock and append, COMMIT, a JSON answer.
  The event and the access-log row are hashed and chained by Polku's own functions
  (``chain.event_hash``, ``chain.row_hash``), so each request writes what a Polku request writes.
- ``GET /floor/clients`` (session cookie): the session's statement, BEGIN, the caseload's count
  and listing (the statements Polku built for the benchmark coach, captured once at start), the
  access-log head lock and append for the 25 clients, COMMIT, and the 25 rows rendered by a
  one-loop template.

The statements are compiled from the engine's own statement objects (``engine/journeys.py``,
``engine/auth.py``, ``engine/access.py``, ``engine/chain.py``), or captured from the engine's
caseload call, so the floor and Polku send the same SQL. What the floor leaves out is Polku's
Python: dependency resolution, the session and transaction machinery, the access rules' and the
state machine's objects, the page's template and i18n. The floor is not an app: it checks no
rule the engine checks (the trigger is taken as given; a wrong one fails in the database or is
answered 409).

Environment: ``FLOOR_DATABASE_URL`` (a psycopg URL), ``FLOOR_COACH_ID``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql
from sqlmodel import col

from engine import access, auth, chain, journeys
from engine.access import Principal, What
from engine.models import Role

_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_URL = os.environ.get("FLOOR_DATABASE_URL", "")
_COACH_ID = int(os.environ.get("FLOOR_COACH_ID", "0") or 0)


def _sql(statement: Any) -> str:
    return str(statement.compile(dialect=_DIALECT).string)


def _fixed(statement: Any) -> dict[str, Any]:
    """The statement's own bound values (a LIMIT, a constant it compares with)."""
    compiled = statement.compile(dialect=_DIALECT)
    return {k: v for k, v in compiled.params.items() if v is not None}


TOKEN_SQL = _sql(auth._TOKEN_OF)
SESSION_SQL = _sql(auth._SESSION_OF)
LOAD_SQL = _sql(journeys._LOAD)
PREVIOUS_SQL = _sql(journeys._PREVIOUS)
PREVIOUS_FIXED = _fixed(journeys._PREVIOUS)
MOVE_AND_RECORD_SQL = _sql(journeys._MOVE_AND_RECORD)
LOCK_HEADS_SQL = _sql(chain._PG_LOCK_HEADS)
APPEND_SQL = _sql(chain._pg_append("access_log", _DIALECT))
ACCESS_FIELDS = (*chain._CLIENT_FIELDS["access_log"], "prev_hash")
EVENT_KEYS = journeys._EVENT_KEYS


_local = threading.local()


def _conn() -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg.connect(
            _URL, autocommit=True, options="-c jit=off", prepare_threshold=5
        )
    return conn


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _append_accesses(
    cur: psycopg.Cursor[Any], user: tuple[Any, ...], client_ids: list[int], what: str
) -> None:
    """Lock the clients' access-log heads and append one chained row each (Polku's two
    statements)."""
    ids = sorted(set(client_ids))
    cur.execute(LOCK_HEADS_SQL, {"stream": "access_log", "cids": ids, "genesis": chain.GENESIS})
    heads = {int(r[0]): str(r[1]) for r in cur.fetchall()}
    now = datetime.now(UTC)
    rows = []
    for cid in ids:
        row = {
            "occurred_at": now,
            "user_id": user[0],
            "organisation_id": user[2],
            "client_id": cid,
            "what": what,
            "basis": "care_team",
            "prev_hash": heads[cid],
        }
        heads[cid] = chain.row_hash(heads[cid], chain._CLIENT_FIELDS["access_log"], row)
        rows.append(row)
    params: dict[str, Any] = {
        f"c{i}": [r[name] for r in rows] for i, name in enumerate(ACCESS_FIELDS)
    }
    params.update(stream="access_log", cids=list(heads), heads=list(heads.values()))
    cur.execute(APPEND_SQL, params)


app = FastAPI()
_CASELOAD: list[tuple[str, Any]] = []
_TEMPLATE = Environment(autoescape=True).from_string(
    "<!doctype html><html lang=fi><title>Asiakkaat</title><table><tbody>"
    '{% for r in rows %}<tr><th><a href="/clients/{{ r[0] }}">{{ r[2] }}, {{ r[1] }}</a></th>'
    "<td>{{ r[5] or '' }}</td><td>{{ r[3] }}</td><td>{{ r[6] or '' }}</td>"
    "<td>{{ r[7] or '' }}</td></tr>{% endfor %}</tbody></table></html>"
)


class AdvanceBody(BaseModel):
    trigger: str
    reason: str | None = None


def _user(cur: psycopg.Cursor[Any], statement: str, secret: str) -> tuple[Any, Any, Any]:
    """The user (id, role, organisation) of a token or session, by Polku's own statement."""
    cur.execute(statement, {"token_hash": _digest(secret)})
    found = cur.fetchone()
    if found is None:
        raise HTTPException(401)
    return found[3], found[4], found[5]


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.post("/floor/journeys/{journey_id}/advance")
def advance(journey_id: int, body: AdvanceBody, request: Request) -> dict[str, Any]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    cur = _conn().cursor()
    user_id, role, organisation_id = _user(cur, TOKEN_SQL, token)
    principal = Principal(user_id, Role(role), organisation_id)
    # access.authorise_journey's own statement (built and compiled once per user and day there)
    policy = access._journey_check(principal, What.advance, date.today())._compile(_DIALECT)
    cur.execute("BEGIN")
    try:
        cur.execute(policy.sql, {**policy.fixed, "journey_id": journey_id})
        allowed = cur.fetchone()
        if allowed is None or not any(allowed[1:]):
            raise HTTPException(403)
        client_id = int(allowed[0])
        cur.execute(LOAD_SQL, {"journey_id": journey_id})
        journey = cur.fetchone()
        if journey is None:
            raise HTTPException(404)
        names = [d.name for d in cur.description or ()]
        loaded = dict(zip(names, journey, strict=False))
        state, version = loaded["state"], loaded["version"]
        if body.trigger == "pause":
            dest = "paused"
        else:
            cur.execute(PREVIOUS_SQL, {**PREVIOUS_FIXED, "journey_id": journey_id, "state": state})
            previous = cur.fetchone()
            dest = previous[0] if previous else "engaged"
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "journey_id": journey_id,
            "seq": version + 1,
            "occurred_at": now,
            "actor_id": user_id,
            "trigger": body.trigger,
            "from_state": state,
            "to_state": dest,
            "pathway_version": loaded["pathway_version"],
            "reason": body.reason,
            "outcome": None,
            "verdicts": [],
            "prev_hash": loaded["event_hash"],
        }
        head = chain.event_hash(loaded["event_hash"], values)
        params = {
            **values,
            "verdicts": json.dumps([]),
            "old_state": state,
            "old_version": version,
            "new_state": dest,
            "new_version": version + 1,
            "now": now,
            "new_pathway_version": loaded["pathway_version"],
            "event_hash": head,
            "furthest_stage": loaded["furthest_stage"],
        }
        cur.execute(MOVE_AND_RECORD_SQL, params)
        if cur.fetchone() is None:
            raise HTTPException(409)
        _append_accesses(cur, (user_id, role, organisation_id), [client_id], "advance")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return {"journey_id": journey_id, "state": dest, "version": version + 1}


@app.get("/floor/clients", response_class=HTMLResponse)
def caseload(request: Request) -> str:
    cookie = next(iter(request.cookies.values()), "")
    cur = _conn().cursor()
    user = _user(cur, SESSION_SQL, cookie)
    cur.execute("BEGIN")
    try:
        (count_sql, count_params), (list_sql, list_params) = _CASELOAD
        cur.execute(count_sql, count_params)
        total = cur.fetchone()
        cur.execute(list_sql, list_params)
        rows = cur.fetchall()
        _append_accesses(cur, user, [int(r[0]) for r in rows], "caseload")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return _TEMPLATE.render(rows=rows, total=total)


def _capture_caseload() -> None:
    """The two statements (and their parameters) of the benchmark coach's caseload, as the
    engine builds them for the page (the runtime's flags): run it once and keep what it sent."""
    from engine.caseload import CaseloadQuery
    from engine.caseload import caseload as engine_caseload
    from engine.models import User
    from engine.runtime import Runtime
    from engine.settings import Environment, Settings

    sent: list[tuple[str, Any]] = []
    url = _URL.replace("postgresql://", "postgresql+psycopg://", 1)
    runtime = Runtime(Settings(database_url=url, environment=Environment.demo))

    @event.listens_for(runtime.db.engine, "before_cursor_execute")
    def _keep(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with runtime.db.read() as session:
        user = session.execute(
            select(col(User.role), col(User.organisation_id)).where(col(User.id) == _COACH_ID)
        ).one()
        principal = Principal(_COACH_ID, Role(user[0]), user[1])
        engine_caseload(
            session, principal, CaseloadQuery(), runtime.clock.today(), flags=runtime.caseload_flags
        )
    runtime.close()
    _CASELOAD[:] = sent[-2:]


if _URL:
    _capture_caseload()
