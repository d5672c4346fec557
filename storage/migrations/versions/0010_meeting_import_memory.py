"""What the team's calendar said about an imported session at its last import.

A re-import changes only what the calendar changed since, so a session moved in the chat stays moved.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 20:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('imported')
