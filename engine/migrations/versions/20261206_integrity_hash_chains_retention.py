"""hash chains over the event, access and disclosure logs; retention

Adds ``prev_hash`` to journey_event, access_log and disclosure and the chain head
``journey.event_hash``; the per-client heads of the access and disclosure logs (``log_chain``);
the retention tombstones (append-only). Computes the chains of the rows already present. The
access and disclosure logs no longer reference ``client`` by foreign key: by law they outlive the
client record they describe (engine/retention.py). The append-only triggers are re-created so
that retention, run by the owner, may delete (engine/migrate.py).

Revision ID: integrity_0001
Revises: 0009
Create Date: 2026-12-06 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import (
    APPEND_ONLY_FUNCTION,
    append_only_tables,
    drop_append_only,
    protect_append_only,
)


revision: str = 'integrity_0001'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINED = ('journey_event', 'access_log', 'disclosure')


def _hash_column() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default='')


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    protected = append_only_tables(bind)
    for table in protected:
        drop_append_only(op, table)

    op.add_column('journey', sa.Column('event_hash', sa.String(length=64), nullable=False, server_default=''))
    for table in CHAINED:
        op.add_column(table, _hash_column())
    if sqlite:
        # the client keys were created unnamed: rebuild both tables without them
        from engine.models import AccessLog, Disclosure

        for model in (AccessLog, Disclosure):
            target = model.__table__  # type: ignore[attr-defined]
            with op.batch_alter_table(target.name, recreate='always', copy_from=target):
                pass
    else:
        op.drop_constraint('access_log_client_id_fkey', 'access_log', type_='foreignkey')
        op.drop_constraint('disclosure_client_id_fkey', 'disclosure', type_='foreignkey')

    op.create_table('log_chain',
    sa.Column('stream', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('anchor', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', 'client_id')
    )
    op.create_table('retention_tombstone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('legal_source', sa.String(length=500), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )

    from engine.chain import relink_all

    relink_all(bind)

    if not sqlite:
        op.execute(APPEND_ONLY_FUNCTION)
    for table in sorted({*protected, 'retention_tombstone'}):
        protect_append_only(op, table)


def downgrade() -> None:
    bind = op.get_bind()
    protected = append_only_tables(bind)
    for table in protected:
        drop_append_only(op, table)
    op.drop_table('retention_tombstone')
    op.drop_table('log_chain')
    for table in CHAINED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('prev_hash')
            if table != 'journey_event':
                batch_op.create_foreign_key(f'{table}_client_id_fkey', 'client', ['client_id'], ['id'])
    with op.batch_alter_table('journey') as batch_op:
        batch_op.drop_column('event_hash')
    for table in protected:
        if table != 'retention_tombstone':
            protect_append_only(op, table)
