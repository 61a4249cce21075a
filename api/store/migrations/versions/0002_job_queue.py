"""The job queue moves into the store: table ``job_queue`` (one row per waiting job).

Jobs still ``accepted`` when the database is upgraded are put in the queue in the order they were
created (their owner, the token that submitted them, is not known for those: ``created_by`` stands
in), so they run after the upgrade instead of being lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``job_queue`` and queue every job still waiting."""
    op.create_table(
        "job_queue",
        sa.Column("seq", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_job_queue"),
        sa.UniqueConstraint("job_id", name="uq_job_queue_job_id"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_job_queue_job_id_jobs", ondelete="CASCADE"),
    )
    op.create_index("ix_job_queue_owner", "job_queue", ["owner"])
    op.execute(
        "INSERT INTO job_queue (job_id, owner, enqueued_at) "
        "SELECT id, created_by, created_at FROM jobs WHERE status = 'accepted' ORDER BY created_at"
    )


def downgrade() -> None:
    """Drop the queue (waiting jobs stay ``accepted`` in ``jobs``; the old runner fails them at start)."""
    op.drop_index("ix_job_queue_owner", table_name="job_queue")
    op.drop_table("job_queue")
