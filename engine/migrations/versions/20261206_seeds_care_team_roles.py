"""care_team.role: goal coach, job coach, outreach worker, municipal contact person, other
(issue 18); existing memberships become goal coaches

Revision ID: seeds_0002
Revises: seeds_0001
Create Date: 2026-12-06 03:05:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'seeds_0002'
down_revision: str | None = 'seeds_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('care_team', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('role', sa.String(length=32), nullable=False, server_default='goal_coach')
        )


def downgrade() -> None:
    with op.batch_alter_table('care_team', schema=None) as batch_op:
        batch_op.drop_column('role')
