"""the funder report's reads kept on write (issue 15): each participant's picked forms on its
row, participant_form.answers as jsonb on PostgreSQL, an index on participant_form.corrects_id

The report counts each participant's first standing entry, last standing exit and last standing
follow-up. It picked them with window functions over every form of the project (a third of the
report's time at 100 000 participants); now ``engine.participants.refresh_picks`` keeps them on
``project_participant`` with every form written, and ``polku db verify`` checks them. The
backfill below is that function's statement, written out (a migration does not import the
engine, whose models move on).

A ``json`` column is parsed again by every ``->>``; the report reads ten answers a form.

Revision ID: report_0002
Revises: voice_0001
Create Date: 2026-12-07 00:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = 'report_0002'
down_revision: str | None = 'voice_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PICKS = (
    ('entry_form_id', 'entry', 'f.occurred_on, f.id'),
    ('exit_form_id', 'exit', 'f.occurred_on DESC, f.id DESC'),
    ('follow_up_form_id', 'follow_up', 'f.occurred_on DESC, f.id DESC'),
)


def upgrade() -> None:
    with op.batch_alter_table('participant_form', schema=None) as batch_op:
        batch_op.create_index('ix_participant_form_corrects_id', ['corrects_id'], unique=False)
    with op.batch_alter_table('project_participant', schema=None) as batch_op:
        for name, _kind, _order in PICKS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
    sets = ', '.join(
        f"""{name} = (SELECT f.id FROM participant_form f
            WHERE f.participant_id = project_participant.id AND f.kind = '{kind}'
              AND NOT EXISTS (SELECT 1 FROM participant_form c WHERE c.corrects_id = f.id)
            ORDER BY {order} LIMIT 1)"""
        for name, kind, order in PICKS
    )
    op.execute(f'UPDATE project_participant SET {sets}')
    _answers_as(postgresql.JSONB(), sa.JSON(), 'jsonb')


def _answers_as(new: sa.types.TypeEngine, old: sa.types.TypeEngine, cast: str) -> None:
    """participant_form.answers to ``new`` on PostgreSQL (SQLite keeps JSON as text either way)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column(
            'participant_form',
            'answers',
            type_=new,
            existing_type=old,
            existing_nullable=False,
            postgresql_using=f'answers::{cast}',
        )


def downgrade() -> None:
    _answers_as(sa.JSON(), postgresql.JSONB(), 'json')
    with op.batch_alter_table('project_participant', schema=None) as batch_op:
        for name, _kind, _order in reversed(PICKS):
            batch_op.drop_column(name)
    with op.batch_alter_table('participant_form', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_form_corrects_id')
