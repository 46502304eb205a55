"""contact log: contact entries of individual work (yksilötyön kontaktit)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contact_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('next_contact_on', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes IS NULL OR duration_minutes >= 0', name='ck_contact_entry_duration'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['coach_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact_entry', schema=None) as batch_op:
        batch_op.create_index('ix_contact_entry_client_time', ['client_id', 'occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_entry_client_time')

    op.drop_table('contact_entry')
