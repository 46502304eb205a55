"""journey: HOT-friendly indexes (issue 16)

A transition UPDATEs ``journey.state``, ``version`` and ``updated_at``. With ``state`` in
``ix_journey_pathway_state`` no such UPDATE could be a heap-only tuple (HOT) update on
PostgreSQL: every transition wrote a new index entry, and the dead row versions piled up until
VACUUM (52k dead rows after 52k advances with autovacuum off). The index now holds
``pathway_key`` only, and on PostgreSQL the table keeps 20 % of each page free
(``fillfactor = 80``) so the new row version fits beside the old one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:00:00

"""
from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_pathway_state')
        batch_op.create_index('ix_journey_pathway_key', ['pathway_key'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE journey SET (fillfactor = 80)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE journey RESET (fillfactor)')
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_pathway_key')
        batch_op.create_index('ix_journey_pathway_state', ['pathway_key', 'state'], unique=False)
