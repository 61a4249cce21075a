"""Idempotent scenario saves: ``scenario_versions.request_key`` (unique, NULL for older versions).

A save retried after a lost connection (PostgreSQL restart or failover, hardening D7) or repeated by
the client with the same ``Idempotency-Key`` finds the version it already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and its unique constraint (existing versions keep NULL)."""
    with op.batch_alter_table("scenario_versions") as batch:
        batch.add_column(sa.Column("request_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_scenario_versions_request_key", ["request_key"])


def downgrade() -> None:
    """Drop the column (the versions themselves are kept)."""
    with op.batch_alter_table("scenario_versions") as batch:
        batch.drop_constraint("uq_scenario_versions_request_key", type_="unique")
        batch.drop_column("request_key")
