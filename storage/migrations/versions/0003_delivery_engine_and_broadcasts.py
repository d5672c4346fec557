"""delivery engine and broadcasts: outbox leases, retries, parts, broadcast rows

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-25 13:46:47.346294
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=96), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('enqueued_after', sa.BigInteger(), nullable=True),
    sa.Column('milestone', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_by_name', sa.String(length=128), nullable=False),
    sa.Column('report_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('stopped_by', sa.String(length=128), nullable=False),
    sa.Column('final_counts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('parts_done', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_broadcast_state', ['broadcast_id', 'state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_broadcast_state')
        batch_op.drop_column('broadcast_id')
        batch_op.drop_column('parts_done')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')

    op.drop_table('broadcasts')
