"""the client's voice: feedback, one-time feedback links, experience experts and peer
instructors (issue 18)

Revision ID: voice_0001
Revises: events_0001
Create Date: 2026-12-06 05:20:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'voice_0001'
down_revision: str | None = 'events_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('feedback_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_link_client_id'), ['client_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('helped', sa.String(length=1000), nullable=False),
    sa.Column('change', sa.String(length=1000), nullable=False),
    sa.Column('wish_theme', sa.String(length=32), nullable=True),
    sa.Column('wish', sa.String(length=1000), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['link_id'], ['feedback_link.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_client_id'), ['client_id'], unique=False)

    op.create_table('voice_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('consent_evidence', sa.String(length=16), nullable=False),
    sa.Column('consent_given_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('voice_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_role_client_id'), ['client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('voice_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_role_client_id'))
    op.drop_table('voice_role')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_client_id'))
    op.drop_table('feedback')
    with op.batch_alter_table('feedback_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_link_client_id'))
    op.drop_table('feedback_link')
