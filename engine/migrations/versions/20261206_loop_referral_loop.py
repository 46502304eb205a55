"""referral loop: a referral's kind (follow-on pathway or supporting service), and a one-off
reconciliation of client journeys with their follow-on referrals (issue 13)

Every client journey that has not ended moves onto client_journey version 3 (a
``migrate_version`` event each). Then each client journey that disagrees with its follow-on
referrals is fixed with a logged event where the right move is clear (never by editing the event
log): ``referred``/``on_pathway`` without an open follow-on referral -> ``referral_returned`` (or
``complete_follow_on`` when the last one was completed); ``referred`` with a referral already in
progress -> ``start_follow_on``; a work state with one open follow-on referral -> ``refer`` (and
``start_follow_on``). Anything else is listed in the migration's log for a person to decide, and
``polku db verify`` keeps reporting it until it is resolved.

Revision ID: loop_0001
Revises: report_0001
Create Date: 2026-12-06 02:00:00

"""
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from engine.chain import event_hash
from engine.integrity import LOOP_STATES, client_loops, loop_problem

revision: str = 'loop_0001'
down_revision: str | None = 'report_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

FOLLOW_ON_TYPES = (
    "rehabilitative_work_activity", "studies", "work_trial", "paid_work", "workshop",
    "vocational_rehabilitation", "other",
)
TO_VERSION = 3
WORK_STATES = ("group_work", "individual_work", "group_and_individual_work")
NO_REFERRAL = (
    "Tietojen täsmäytys: ei avointa lähetettä jatkopolulle "
    "(data reconciliation: no open follow-on referral)"
)

journey_t = sa.table(
    "journey",
    sa.column("id", sa.Integer), sa.column("state", sa.String), sa.column("version", sa.Integer),
    sa.column("pathway_key", sa.String), sa.column("pathway_version", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("event_hash", sa.String),
)
event_t = sa.table(
    "journey_event",
    sa.column("journey_id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("occurred_at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
    sa.column("trigger", sa.String), sa.column("from_state", sa.String),
    sa.column("to_state", sa.String), sa.column("pathway_version", sa.Integer),
    sa.column("reason", sa.String), sa.column("outcome", sa.String),
    sa.column("verdicts", sa.JSON), sa.column("prev_hash", sa.String),
)


def _move(conn: sa.Connection, journey_id: int, trigger: str, to_state: str | None,
          reason: str | None, now: datetime, pathway_version: int | None = None) -> str:
    """One logged move: the conditional UPDATE and its event, as Journeys._write does."""
    state, version, pv, head = conn.execute(
        sa.select(journey_t.c.state, journey_t.c.version, journey_t.c.pathway_version,
                  journey_t.c.event_hash)
        .where(journey_t.c.id == journey_id)
    ).one()
    dest = to_state or state
    values = dict(
        journey_id=journey_id, seq=version + 1, occurred_at=now, actor_id=None, trigger=trigger,
        from_state=state, to_state=dest, pathway_version=pathway_version or pv, reason=reason,
        outcome=None, verdicts=[],
    )
    new_head = event_hash(head, values)  # the hash chain (integrity_0001) goes on
    moved = conn.execute(
        journey_t.update()
        .where(journey_t.c.id == journey_id, journey_t.c.version == version)
        .values(state=dest, version=version + 1, updated_at=now,
                pathway_version=pathway_version or pv, event_hash=new_head)
    )
    assert moved.rowcount == 1
    conn.execute(event_t.insert().values(**values, prev_hash=head))
    return dest


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='follow_on'))
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
    conn = op.get_bind()
    conn.execute(
        sa.text("UPDATE referral SET kind = 'supporting' WHERE service_type NOT IN :types")
        .bindparams(sa.bindparam("types", expanding=True)),
        {"types": list(FOLLOW_ON_TYPES)},
    )
    now = datetime.now(UTC)
    # every client journey that has not ended onto version 3 (the loop's rules)
    older = conn.execute(
        sa.select(journey_t.c.id, journey_t.c.pathway_version).where(
            journey_t.c.pathway_key == "client_journey",
            journey_t.c.pathway_version < TO_VERSION,
            journey_t.c.state != "closed",
        ).order_by(journey_t.c.id)
    ).all()
    for journey_id, pv in older:
        _move(conn, journey_id, "migrate_version", None, f"version {pv} -> {TO_VERSION}", now,
              pathway_version=TO_VERSION)
    for client_id, (journey_id, state, open_referrals) in sorted(client_loops(conn).items()):
        problem = loop_problem(state, open_referrals)
        if problem is None:
            continue
        version = conn.execute(sa.select(journey_t.c.pathway_version)
                               .where(journey_t.c.id == journey_id)).scalar_one()
        states = [r.state for r in open_referrals]
        fixed = version == TO_VERSION
        if fixed and state in LOOP_STATES and not open_referrals:
            last = conn.execute(sa.text(
                "SELECT j.state FROM referral r JOIN journey j ON j.id = r.journey_id "
                "WHERE r.client_id = :c AND r.kind = 'follow_on' ORDER BY r.id DESC LIMIT 1"
            ), {"c": client_id}).scalar_one_or_none()
            if last == "completed":
                _move(conn, journey_id, "complete_follow_on", "follow_on_completed", None, now)
            else:
                _move(conn, journey_id, "referral_returned", "individual_work", NO_REFERRAL, now)
        elif fixed and state == "referred" and states == ["in_progress"]:
            _move(conn, journey_id, "start_follow_on", "on_pathway", None, now)
        elif fixed and state in WORK_STATES and len(states) == 1:
            _move(conn, journey_id, "refer", "referred", None, now)
            if states[0] == "in_progress":
                _move(conn, journey_id, "start_follow_on", "on_pathway", None, now)
        else:
            log.warning("referral loop: journey %s needs a person to decide: %s",
                        journey_id, problem)


def downgrade() -> None:
    # The reconciliation's events stay: the event log is append-only.
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('kind')
