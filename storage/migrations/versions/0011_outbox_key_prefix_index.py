"""PostgreSQL: an index for cancelling outbox messages by key prefix.

The cancellation is a range of keys in the "C" collation (exactly the prefix whatever the database's
collation); this index serves it. SQLite's unique index on the key already does.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 02:40:00
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_outbox_dedupe_key_c ON outbox (dedupe_key COLLATE "C")')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_outbox_dedupe_key_c")
