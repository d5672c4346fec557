"""Delivery lanes and one sender per bot token.

* ``outbox.lane``: 0 for interactive messages (answers, staff cards, reminders, reports), 1 for bulk
  (broadcast messages); the delivery engine takes lane 0 first, with an index that serves the claim.
* ``broadcasts.expanded_at``: when the audience was completely queued (it is queued in chunks while
  the broadcast is sent, not all up front).
* ``delivery_senders``: a heartbeat per delivering process and which one of them sends (storage/leader.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.SmallInteger(), nullable=False, server_default='0'))
        batch_op.create_index('ix_outbox_claim', ['state', 'lane', 'due_at'], unique=False)
    op.execute("UPDATE outbox SET lane = 1 WHERE purpose = 'broadcast'")
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expanded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE broadcasts SET expanded_at = started_at WHERE state <> 'queued'")
    op.create_table('delivery_senders',
    sa.Column('worker', sa.String(length=96), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leading_since', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_delivery_senders'))
    )


def downgrade() -> None:
    op.drop_table('delivery_senders')
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('expanded_at')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_claim')
        batch_op.drop_column('lane')
