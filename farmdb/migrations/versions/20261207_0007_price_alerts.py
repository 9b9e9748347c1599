"""Price alerts: a farmer's crop, mandi (or the nearest three to a district), direction and amount, and what the
last check saw, so each crossing sends one SMS.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import UtcDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'price_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('farmer_id', sa.Integer(), nullable=False),
        sa.Column('crop_id', sa.Integer(), nullable=False),
        sa.Column('mandi_id', sa.Integer(), nullable=True),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('direction', sa.String(length=5), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('cancelled_at', UtcDateTime(), nullable=True),
        sa.Column('armed', sa.Boolean(), nullable=False),
        sa.Column('last_price', sa.Integer(), nullable=True),
        sa.Column('last_price_date', sa.Date(), nullable=True),
        sa.Column('times_sent', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', UtcDateTime(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], name=op.f('fk_price_alerts_crop_id_crops')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_price_alerts_district_id_districts')),
        sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_price_alerts_farmer_id_farmers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['mandi_id'], ['mandis.id'], name=op.f('fk_price_alerts_mandi_id_mandis')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_price_alerts')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('price_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_price_alerts_active', ['crop_id', 'cancelled_at', 'expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_alerts_farmer_id'), ['farmer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('price_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_alerts_farmer_id'))
        batch_op.drop_index('ix_price_alerts_active')
    op.drop_table('price_alerts')
