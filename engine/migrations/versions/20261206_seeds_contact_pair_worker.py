"""contact_entry.pair_worker_id: pair work, the second worker at a contact (issue 18)

Revision ID: seeds_0003
Revises: seeds_0002
Create Date: 2026-12-06 03:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'seeds_0003'
down_revision: str | None = 'seeds_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contact_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pair_worker_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_contact_entry_pair_worker_id_app_user', 'app_user', ['pair_worker_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('contact_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contact_entry_pair_worker_id_app_user', type_='foreignkey')
        batch_op.drop_column('pair_worker_id')
