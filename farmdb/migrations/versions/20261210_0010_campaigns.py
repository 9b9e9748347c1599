"""Recurring campaigns: a broadcast made again on chosen weekdays at a local time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import JsonDoc, UtcDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('advisory_id', sa.Integer(), nullable=True),
        sa.Column('words', JsonDoc, nullable=False),
        sa.Column('audience', JsonDoc, nullable=False),
        sa.Column('category', sa.String(length=24), nullable=False),
        sa.Column('weekdays', sa.String(length=32), nullable=False),
        sa.Column('at_time', sa.String(length=5), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('next_run_at', UtcDateTime(), nullable=True),
        sa.Column('last_run_at', UtcDateTime(), nullable=True),
        sa.Column('last_broadcast_id', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['advisory_id'], ['advisories.id'], name=op.f('fk_campaigns_advisory_id_advisories'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['last_broadcast_id'], ['broadcasts.id'],
                                name=op.f('fk_campaigns_last_broadcast_id_broadcasts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_due', ['active', 'next_run_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_due')
    op.drop_table('campaigns')
