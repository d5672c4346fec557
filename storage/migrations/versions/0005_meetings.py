"""meetings: council and jury sessions, residents' reminder subscriptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:48:05.540767
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.String(length=16), nullable=False),
    sa.Column('area_key', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_key'], ['areas.key'], name=op.f('fk_meeting_subscriptions_area_key_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_id'], ['residents.chat_id'], name=op.f('fk_meeting_subscriptions_chat_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_subscriptions')),
    sa.UniqueConstraint('chat_id', 'body', 'area_key', name='uq_meeting_subscriptions_topic'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('meeting_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_subscriptions_topic', ['body', 'area_key'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_key', sa.String(length=32), nullable=False),
    sa.Column('body', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=256), nullable=False),
    sa.Column('agenda', sa.JSON(), nullable=False),
    sa.Column('agenda_url', sa.String(length=512), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_key'], ['areas.key'], name=op.f('fk_meetings_area_key_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_area_body_start', ['area_key', 'body', 'starts_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_area_body_start')

    op.drop_table('meetings')
    with op.batch_alter_table('meeting_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_subscriptions_topic')

    op.drop_table('meeting_subscriptions')
