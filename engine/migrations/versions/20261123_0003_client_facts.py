"""client facts: dated facts about a client that referral rules read

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import drop_append_only, protect_append_only


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client_fact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('client_fact', schema=None) as batch_op:
        batch_op.create_index('ix_client_fact_client_key', ['client_id', 'key', 'valid_from'], unique=False)

    # a change or a correction is a new row: the history of what was recorded stays
    protect_append_only(op, 'client_fact')


def downgrade() -> None:
    drop_append_only(op, 'client_fact')
    with op.batch_alter_table('client_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_client_fact_client_key')

    op.drop_table('client_fact')
