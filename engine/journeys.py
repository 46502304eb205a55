"""Starting and advancing journeys: the one code path every transition goes through.

``advance`` runs inside the caller's write transaction:

1. read the journey (and its client, for the guards) in one SELECT;
2. check ``expected_version``; ask the shared machine for the trigger from the current state,
   evaluating every guard of the transition and every plugin's ``polku_check_transition``;
3. ``UPDATE journey SET state, version+1 WHERE id AND state AND version`` -- rowcount 0 means
   someone else won (Conflict);
4. INSERT the event (``seq`` = the new version, UNIQUE per journey) with every verdict;
5. after COMMIT (never on rollback) call ``polku_after_transition``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pluggy
from pydantic import Field, field_validator
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col

from engine.bounds import MAX_INT
from engine.chain import GENESIS, event_hash
from engine.clock import Clock
from engine.db import Database, after_commit
from engine.driver import DriverStatement
from engine.driver import connection_of as _connection
from engine.errors import (
    Conflict,
    GuardRejected,
    InputRequired,
    InvalidTransition,
    MovedElsewhere,
    NotFound,
)
from engine.guards import GuardContext, GuardRegistry, Verdict, verdicts_of
from engine.inputs import Input, blank_is_none
from engine.models import Client, Journey, JourneyEvent
from engine.pathway import (
    RESERVED_TRIGGERS,
    Attempt,
    Pathway,
    PathwayRegistry,
    TransitionDef,
    furthest,
)
from engine.plugins import ask_each
from engine.views import ClientView, EventView, JourneyView

log = logging.getLogger("polku.journeys")

START_TRIGGER = "start"
MIGRATE_TRIGGER = "migrate_version"
assert {START_TRIGGER, MIGRATE_TRIGGER} == RESERVED_TRIGGERS
REASON_MAX = 2000

_journey_t = Journey.__table__  # type: ignore[attr-defined]
_client_t = Client.__table__  # type: ignore[attr-defined]
_event_t = JourneyEvent.__table__  # type: ignore[attr-defined]

# The hot path's statements, built once: SQLAlchemy then reuses their cache keys and compiled
# forms, and no ORM instance is built per transition.
_N_JOURNEY = len(JourneyView.field_names())
_LOAD = (
    select(
        *(_journey_t.c[n] for n in JourneyView.field_names()),
        *(_client_t.c[n] for n in ClientView.field_names()),
    )
    .join_from(_journey_t, _client_t, _journey_t.c.client_id == _client_t.c.id)
    .where(_journey_t.c.id == bindparam("journey_id"))
    # No FOR SHARE on the client row: the rules read a snapshot taken inside the transaction.
    # The inputs that matter across requests (a referral's consent) live in their own tables and
    # are checked where they are used; a row lock here would cost a WAL record per transition.
)
_MOVE = (
    update(_journey_t)
    .where(
        _journey_t.c.id == bindparam("journey_id"),
        _journey_t.c.state == bindparam("old_state"),
        _journey_t.c.version == bindparam("old_version"),
    )
    .values(
        state=bindparam("new_state"),
        version=bindparam("new_version"),
        updated_at=bindparam("now"),
        pathway_version=bindparam("new_pathway_version"),
        event_hash=bindparam("event_hash"),
        furthest_stage=bindparam("furthest_stage"),
    )
)
_RECORD = insert(_event_t)
_EVENT_KEYS = [c.name for c in _event_t.columns if c.name != "id"]
# PostgreSQL: the conditional UPDATE and the event INSERT in one statement (one round trip
# instead of two). The INSERT takes its journey id from the UPDATE's RETURNING, so when the
# UPDATE matched no row (another coach won) nothing is inserted and no row comes back.
_MOVED = _MOVE.returning(_journey_t.c.id).cte("moved")
_MOVE_AND_RECORD = (
    insert(_event_t)
    .from_select(
        _EVENT_KEYS,
        select(
            *(
                _MOVED.c.id
                if name == "journey_id"
                else bindparam(
                    {
                        "seq": "new_version",
                        "occurred_at": "now",
                        "pathway_version": "new_pathway_version",
                    }.get(name, name),
                    type_=_event_t.c[name].type,
                )
                for name in _EVENT_KEYS
            )
        ).select_from(_MOVED),
    )
    .returning(_event_t.c.id)
)
_LOAD_FAST = DriverStatement(_LOAD)
_MOVE_FAST = DriverStatement(_MOVE)
_RECORD_FAST = DriverStatement(_RECORD, column_keys=_EVENT_KEYS)
_MOVE_AND_RECORD_FAST = DriverStatement(_MOVE_AND_RECORD)
_PREVIOUS = (
    select(_event_t.c.from_state)
    .where(
        _event_t.c.journey_id == bindparam("journey_id"),
        _event_t.c.to_state == bindparam("state"),
        _event_t.c.from_state != _event_t.c.to_state,  # not a version migration
        _event_t.c.trigger != MIGRATE_TRIGGER,
    )
    .order_by(_event_t.c.seq.desc())
    .limit(1)
)
_PREVIOUS_FAST = DriverStatement(_PREVIOUS)
_VERSION = select(_journey_t.c.version).where(_journey_t.c.id == bindparam("journey_id"))


@dataclass
class MigrationSummary:
    """What :meth:`Journeys.migrate_all` did: journeys moved onto ``to_version``, those left
    where they were because the target has no such state (by state), and conflicts."""

    pathway_key: str
    to_version: int
    moved: int = 0
    stayed: dict[str, int] = field(default_factory=dict)
    finished: int = 0
    conflicts: int = 0


@dataclass
class TriggerOption:
    """A trigger from the current state: allowed now, or blocked with the rules' reasons."""

    trigger: str
    label: dict[str, str]
    dest: str | None
    allowed: bool
    reason_required: bool
    outcomes: list[str]
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def denied(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.allowed is False]


class Journeys:
    """The journey service. Built once per process by :class:`engine.runtime.Runtime`."""

    def __init__(
        self,
        pathways: PathwayRegistry,
        guards: GuardRegistry,
        pm: pluggy.PluginManager,
        clock: Clock | None = None,
    ):
        self.pathways = pathways
        self.guards = guards
        self.pm = pm
        #: Event times (UTC) and the local date rules are judged on (Europe/Helsinki).
        self.clock = clock or Clock()

    # --- rules --------------------------------------------------------------------------------

    def evaluate(self, context: GuardContext, names: Sequence[str]) -> list[Verdict]:
        """Every named guard and every plugin's check; a raising plugin denies (fail closed)."""
        verdicts = [self.guards.evaluate(name, context) for name in names]
        where = f"polku_check_transition on journey {context.journey.id}"
        for answer in ask_each(self.pm, "polku_check_transition", where=where, context=context):
            rule = f"plugin:{answer.plugin}"
            if answer.failed:
                verdicts.append(Verdict.failed(rule))
            else:
                verdicts += verdicts_of(rule, answer.value, where=where)
        return verdicts

    # --- reads --------------------------------------------------------------------------------

    def pathway_of(self, journey: Journey | JourneyView) -> Pathway:
        return self.pathways.get(journey.pathway_key, journey.pathway_version)

    def load(
        self, session: Session | Connection, journey_id: int
    ) -> tuple[JourneyView, ClientView]:
        """Snapshots of the journey and its client, in one SELECT (the hot path's read)."""
        row = _LOAD_FAST.first(_connection(session), {"journey_id": journey_id})
        if row is None:
            raise NotFound(f"journey {journey_id} not found")
        return JourneyView(*row[:_N_JOURNEY]), ClientView(*row[_N_JOURNEY:])

    def get(self, session: Session, journey_id: int) -> tuple[Journey, Client]:
        row = session.execute(
            select(Journey, Client).join(Client).where(col(Journey.id) == journey_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"journey {journey_id} not found")
        return row[0], row[1]

    def events(self, session: Session, journey_id: int) -> list[JourneyEvent]:
        stmt = (
            select(JourneyEvent)
            .where(col(JourneyEvent.journey_id) == journey_id)
            .order_by(col(JourneyEvent.seq))
        )
        return list(session.execute(stmt).scalars())

    def previous_state(
        self, session: Session | Connection, journey: Journey | JourneyView
    ) -> str | None:
        """The state the journey was in before it entered its current one (a version migration
        in between does not count: it changes no state)."""
        params = {"journey_id": journey.id, "state": journey.state}
        row = _PREVIOUS_FAST.first(_connection(session), params)
        return None if row is None else str(row[0])

    def _context(
        self,
        session: Session | Connection,
        journey: JourneyView,
        client: ClientView,
        pathway: Pathway,
        trigger: str,
        actor_id: int | None,
        reason: str | None,
        today: date | None,
    ) -> GuardContext:
        needs_previous = any(
            (t := pathway.transition(name, journey.state)) is not None and t.returns_to_previous
            for name in ([trigger] if trigger else pathway.triggers_from(journey.state))
        )
        return GuardContext(
            session=session,
            journey=journey,
            client=client,
            trigger=trigger,
            source=journey.state,
            dest="",
            actor_id=actor_id,
            reason=reason,
            previous_state=self.previous_state(session, journey) if needs_previous else None,
            today=today or self.clock.today(),
        )

    def available(
        self,
        session: Session | Connection,
        journey: Journey | JourneyView,
        client: Client | ClientView,
        *,
        actor_id: int | None = None,
        today: date | None = None,
        as_service: bool = False,
    ) -> list[TriggerOption]:
        """Every trigger from the current state: allowed ones, and blocked ones with reasons. A
        transition ``moved_by`` a service (a referral) is offered as refused, unless
        ``as_service``: then it is judged as its service would fire it (``polku plugins try``
        and the plugin test kit show the rules' verdicts on it)."""
        journey, client = JourneyView.of(journey), ClientView.of(client)
        pathway = self.pathway_of(journey)
        base = self._context(session, journey, client, pathway, "", actor_id, None, today)
        options = []
        for trigger in pathway.triggers_from(journey.state):
            base.trigger = trigger
            transition = pathway.transition(trigger, journey.state)
            if transition is not None and transition.moved_by is not None and not as_service:
                options.append(_moved_elsewhere(transition))
                continue
            attempt = pathway.attempt(trigger, base, self.evaluate)
            options.append(_option(attempt))
        return options

    # --- writes -------------------------------------------------------------------------------

    def start(
        self,
        session: Session,
        *,
        client_id: int,
        pathway_key: str,
        actor_id: int | None,
        at: datetime | None = None,
    ) -> Journey:
        """Open a journey on the latest version of a pathway, with its first event."""
        pathway = self.pathways.latest(pathway_key)
        now = at or self.clock.now()
        initial = pathway.definition.initial
        journey = Journey(
            client_id=client_id,
            pathway_key=pathway.key,
            pathway_version=pathway.version,
            state=initial,
            version=1,
            created_at=now,
            updated_at=now,
            furthest_stage=pathway.funnel_rank.get(initial),
        )
        session.add(journey)
        session.flush()
        assert journey.id is not None
        first: dict[str, Any] = {
            "journey_id": journey.id,
            "seq": 1,
            "occurred_at": now,
            "actor_id": actor_id,
            "trigger": START_TRIGGER,
            "from_state": None,
            "to_state": initial,
            "pathway_version": pathway.version,
            "reason": None,
            "outcome": None,
            "verdicts": [],
            "prev_hash": GENESIS,
        }
        session.execute(insert(_event_t).values(**first))
        journey.event_hash = event_hash(GENESIS, first)
        return journey

    def advance(
        self,
        session: Session | Connection,
        journey_id: int,
        trigger: str,
        *,
        actor_id: int | None,
        reason: str | None = None,
        outcome: str | None = None,
        expected_version: int | None = None,
        expected_pathway: str | None = None,
        via: str | None = None,
        at: datetime | None = None,
    ) -> EventView:
        """Fire ``trigger`` on the journey inside the caller's write transaction: an ORM
        session, or a Core connection from ``Database.write_connection`` (the lighter way: no
        session, no ORM object per step).
        ``expected_pathway``: refuse (:class:`MovedElsewhere`) a journey of another pathway.
        ``via``: the engine service firing it; a transition ``moved_by`` a service is refused
        (:class:`MovedElsewhere`, 409) unless that service fires it.

        Returns the event that the caller's commit makes permanent. Raises :class:`NotFound`,
        :class:`Conflict`, :class:`InvalidTransition`, :class:`InputRequired` or
        :class:`GuardRejected`; nothing is written then.
        """
        journey, client = self.load(session, journey_id)
        if expected_pathway is not None and journey.pathway_key != expected_pathway:
            raise MovedElsewhere(journey.pathway_key)
        if expected_version is not None and journey.version != expected_version:
            raise Conflict(journey_id, expected_version, journey.version)
        pathway = self.pathway_of(journey)
        source = journey.state
        transition = pathway.transition(trigger, source)
        moved_by = (transition or pathway.moved_by(trigger) or _NOT_MOVED).moved_by
        if moved_by is not None and moved_by != via:
            raise MovedElsewhere(journey.pathway_key, trigger, moved_by)
        if transition is None:
            options = self.available(session, journey, client, actor_id=actor_id)
            raise InvalidTransition(
                trigger,
                source,
                [o.trigger for o in options if o.allowed],
                [o.trigger for o in options if not o.allowed],
            )
        reason = _clean_reason(reason, transition)
        _check_outcome(outcome, transition)
        now = at or self.clock.now()
        context = self._context(
            session, journey, client, pathway, trigger, actor_id, reason, self.clock.local_date(now)
        )
        context.now = now
        attempt = pathway.attempt(trigger, context, self.evaluate)
        if attempt.dest is None:
            raise GuardRejected(trigger, source, attempt.verdicts)
        event = self._write(session, journey, attempt, actor_id, reason, outcome, now)
        self._notify_after_commit(session, journey, event)
        return event

    def migrate(
        self,
        session: Session | Connection,
        journey_id: int,
        *,
        to_version: int,
        actor_id: int | None,
    ) -> EventView:
        """Move a journey onto another version of its pathway; logged as an event."""
        journey, _client = self.load(session, journey_id)
        target = self.pathways.get(journey.pathway_key, to_version)
        if journey.state not in target.states:
            raise InputRequired(
                "to_version",
                f"state {journey.state!r} does not exist in version {to_version}",
            )
        attempt = Attempt(MIGRATE_TRIGGER, journey.state, journey.state, None, [])
        reason = f"version {journey.pathway_version} -> {to_version}"
        now = self.clock.now()
        event = self._write(
            session, journey, attempt, actor_id, reason, None, now, pathway_version=to_version
        )
        self._notify_after_commit(session, journey, event)
        return event

    def migrate_all(
        self,
        db: Database,
        pathway_key: str,
        *,
        to_version: int | None = None,
        actor_id: int | None = None,
        dry_run: bool = False,
    ) -> MigrationSummary:
        """Move every journey of ``pathway_key`` on another version onto ``to_version`` (default:
        the latest), one transaction each. A journey whose state the target lacks stays where it
        is (counted by state); one that has ended (a final state) is left as it is; one moved
        meanwhile by a coach is counted as a conflict (run it again). ``dry_run``: count only."""
        target = (
            self.pathways.get(pathway_key, to_version)
            if to_version is not None
            else self.pathways.latest(pathway_key)
        )
        summary = MigrationSummary(pathway_key, target.version)
        with db.read() as session:
            rows = session.execute(
                select(col(Journey.id), col(Journey.state)).where(
                    col(Journey.pathway_key) == pathway_key,
                    col(Journey.pathway_version) != target.version,
                )
            ).all()
        for journey_id, state in rows:
            if state not in target.states:
                summary.stayed[state] = summary.stayed.get(state, 0) + 1
                continue
            if target.states[state].final:
                summary.finished += 1  # ended: no rule applies to it any more, its log stays
                continue
            if not dry_run:
                try:
                    with db.write() as session:
                        self.migrate(
                            session, journey_id, to_version=target.version, actor_id=actor_id
                        )
                except Conflict:
                    summary.conflicts += 1
                    continue
            summary.moved += 1
        return summary

    def _write(
        self,
        session: Session | Connection,
        journey: JourneyView,
        attempt: Attempt,
        actor_id: int | None,
        reason: str | None,
        outcome: str | None,
        now: datetime,
        *,
        pathway_version: int | None = None,
    ) -> EventView:
        """The conditional UPDATE (no row = someone else won) and the event INSERT: one
        statement on PostgreSQL, two on SQLite (in-process, so a round trip costs nothing)."""
        assert attempt.dest is not None
        conn = _connection(session)
        new_version = journey.version + 1
        new_pathway_version = pathway_version or journey.pathway_version
        stage = furthest(
            journey.furthest_stage,
            self.pathways.get(journey.pathway_key, new_pathway_version).funnel_rank.get(
                attempt.dest
            ),
        )
        values: dict[str, Any] = {
            "journey_id": journey.id,
            "seq": new_version,
            "occurred_at": now,
            "actor_id": actor_id,
            "trigger": attempt.trigger,
            "from_state": attempt.source,
            "to_state": attempt.dest,
            "pathway_version": new_pathway_version,
            "reason": reason,
            "outcome": outcome,
            "verdicts": [v.as_dict() for v in attempt.verdicts],
            "prev_hash": journey.event_hash,
        }
        head = event_hash(journey.event_hash, values)  # the journey row keeps the chain's head
        move = {
            "journey_id": journey.id,
            "old_state": journey.state,
            "old_version": journey.version,
            "new_state": attempt.dest,
            "new_version": new_version,
            "now": now,
            "new_pathway_version": new_pathway_version,
            "event_hash": head,
            "furthest_stage": stage,
        }
        event_id: int | None
        try:
            if conn.dialect.name == "postgresql":
                row = _MOVE_AND_RECORD_FAST.first(conn, {**values, **move})
                event_id = None if row is None else row[0]
            elif _MOVE_FAST.rowcount(conn, move) == 1:
                event_id = _RECORD_FAST.insert_id(conn, values)
            else:
                event_id = None
        except IntegrityError as exc:  # UNIQUE(journey_id, seq): another writer got there first
            if conn.dialect.name == "sqlite":
                # SQLite undid only the failed INSERT; undo our UPDATE too, so that nothing is
                # written even if the caller goes on. (PostgreSQL aborted the whole transaction.)
                _MOVE_FAST.rowcount(
                    conn,
                    {
                        "journey_id": journey.id,
                        "old_state": attempt.dest,
                        "old_version": new_version,
                        "new_state": journey.state,
                        "new_version": journey.version,
                        "now": journey.updated_at,
                        "new_pathway_version": journey.pathway_version,
                        "event_hash": journey.event_hash,
                        "furthest_stage": journey.furthest_stage,
                    },
                )
            raise Conflict(journey.id, journey.version, None) from exc
        if event_id is None:
            actual = conn.execute(_VERSION, {"journey_id": journey.id}).scalar_one_or_none()
            raise Conflict(journey.id, journey.version, actual)
        if isinstance(session, Session):
            _refresh_loaded(
                session,
                journey.id,
                attempt.dest,
                new_version,
                now,
                new_pathway_version,
                head,
                stage,
            )
        return EventView(id=event_id, **values)

    def _notify_after_commit(
        self, session: Session | Connection, journey: JourneyView, event: EventView
    ) -> None:
        """After COMMIT (never on rollback) every plugin hears of the event, each separately:
        one that raises is logged and the others are still told."""
        if not self.pm.hook.polku_after_transition.get_hookimpls():
            return
        where = f"polku_after_transition for journey {journey.id} event {event.seq}"

        def notify() -> None:
            ask_each(self.pm, "polku_after_transition", where=where, journey=journey, event=event)

        after_commit(session, notify)


def _refresh_loaded(
    session: Session,
    journey_id: int,
    state: str,
    version: int,
    now: datetime,
    pathway_version: int,
    head: str,
    stage: int | None,
) -> None:
    """Keep a Journey the caller loaded in this session in step with the row we just wrote."""
    loaded = session.identity_map.get(identity_key(Journey, journey_id))
    if loaded is not None:
        for key, value in (
            ("state", state),
            ("version", version),
            ("updated_at", now),
            ("pathway_version", pathway_version),
            ("event_hash", head),
            ("furthest_stage", stage),
        ):
            set_committed_value(loaded, key, value)


def _option(attempt: Attempt) -> TriggerOption:
    t = attempt.transition
    assert t is not None
    dest = attempt.dest or (t.dest[0] if len(t.dest) == 1 else None)
    return TriggerOption(
        trigger=attempt.trigger,
        label=t.label.model_dump(),
        dest=dest,
        allowed=attempt.allowed,
        reason_required=t.reason == "required",
        outcomes=list(t.outcomes),
        verdicts=attempt.verdicts,
    )


class _NotMoved:
    moved_by: str | None = None


_NOT_MOVED = _NotMoved()

#: Steps that cannot be taken back (a referral's completion or failure, closing a client journey,
#: dropping out): the pages ask for an explicit confirmation, without JavaScript too.
IRREVERSIBLE = frozenset({"complete", "fail", "close", "drop_out"})


def require_confirmation(trigger: str, confirmed: bool) -> None:
    """Refuse an irreversible step that was not confirmed (:data:`IRREVERSIBLE`)."""
    if trigger in IRREVERSIBLE and not confirmed:
        raise InputRequired("confirm", f"{trigger!r} cannot be undone: confirm it first")


#: Why a ``moved_by`` transition is not offered as a move of its own (shown under "why not").
MOVED_BY_TEXT = {
    "referral": {
        "fi": "Tämä siirto tapahtuu lähetteen kautta (Lähetteet-sivu).",
        "sv": "Det här steget sker via en remiss (sidan Remisser).",
        "en": "This step happens through a referral (the Referrals page).",
    }
}


def _moved_elsewhere(transition: TransitionDef) -> TriggerOption:
    """A transition only an engine service fires: listed as blocked, with where it happens."""
    assert transition.moved_by is not None
    text = MOVED_BY_TEXT.get(transition.moved_by, {"fi": "", "sv": "", "en": ""})
    return TriggerOption(
        trigger=transition.trigger,
        label=transition.label.model_dump(),
        dest=transition.dest[0] if len(transition.dest) == 1 else None,
        allowed=False,
        reason_required=transition.reason == "required",
        outcomes=list(transition.outcomes),
        verdicts=[Verdict(f"moved_by:{transition.moved_by}", False, text)],
    )


def _clean_reason(reason: str | None, transition: TransitionDef) -> str | None:
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        raise InputRequired("reason", f"the reason is longer than {REASON_MAX} characters")
    if transition.reason == "required" and not text:
        raise InputRequired("reason", f"{transition.trigger!r} needs a reason")
    return text or None


def _check_outcome(outcome: str | None, transition: TransitionDef) -> None:
    if transition.outcomes:
        if outcome not in transition.outcomes:
            raise InputRequired(
                "outcome",
                f"{transition.trigger!r} needs an outcome, one of: "
                + ", ".join(transition.outcomes),
                transition.outcomes,
            )
    elif outcome is not None:
        raise InputRequired("outcome", f"{transition.trigger!r} takes no outcome")


class AdvanceInput(Input):
    """One move of a journey as a caller asks for it (the API's body, the client page's form):
    the trigger, the reason and outcome the pathway may ask for, and the journey version the
    caller saw (a mismatch is :class:`Conflict`). Blank optional values are absent."""

    trigger: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    outcome: str | None = Field(default=None, max_length=64)
    expected_version: int | None = Field(default=None, ge=1, le=MAX_INT)

    _blank = field_validator("reason", "outcome", "expected_version", mode="before")(blank_is_none)
