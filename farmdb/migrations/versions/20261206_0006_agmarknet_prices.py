"""Mandi prices from Agmarknet: a price per variety (the unique key becomes crop, mandi, day and variety) and when
an import last wrote it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import UtcDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('market_prices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variety', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fetched_at', UtcDateTime(), nullable=True))
        batch_op.drop_constraint('uq_market_prices_crop_id_mandi_id_price_date', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_market_prices_crop_id_mandi_id_price_date_variety'),
                                          ['crop_id', 'mandi_id', 'price_date', 'variety'])


def downgrade() -> None:
    # One price per crop, mandi and day again: keep the first-stored variety of each.
    op.execute("DELETE FROM market_prices WHERE id NOT IN "
               "(SELECT MIN(id) FROM market_prices GROUP BY crop_id, mandi_id, price_date)")
    with op.batch_alter_table('market_prices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_market_prices_crop_id_mandi_id_price_date_variety'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_market_prices_crop_id_mandi_id_price_date',
                                          ['crop_id', 'mandi_id', 'price_date'])
        batch_op.drop_column('fetched_at')
        batch_op.drop_column('variety')
