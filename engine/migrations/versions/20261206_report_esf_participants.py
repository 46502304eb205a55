"""ESF+ reporting: projects, their organisations, participants, participant forms (append-only),
and how each client was found (client.found_via)

Revision ID: report_0001
Revises: integrity_0001
Create Date: 2026-12-06 02:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.migrate import drop_append_only, protect_append_only


revision: str = 'report_0001'
down_revision: str | None = 'integrity_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('found_via', sa.String(length=32), nullable=True))

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('funder_organisation_id', sa.Integer(), nullable=False),
    sa.Column('planned_participants', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name='ck_project_period'),
    sa.CheckConstraint('planned_participants IS NULL OR planned_participants >= 0', name='ck_project_planned'),
    sa.ForeignKeyConstraint(['funder_organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('project_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('municipality_codes', sa.String(length=500), nullable=False),
    sa.Column('planned_participants', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('main', 'co')", name='ck_project_organisation_role'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'organisation_id', name='uq_project_organisation')
    )
    with op.batch_alter_table('project_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_organisation_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('project_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'client_id', name='uq_project_participant_client'),
    sa.UniqueConstraint('project_id', 'number', name='uq_project_participant_number')
    )
    with op.batch_alter_table('project_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_participant_client_id'), ['client_id'], unique=False)

    op.create_table('participant_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('follow_up_due_on', sa.Date(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('entry', 'exit', 'follow_up')", name='ck_participant_form_kind'),
    sa.ForeignKeyConstraint(['corrects_id'], ['participant_form.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['project_participant.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('participant_form', schema=None) as batch_op:
        batch_op.create_index('ix_participant_form_participant', ['participant_id', 'kind', 'occurred_on'], unique=False)
    protect_append_only(op, 'participant_form')


def downgrade() -> None:
    drop_append_only(op, 'participant_form')
    with op.batch_alter_table('participant_form', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_form_participant')
    op.drop_table('participant_form')
    with op.batch_alter_table('project_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_participant_client_id'))
    op.drop_table('project_participant')
    with op.batch_alter_table('project_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_organisation_organisation_id'))
    op.drop_table('project_organisation')
    op.drop_table('project')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('found_via')
