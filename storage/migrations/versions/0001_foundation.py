"""foundation: residents, conversations, staff, areas, offices, address list, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 13:54:58.936638
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('areas',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('official_name', sa.String(length=128), nullable=False),
    sa.Column('ortsteil', sa.String(length=64), nullable=False),
    sa.Column('website', sa.String(length=256), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_areas'))
    )
    op.create_table('conversations',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', 'user_id', name=op.f('pk_conversations'))
    )
    op.create_table('datasets',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_datasets'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index('ix_outbox_state_due', ['state', 'due_at'], unique=False)

    op.create_table('residents',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('area_key', sa.String(length=32), nullable=True),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_residents'))
    )
    op.create_table('staff',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_staff'))
    )
    op.create_table('streets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('packed', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_streets')),
    sa.UniqueConstraint('name', name=op.f('uq_streets_name'))
    )
    op.create_table('area_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_key', sa.String(length=32), nullable=False),
    sa.Column('street', sa.String(length=128), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=True),
    sa.Column('numbers', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['area_key'], ['areas.key'], name=op.f('fk_area_overrides_area_key_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_overrides'))
    )
    op.create_table('offices',
    sa.Column('area_key', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=256), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=128), nullable=True),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['area_key'], ['areas.key'], name=op.f('fk_offices_area_key_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_key', name=op.f('pk_offices'))
    )
    op.create_table('planning_areas',
    sa.Column('id', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('area_key', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['area_key'], ['areas.key'], name=op.f('fk_planning_areas_area_key_areas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_areas'))
    )
    op.create_table('addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('suffix', sa.String(length=8), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('ortsteil', sa.String(length=64), nullable=False),
    sa.Column('plr_id', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['plr_id'], ['planning_areas.id'], name=op.f('fk_addresses_plr_id_planning_areas')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_addresses_street_id_streets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses'))
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index('ix_addresses_street_number', ['street_id', 'number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_addresses_street_number')

    op.drop_table('addresses')
    op.drop_table('planning_areas')
    op.drop_table('offices')
    op.drop_table('area_overrides')
    op.drop_table('streets')
    op.drop_table('staff')
    op.drop_table('residents')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_due')
        batch_op.drop_index(batch_op.f('ix_outbox_chat_id'))

    op.drop_table('outbox')
    op.drop_table('datasets')
    op.drop_table('conversations')
    op.drop_table('areas')
