"""groups: groups (ryhmät), leaders, sessions, memberships, attendance marks (append-only)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import drop_append_only, protect_append_only


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('meeting_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('meeting_count BETWEEN 1 AND 52', name='ck_client_group_meetings'),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('client_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_group_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('group_leader',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['client_group.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'user_id', name='uq_group_leader')
    )
    with op.batch_alter_table('group_leader', schema=None) as batch_op:
        batch_op.create_index('ix_group_leader_user', ['user_id', 'group_id'], unique=False)

    op.create_table('group_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['client_group.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'number', name='uq_group_session_number')
    )
    op.create_table('group_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('attended_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['client_group.id'], ),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'client_id', name='uq_group_membership'),
    sa.UniqueConstraint('journey_id')
    )
    with op.batch_alter_table('group_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_membership_client_id'), ['client_id'], unique=False)

    op.create_table('attendance_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['membership_id'], ['group_membership.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['group_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_mark_membership', ['membership_id', 'session_id', 'id'], unique=False)
    protect_append_only(op, 'attendance_mark')


def downgrade() -> None:
    drop_append_only(op, 'attendance_mark')
    with op.batch_alter_table('attendance_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_mark_membership')

    op.drop_table('attendance_mark')
    with op.batch_alter_table('group_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_membership_client_id'))

    op.drop_table('group_membership')
    op.drop_table('group_session')
    with op.batch_alter_table('group_leader', schema=None) as batch_op:
        batch_op.drop_index('ix_group_leader_user')

    op.drop_table('group_leader')
    with op.batch_alter_table('client_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_group_organisation_id'))

    op.drop_table('client_group')
