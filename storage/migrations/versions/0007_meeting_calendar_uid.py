"""meetings: the iCalendar UID of imported sessions (``kiezbot meetings import``)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ical_uid', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_meetings_ical_uid', ['ical_uid'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_ical_uid')
        batch_op.drop_column('ical_uid')
