"""Initial schema: reference catalogue, farmers and consent, expert requests, payments, messages.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

from farmdb.types import JsonDoc, UtcDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('season', sa.String(length=16), nullable=False),
    sa.Column('names', JsonDoc, nullable=False),
    sa.Column('romanised', JsonDoc, nullable=False),
    sa.Column('spellings', JsonDoc, nullable=False),
    sa.Column('stages', JsonDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crops')),
    sa.UniqueConstraint('code', name=op.f('uq_crops_code'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('names', JsonDoc, nullable=False),
    sa.Column('romanised', JsonDoc, nullable=False),
    sa.Column('descriptions', JsonDoc, nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('code', name=op.f('uq_plans_code'))
    )
    op.create_table('states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('census_code', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('names', JsonDoc, nullable=False),
    sa.Column('romanised', JsonDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_states')),
    sa.UniqueConstraint('census_code', name=op.f('uq_states_census_code')),
    sa.UniqueConstraint('name', name=op.f('uq_states_name'))
    )
    op.create_table('advisories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('crop_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=True),
    sa.Column('texts', JsonDoc, nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], name=op.f('fk_advisories_crop_id_crops')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_advisories_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisories')),
    sa.UniqueConstraint('key', name=op.f('uq_advisories_key'))
    )
    with op.batch_alter_table('advisories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisories_crop_id'), ['crop_id'], unique=False)

    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('census_code', sa.String(length=8), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('coordinates_source', sa.String(length=40), nullable=True),
    sa.Column('names', JsonDoc, nullable=False),
    sa.Column('romanised', JsonDoc, nullable=False),
    sa.Column('spellings', JsonDoc, nullable=False),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_districts_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('census_code', name=op.f('uq_districts_census_code')),
    sa.UniqueConstraint('state_id', 'name', name=op.f('uq_districts_state_id_name'))
    )
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_districts_state_id'), ['state_id'], unique=False)

    op.create_table('farmers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('village', sa.String(length=80), nullable=True),
    sa.Column('land_area', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('land_unit', sa.String(length=8), nullable=True),
    sa.Column('registered_via', sa.String(length=16), nullable=True),
    sa.Column('consent_given_at', UtcDateTime(), nullable=True),
    sa.Column('consent_channel', sa.String(length=16), nullable=True),
    sa.Column('consent_withdrawn_at', UtcDateTime(), nullable=True),
    sa.Column('consent_withdrawn_channel', sa.String(length=16), nullable=True),
    sa.Column('sms_opted_out', sa.Boolean(), nullable=False),
    sa.Column('sms_opted_out_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_farmers_district_id_districts')),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'], name=op.f('fk_farmers_state_id_states')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_farmers')),
    sa.UniqueConstraint('phone', name=op.f('uq_farmers_phone'))
    )
    with op.batch_alter_table('farmers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_farmers_district_id'), ['district_id'], unique=False)

    op.create_table('mandis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('names', JsonDoc, nullable=False),
    sa.Column('romanised', JsonDoc, nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_mandis_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandis')),
    sa.UniqueConstraint('district_id', 'name', name=op.f('uq_mandis_district_id_name'))
    )
    with op.batch_alter_table('mandis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandis_district_id'), ['district_id'], unique=False)

    op.create_table('weather_forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('forecast_date', sa.Date(), nullable=False),
    sa.Column('rain_mm', sa.Float(), nullable=False),
    sa.Column('temp_min_c', sa.Float(), nullable=False),
    sa.Column('temp_max_c', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('fetched_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_weather_forecasts_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weather_forecasts')),
    sa.UniqueConstraint('district_id', 'forecast_date', name=op.f('uq_weather_forecasts_district_id_forecast_date'))
    )
    op.create_table('consent_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('notice', sa.String(length=64), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_consent_events_farmer_id_farmers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_events'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_events_farmer_id'), ['farmer_id'], unique=False)

    op.create_table('expert_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.String(length=12), nullable=False),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('crop_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('recording_url', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assigned_to', sa.String(length=80), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], name=op.f('fk_expert_requests_crop_id_crops')),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_expert_requests_farmer_id_farmers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_requests')),
    sa.UniqueConstraint('ticket', name=op.f('uq_expert_requests_ticket'))
    )
    with op.batch_alter_table('expert_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_requests_farmer_id'), ['farmer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_requests_status'), ['status'], unique=False)

    op.create_table('farmer_crops',
    sa.Column('farmer_id', sa.Integer(), nullable=False),
    sa.Column('crop_id', sa.Integer(), nullable=False),
    sa.Column('sown_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], name=op.f('fk_farmer_crops_crop_id_crops')),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_farmer_crops_farmer_id_farmers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('farmer_id', 'crop_id', name=op.f('pk_farmer_crops'))
    )
    with op.batch_alter_table('farmer_crops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_farmer_crops_crop_id'), ['crop_id'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_message_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('to_address', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link_id', sa.String(length=64), nullable=True),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('intent', sa.String(length=32), nullable=True),
    sa.Column('received_at', UtcDateTime(), nullable=False),
    sa.Column('processed_at', UtcDateTime(), nullable=True),
    sa.Column('extra', JsonDoc, nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_inbound_messages_farmer_id_farmers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider', 'provider_message_id', name=op.f('uq_inbound_messages_provider_provider_message_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_phone'), ['phone'], unique=False)

    op.create_table('market_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crop_id', sa.Integer(), nullable=False),
    sa.Column('mandi_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('price_date', sa.Date(), nullable=False),
    sa.Column('min_price', sa.Integer(), nullable=False),
    sa.Column('max_price', sa.Integer(), nullable=False),
    sa.Column('modal_price', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], name=op.f('fk_market_prices_crop_id_crops')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_market_prices_district_id_districts')),
    sa.ForeignKeyConstraint(['mandi_id'], ['mandis.id'], name=op.f('fk_market_prices_mandi_id_mandis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_prices')),
    sa.UniqueConstraint('crop_id', 'mandi_id', 'price_date', name=op.f('uq_market_prices_crop_id_mandi_id_price_date'))
    )
    with op.batch_alter_table('market_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_prices_crop_id'), ['crop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_prices_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_prices_price_date'), ['price_date'], unique=False)

    op.create_table('outbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('template_id', sa.String(length=32), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('provider_message_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('provider_status', sa.String(length=40), nullable=True),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('cost_currency', sa.String(length=3), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('send_after', UtcDateTime(), nullable=True),
    sa.Column('sent_at', UtcDateTime(), nullable=True),
    sa.Column('delivered_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_outbound_messages_farmer_id_farmers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbound_messages_idempotency_key'))
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_messages_farmer_id'), ['farmer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_outbound_messages_provider_ref', ['provider', 'provider_message_id'], unique=False)
        batch_op.create_index('ix_outbound_messages_status_send_after', ['status', 'send_after'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('farmer_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=True),
    sa.Column('link_url', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('paid_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_payments_farmer_id_farmers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_payments_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key')),
    sa.UniqueConstraint('provider', 'provider_ref', name=op.f('uq_payments_provider_provider_ref'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_farmer_id'), ['farmer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_status'), ['status'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('farmer_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('starts_at', UtcDateTime(), nullable=False),
    sa.Column('ends_at', UtcDateTime(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['farmer_id'], ['farmers.id'], name=op.f('fk_subscriptions_farmer_id_farmers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_subscriptions_payment_id_payments')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_subscriptions_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_subscriptions_payment_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_farmer_id'), ['farmer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_farmer_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_ends_at'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_status'))
        batch_op.drop_index(batch_op.f('ix_payments_farmer_id'))

    op.drop_table('payments')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_status_send_after')
        batch_op.drop_index('ix_outbound_messages_provider_ref')
        batch_op.drop_index(batch_op.f('ix_outbound_messages_phone'))
        batch_op.drop_index(batch_op.f('ix_outbound_messages_farmer_id'))

    op.drop_table('outbound_messages')
    with op.batch_alter_table('market_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_prices_price_date'))
        batch_op.drop_index(batch_op.f('ix_market_prices_district_id'))
        batch_op.drop_index(batch_op.f('ix_market_prices_crop_id'))

    op.drop_table('market_prices')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_phone'))

    op.drop_table('inbound_messages')
    with op.batch_alter_table('farmer_crops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_farmer_crops_crop_id'))

    op.drop_table('farmer_crops')
    with op.batch_alter_table('expert_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_requests_status'))
        batch_op.drop_index(batch_op.f('ix_expert_requests_farmer_id'))

    op.drop_table('expert_requests')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_events_farmer_id'))

    op.drop_table('consent_events')
    op.drop_table('weather_forecasts')
    with op.batch_alter_table('mandis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandis_district_id'))

    op.drop_table('mandis')
    with op.batch_alter_table('farmers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_farmers_district_id'))

    op.drop_table('farmers')
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_districts_state_id'))

    op.drop_table('districts')
    with op.batch_alter_table('advisories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisories_crop_id'))

    op.drop_table('advisories')
    op.drop_table('states')
    op.drop_table('plans')
    op.drop_table('crops')
