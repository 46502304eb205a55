"""events (tapahtumat) with sessions, participants and attendance; absence reasons on group
attendance marks (issue 18)

Revision ID: events_0001
Revises: reqengine_0001
Create Date: 2026-12-06 05:15:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import drop_append_only, protect_append_only

revision: str = 'events_0001'
down_revision: str | None = 'reqengine_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): the table's append-only triggers stay
    op.add_column('attendance_mark', sa.Column('absence_reason', sa.String(length=20), nullable=True))
    op.add_column('attendance_mark', sa.Column('notified', sa.Boolean(), nullable=True))
    op.create_table('activity_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('expert_name', sa.String(length=200), nullable=False),
    sa.Column('expert_organisation', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('remote', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['leader_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_event_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_event_organisation_id'), ['organisation_id'], unique=False)
    op.create_table('event_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['activity_event.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'number', name='uq_event_session_number')
    )
    op.create_table('event_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['activity_event.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'client_id', name='uq_event_participant')
    )
    with op.batch_alter_table('event_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_participant_client_id'), ['client_id'], unique=False)
    op.create_table('event_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('absence_reason', sa.String(length=20), nullable=True),
    sa.Column('notified', sa.Boolean(), nullable=True),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['event_participant.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_event_attendance_participant', ['participant_id', 'session_id', 'id'], unique=False)
    protect_append_only(op, 'event_attendance')


def downgrade() -> None:
    drop_append_only(op, 'event_attendance')
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_event_attendance_participant')
    op.drop_table('event_attendance')
    with op.batch_alter_table('event_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_participant_client_id'))
    op.drop_table('event_participant')
    op.drop_table('event_session')
    with op.batch_alter_table('activity_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_event_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_activity_event_created_by'))
    op.drop_table('activity_event')
    op.drop_column('attendance_mark', 'notified')
    op.drop_column('attendance_mark', 'absence_reason')
