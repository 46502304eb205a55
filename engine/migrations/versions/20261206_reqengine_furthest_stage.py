"""journey.furthest_stage: each journey's furthest funnel stage on its row, backfilled from the
event log (issue 16, point 4)

The funnel then reads one row per journey instead of grouping the whole event log. The column is
the maximum over the journey's events of what each event's destination proves
(``Pathway.funnel_rank`` of the event's pathway version), computed here in one UPDATE with the
same CASE that ``polku db verify`` checks it against (engine/integrity.py), over the pathways the
configured plugins load (as the app loads them).

Revision ID: reqengine_0001
Revises: seeds_0003
Create Date: 2026-12-06 05:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'reqengine_0001'
down_revision: str | None = 'seeds_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('furthest_stage', sa.Integer(), nullable=True))
    _backfill()


def _backfill() -> None:
    from engine.integrity import furthest_in_log
    from engine.models import Journey
    from engine.plugins import build_plugin_manager
    from engine.runtime import collect_guards, load_pathways
    from engine.settings import get_settings

    settings = get_settings()
    pm = build_plugin_manager(only=settings.plugins)
    pathways = load_pathways(pm, collect_guards(pm))
    journey = Journey.__table__  # type: ignore[attr-defined]
    logged = furthest_in_log(pathways).subquery()
    # UPDATE ... FROM (PostgreSQL, SQLite >= 3.33): the log is grouped once, not per journey
    op.get_bind().execute(
        sa.update(journey)
        .values(furthest_stage=logged.c.furthest)
        .where(logged.c.journey_id == journey.c.id)
    )


def downgrade() -> None:
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_column('furthest_stage')
