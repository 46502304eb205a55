"""Polku's ``advance()`` against its peers on the same journey, persisted in SQLite (issue 16).

Every side walks the same 8-step client journey (engage, start_assessment, set_goals,
start_individual_work, start_group_work, finish_group_work, pause, resume) for
``POLKU_BENCH_JOURNEYS`` (200) journeys, one transaction per step, interleaved journey by
journey so machine noise hits every side alike:

- **Polku**: ``Journeys.advance`` on one Core connection, ``runtime.db.write_connection()``
  (guards: participation consent, working age, a described GAS goal; every verdict stored with
  the event);
- **python-statemachine**: a machine bound to the row's state, the same three guards as
  conditions, then the same conditional UPDATE and event INSERT;
- **SpiffWorkflow**: the workflow deserialised from the row, the next task run, serialised back
  (how a Spiff workflow is persisted), the same guards, UPDATE and INSERT;
- **floor**: the same SQL and guards with a dict lookup for the next state.

Then a looping journey (pause, resume) of ``POLKU_BENCH_LOOP`` (500) steps on Polku and Spiff:
the time per step at the start and at the end, as a multiple of the floor.

The peers are optional: ``pip install -e '.[bench]'`` (``make bench`` installs them). Both SQLite
databases run with WAL and ``synchronous=NORMAL``, writes with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from engine.goals import LEVEL_FIELDS
from engine.migrate import upgrade
from engine.models import Client, GasGoal
from engine.runtime import Runtime
from engine.settings import Environment, Settings

STEPS = (
    ("engage", "outreach", "engaged"),
    ("start_assessment", "engaged", "assessment"),
    ("set_goals", "assessment", "goal_setting"),
    ("start_individual_work", "goal_setting", "individual_work"),
    ("start_group_work", "individual_work", "group_and_individual_work"),
    ("finish_group_work", "group_and_individual_work", "individual_work"),
    ("pause", "individual_work", "paused"),
    ("resume", "paused", "individual_work"),
)
NEXT = {(trigger, source): dest for trigger, source, dest in STEPS}
LOOP = (("pause", "individual_work", "paused"), ("resume", "paused", "individual_work"))
BIRTH = date(1995, 5, 17)

PEER_SCHEMA = """
CREATE TABLE client (id INTEGER PRIMARY KEY, birth_date TEXT, consent_at TEXT);
CREATE TABLE goal (id INTEGER PRIMARY KEY, client_id INTEGER, l_minus2 TEXT, l_minus1 TEXT,
                   l_zero TEXT, l_plus1 TEXT, l_plus2 TEXT);
CREATE INDEX ix_goal_client ON goal (client_id);
CREATE TABLE journey (id INTEGER PRIMARY KEY, client_id INTEGER, state TEXT, version INTEGER,
                      doc TEXT);
CREATE TABLE journey_event (id INTEGER PRIMARY KEY, journey_id INTEGER, seq INTEGER,
                            trigger TEXT, from_state TEXT, to_state TEXT, occurred_at TEXT,
                            verdicts TEXT, UNIQUE (journey_id, seq));
"""


# --- the shared guards and persistence of the peers and the floor -----------------------------


class PeerStore:
    """One SQLite connection with the pragmas Polku uses; rows of ``journey`` carry a ``doc``."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.executescript(PEER_SCHEMA)

    def new_journey(self, doc: str = "") -> int:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "INSERT INTO client (birth_date, consent_at) VALUES (?, ?)",
            (BIRTH.isoformat(), datetime.now(UTC).isoformat()),
        )
        client_id = cur.lastrowid
        cur.execute(
            "INSERT INTO goal (client_id, l_minus2, l_minus1, l_zero, l_plus1, l_plus2) "
            "VALUES (?, 'a', 'b', 'c', 'd', 'e')",
            (client_id,),
        )
        cur.execute(
            "INSERT INTO journey (client_id, state, version, doc) VALUES (?, 'outreach', 1, ?)",
            (client_id, doc),
        )
        journey_id = cur.lastrowid
        cur.execute("COMMIT")
        assert journey_id is not None
        return journey_id

    def guards(self, cur: sqlite3.Cursor, trigger: str, client: tuple[Any, ...]) -> list[dict]:
        """The verdicts Polku's guards give on this step, computed the same way."""
        client_id, birth, consent = client
        verdicts = []
        if trigger == "engage":
            age = (date.today() - date.fromisoformat(birth)).days // 365
            verdicts.append({"rule": "participation_consent", "allowed": consent is not None})
            verdicts.append({"rule": "working_age", "allowed": 15 <= age <= 64})
        elif trigger == "set_goals":
            described = cur.execute(
                "SELECT EXISTS (SELECT 1 FROM goal WHERE client_id = ? AND l_minus2 <> '' "
                "AND l_minus1 <> '' AND l_zero <> '' AND l_plus1 <> '' AND l_plus2 <> '')",
                (client_id,),
            ).fetchone()[0]
            verdicts.append({"rule": "gas_goals_described", "allowed": bool(described)})
        return verdicts

    def step(self, journey_id: int, trigger: str, fire: Callable[[str, str, str], tuple[str, str]]):
        """BEGIN IMMEDIATE; read the journey with its client; ``fire(state, doc, trigger)`` gives
        the next state and doc; the conditional UPDATE and the event INSERT; COMMIT."""
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            state, version, doc, client_id, birth, consent = cur.execute(
                "SELECT j.state, j.version, j.doc, c.id, c.birth_date, c.consent_at "
                "FROM journey j JOIN client c ON c.id = j.client_id WHERE j.id = ?",
                (journey_id,),
            ).fetchone()
            verdicts = self.guards(cur, trigger, (client_id, birth, consent))
            if not all(v["allowed"] for v in verdicts):
                raise RuntimeError(f"{trigger} blocked")
            dest, new_doc = fire(state, doc, trigger)
            now = datetime.now(UTC).isoformat()
            cur.execute(
                "UPDATE journey SET state = ?, version = ?, doc = ? "
                "WHERE id = ? AND state = ? AND version = ?",
                (dest, version + 1, new_doc, journey_id, state, version),
            )
            if cur.rowcount != 1:
                raise RuntimeError("conflict")
            cur.execute(
                "INSERT INTO journey_event (journey_id, seq, trigger, from_state, to_state, "
                "occurred_at, verdicts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (journey_id, version + 1, trigger, state, dest, now, json.dumps(verdicts)),
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise


def floor_fire(state: str, doc: str, trigger: str) -> tuple[str, str]:
    return NEXT.get((trigger, state)) or {"pause": "paused", "resume": "individual_work"}[
        trigger
    ], doc


# --- python-statemachine ----------------------------------------------------------------------


def statemachine_fire() -> Callable[[str, str, str], tuple[str, str]]:
    from statemachine import State, StateMachine

    class ClientJourney(StateMachine):  # the bench's part of the client journey
        outreach = State(initial=True)
        engaged = State()
        assessment = State()
        goal_setting = State()
        individual_work = State()
        group_and_individual_work = State()
        paused = State()

        engage = outreach.to(engaged)
        start_assessment = engaged.to(assessment)
        set_goals = assessment.to(goal_setting)
        start_individual_work = goal_setting.to(individual_work)
        start_group_work = individual_work.to(group_and_individual_work)
        finish_group_work = group_and_individual_work.to(individual_work)
        pause = individual_work.to(paused)
        resume = paused.to(individual_work)

    class Row:
        def __init__(self, state: str) -> None:
            self.state = state

    def fire(state: str, doc: str, trigger: str) -> tuple[str, str]:
        row = Row(state)
        machine = ClientJourney(model=row, state_field="state")
        machine.send(trigger)
        return row.state, doc

    return fire


# --- SpiffWorkflow ----------------------------------------------------------------------------


def spiff_parts(loop: bool = False) -> tuple[Any, Any]:
    """A Spiff workflow spec of manual tasks, one per trigger; ``loop``: the first four steps,
    then pause and resume round and round (an exclusive choice leads back to pause)."""
    from SpiffWorkflow.operators import Attrib, Equal
    from SpiffWorkflow.serializer.json import JSONSerializer
    from SpiffWorkflow.specs.ExclusiveChoice import ExclusiveChoice
    from SpiffWorkflow.specs.Simple import Simple
    from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec

    spec = WorkflowSpec("client_journey", addstart=True)
    previous = spec.start
    steps = STEPS[:4] + LOOP if loop else STEPS
    tasks = []
    for trigger, _source, _dest in steps:
        task = Simple(spec, trigger)
        task.manual = True
        previous.connect(task)
        previous = task
        tasks.append(task)
    if loop:
        again = ExclusiveChoice(spec, "again")
        tasks[-1].connect(again)
        again.connect_if(Equal(Attrib("closed"), True), Simple(spec, "closed"))
        again.connect(tasks[-2])  # by default resume leads to the next pause
    return spec, JSONSerializer()


def spiff_new_doc(spec: Any, serializer: Any) -> str:
    from SpiffWorkflow.workflow import Workflow

    workflow = Workflow(spec)
    workflow.run_all(halt_on_manual=True)
    return str(serializer.serialize_workflow(workflow))


def spiff_fire(serializer: Any) -> Callable[[str, str, str], tuple[str, str]]:
    from SpiffWorkflow.util.task import TaskState

    dests = {trigger: dest for trigger, _source, dest in STEPS}

    def fire(state: str, doc: str, trigger: str) -> tuple[str, str]:
        workflow = serializer.deserialize_workflow(doc)
        ready = [
            t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == trigger
        ]
        if not ready:
            raise RuntimeError(f"{trigger} not ready")
        ready[0].run()
        workflow.run_all(halt_on_manual=True)
        return dests[trigger], str(serializer.serialize_workflow(workflow))

    return fire


# --- Polku ------------------------------------------------------------------------------------


def polku_runtime(path: Path) -> Runtime:
    url = f"sqlite:///{path}"
    upgrade(url)
    return Runtime(
        Settings(database_url=url, environment=Environment.production, sqlite_synchronous="NORMAL")
    )


def polku_journey(runtime: Runtime) -> int:
    now = datetime.now(UTC)
    with runtime.db.write() as session:
        client = Client(
            first_name="Bench",
            last_name="Client",
            birth_date=BIRTH,
            municipality_code="261",
            participation_consent_at=now,
        )
        session.add(client)
        session.flush()
        assert client.id is not None
        goal = GasGoal(client_id=client.id, goal="Tavoite", baseline=-1)
        for field in LEVEL_FIELDS.values():  # all five levels described
            setattr(goal, field, f"taso {field}")
        session.add(goal)
        journey = runtime.journeys.start(
            session, client_id=client.id, pathway_key="client_journey", actor_id=None
        )
        assert journey.id is not None
        return journey.id


def polku_step(runtime: Runtime) -> Callable[[int, str], None]:
    def step(journey_id: int, trigger: str) -> None:
        with runtime.db.write_connection() as conn:  # one Core connection, no ORM session
            runtime.journeys.advance(
                conn,
                journey_id,
                trigger,
                actor_id=None,
                reason="bench" if trigger == "pause" else None,
            )

    return step


# --- the run ----------------------------------------------------------------------------------


def walk(sides: dict[str, tuple[Callable[[], int], Callable[[int, str], None]]], n: int) -> dict:
    samples: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for i in range(n):
        order = names if i % 2 == 0 else list(reversed(names))
        for name in order:
            new, step = sides[name]
            journey_id = new()
            start = time.perf_counter()
            for trigger, _source, _dest in STEPS:
                step(journey_id, trigger)
            samples[name].append((time.perf_counter() - start) / len(STEPS))
    return {name: statistics.median(values) * 1e6 for name, values in samples.items()}


def loop_profile(
    sides: dict[str, tuple[Callable[[], int], Callable[[int, str], None]]], steps: int
) -> dict[str, tuple[float, float]]:
    """µs per step over the first and the last 50 steps of a pause/resume loop."""
    out = {}
    window = 50
    for name, (new, step) in sides.items():
        journey_id = new()
        for trigger in ("engage", "start_assessment", "set_goals", "start_individual_work"):
            step(journey_id, trigger)
        times = []
        for k in range(steps):
            trigger = LOOP[k % 2][0]
            start = time.perf_counter()
            step(journey_id, trigger)
            times.append(time.perf_counter() - start)
        out[name] = (
            statistics.median(times[:window]) * 1e6,
            statistics.median(times[-window:]) * 1e6,
        )
    return out


def main() -> None:
    n = int(os.environ.get("POLKU_BENCH_JOURNEYS", "200"))
    loop_steps = int(os.environ.get("POLKU_BENCH_LOOP", "500"))
    try:
        fire_psm = statemachine_fire()
        spec, serializer = spiff_parts()
        loop_spec, _ = spiff_parts(loop=True)
    except ImportError as missing:
        print(f"peers: {missing.name} is not installed (pip install -e '.[bench]'); skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        runtime = polku_runtime(Path(tmp) / "polku.db")
        store = PeerStore(Path(tmp) / "peers.db")
        fire_spiff = spiff_fire(serializer)
        sides = {
            "Polku advance()": (lambda: polku_journey(runtime), polku_step(runtime)),
            "python-statemachine": (
                store.new_journey,
                lambda j, t: store.step(j, t, fire_psm),
            ),
            "SpiffWorkflow": (
                lambda: store.new_journey(spiff_new_doc(spec, serializer)),
                lambda j, t: store.step(j, t, fire_spiff),
            ),
            "raw SQL floor": (store.new_journey, lambda j, t: store.step(j, t, floor_fire)),
        }
        walk(sides, max(5, n // 20))  # warm up
        medians = walk(sides, n)
        floor = medians["raw SQL floor"]
        polku = medians["Polku advance()"]
        print(
            f"\nThe 8-step client journey persisted in SQLite (WAL, synchronous NORMAL), "
            f"median µs per step over {n} journeys each, interleaved, one run:"
        )
        print(f"{'system':<22} {'µs/step':>9} {'x floor':>8} {'Polku is':>10}")
        for name, us in medians.items():
            faster = "" if name == "Polku advance()" else f"{us / polku:9.2f}x"
            print(f"{name:<22} {us:9.0f} {us / floor:8.2f} {faster:>10}")
        ratio = medians["python-statemachine"] / polku
        print(
            f"Polku vs python-statemachine: {ratio:.2f}x faster; target >= 3x: "
            f"{'ok' if ratio >= 3 else 'NOT MET'}"
        )
        loop_sides = {
            "Polku advance()": sides["Polku advance()"],
            "SpiffWorkflow": (
                lambda: store.new_journey(spiff_new_doc(loop_spec, serializer)),
                lambda j, t: store.step(j, t, fire_spiff),
            ),
            "raw SQL floor": sides["raw SQL floor"],
        }
        # Spiff's task tree deepens with every round of the loop, and its serialiser recurses
        # through it
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * loop_steps + 1000))
        profile = loop_profile(loop_sides, loop_steps)
        loop_floor = statistics.mean(profile["raw SQL floor"])
        print(f"\nA looping journey (pause, resume) of {loop_steps} steps, µs per step:")
        print(f"{'system':<22} {'first 50':>9} {'last 50':>9} {'last x floor':>13}")
        for name, (first, last) in profile.items():
            print(f"{name:<22} {first:9.0f} {last:9.0f} {last / loop_floor:13.1f}")
        runtime.close()
        store.conn.close()


if __name__ == "__main__":
    main()
