"""Session logs (the console's "what the farmer saw"): each USSD session's and call's steps in order, and the screen
a USSD session ended on (where farmers drop off, for the dashboard).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import JsonDoc

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ussd_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exit_screen', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('steps', JsonDoc, nullable=True))
        batch_op.create_index(batch_op.f('ix_ussd_sessions_exit_screen'), ['exit_screen'], unique=False)
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('steps', JsonDoc, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_column('steps')
    with op.batch_alter_table('ussd_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ussd_sessions_exit_screen'))
        batch_op.drop_column('steps')
        batch_op.drop_column('exit_screen')
