"""Calendar UIDs as text of any length up to MAX_UID_BYTES (issue 15 item 12): Exchange writes UIDs over
255 characters, which PostgreSQL refused in the old String(255) columns (SQLite never checked).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=255), type_=sa.Text(), existing_nullable=False)
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('ical_uid', existing_type=sa.String(length=255), type_=sa.Text(),
                              existing_nullable=True)


def downgrade() -> None:
    # Refuses (PostgreSQL: value too long) while a UID over 255 characters is stored: delete those first.
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('ical_uid', existing_type=sa.Text(), type_=sa.String(length=255),
                              existing_nullable=True)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.Text(), type_=sa.String(length=255), existing_nullable=False)
