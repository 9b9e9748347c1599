"""Voice call logs: one row per call, inbound or outbound.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import UtcDateTime


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('line', sa.String(length=32), nullable=True),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('last_screen', sa.String(length=48), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('cost', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('cost_currency', sa.String(length=3), nullable=True),
    sa.Column('ended_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_call_logs_farmer_id_farmers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_logs')),
    sa.UniqueConstraint('provider', 'call_id', name=op.f('uq_call_logs_provider_call_id'))
    )
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_logs_farmer_id'), ['farmer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_logs_phone'), ['phone'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_logs_phone'))
        batch_op.drop_index(batch_op.f('ix_call_logs_farmer_id'))

    op.drop_table('call_logs')
