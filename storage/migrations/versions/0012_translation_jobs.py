"""Translation and transcription jobs (issue 17): durable, claimed by runners, results kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('translation_jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task', sa.String(length=16), nullable=False),
    sa.Column('source_kind', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('source_field', sa.String(length=64), nullable=False),
    sa.Column('target_language', sa.String(length=16), nullable=False),
    sa.Column('source_language', sa.String(length=16), nullable=True),
    sa.Column('html', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('audio_ref', sa.String(length=256), nullable=True),
    sa.Column('mime', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('detected_language', sa.String(length=16), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_jobs')),
    sa.UniqueConstraint('task', 'source_kind', 'source_id', 'source_field', 'target_language',
                        name=op.f('uq_translation_jobs_task'))
    )
    with op.batch_alter_table('translation_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_translation_jobs_due', ['status', 'next_try_at'], unique=False)
        batch_op.create_index('ix_translation_jobs_source', ['source_kind', 'source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('translation_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_translation_jobs_source')
        batch_op.drop_index('ix_translation_jobs_due')

    op.drop_table('translation_jobs')
