"""Residents on WhatsApp: channel identity (phone number -> chat id), window, STOP, menus; message statuses;
ids of messages taken (replays handled once).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('whatsapp_contacts',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('wa_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('menu', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_whatsapp_contacts')),
    sa.UniqueConstraint('wa_id', name=op.f('uq_whatsapp_contacts_wa_id'))
    )
    op.create_table('whatsapp_sent',
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('wamid', name=op.f('pk_whatsapp_sent'))
    )
    with op.batch_alter_table('whatsapp_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_sent_chat_id'), ['chat_id'], unique=False)

    op.create_table('whatsapp_inbound',
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('wamid', name=op.f('pk_whatsapp_inbound'))
    )
    with op.batch_alter_table('whatsapp_inbound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatsapp_inbound_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('whatsapp_inbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_inbound_received_at'))
    op.drop_table('whatsapp_inbound')
    with op.batch_alter_table('whatsapp_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatsapp_sent_chat_id'))
    op.drop_table('whatsapp_sent')
    op.drop_table('whatsapp_contacts')
