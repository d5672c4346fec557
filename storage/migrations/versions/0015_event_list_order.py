"""An index in the event list's order (starts_at, id), so a page of it is read in index order and the
database stops after the page, on PostgreSQL too (the starts_at index alone left it sorting all).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:55:00
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_list_order", "events", ["starts_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_list_order", table_name="events")
