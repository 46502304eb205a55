"""GAS goals (tavoitteet) and their follow-up ratings (append-only)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import drop_append_only, protect_append_only


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gas_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('goal', sa.String(length=500), nullable=False),
    sa.Column('level_minus_2', sa.String(length=500), nullable=False),
    sa.Column('level_minus_1', sa.String(length=500), nullable=False),
    sa.Column('level_0', sa.String(length=500), nullable=False),
    sa.Column('level_plus_1', sa.String(length=500), nullable=False),
    sa.Column('level_plus_2', sa.String(length=500), nullable=False),
    sa.Column('baseline', sa.Integer(), nullable=False),
    sa.Column('importance', sa.Integer(), nullable=True),
    sa.Column('difficulty', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('baseline IN (-2, -1)', name='ck_gas_goal_baseline'),
    sa.CheckConstraint('(importance IS NULL AND difficulty IS NULL) OR (importance BETWEEN 0 AND 3 AND difficulty BETWEEN 0 AND 3)', name='ck_gas_goal_weight'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gas_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gas_goal_client_id'), ['client_id'], unique=False)

    op.create_table('gas_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('rated_by', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('level BETWEEN -2 AND 2', name='ck_gas_rating_level'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['goal_id'], ['gas_goal.id'], ),
    sa.ForeignKeyConstraint(['rated_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gas_rating', schema=None) as batch_op:
        batch_op.create_index('ix_gas_rating_client_date', ['client_id', 'rated_on'], unique=False)
    protect_append_only(op, 'gas_rating')


def downgrade() -> None:
    drop_append_only(op, 'gas_rating')
    with op.batch_alter_table('gas_rating', schema=None) as batch_op:
        batch_op.drop_index('ix_gas_rating_client_date')

    op.drop_table('gas_rating')
    with op.batch_alter_table('gas_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gas_goal_client_id'))

    op.drop_table('gas_goal')
