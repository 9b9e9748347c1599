"""Broadcasts composed in the console: a title, a time to start (its rows wait till then), and who cancelled it when;
and the dashboard's day and week: indexes on the times its figures are counted by.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import UtcDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = [
    ("outbound_messages", "created_at", "ix_outbound_messages_created_at"),
    ("inbound_messages", "received_at", "ix_inbound_messages_received_at"),
    ("ussd_sessions", "ended_at", "ix_ussd_sessions_ended_at"),
    ("payments", "created_at", "ix_payments_created_at"),
    ("payments", "paid_at", "ix_payments_paid_at"),
    ("call_logs", "created_at", "ix_call_logs_created_at"),
]


def upgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('scheduled_for', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=64), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        # Built without locking writes: outbound_messages may hold millions of rows while SMS go out.
        with op.get_context().autocommit_block():
            for table, column, name in INDEXES:
                op.create_index(name, table, [column], unique=False, postgresql_concurrently=True,
                                if_not_exists=True)
    else:
        for table, column, name in INDEXES:
            op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for table, _column, name in INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('scheduled_for')
        batch_op.drop_column('title')
