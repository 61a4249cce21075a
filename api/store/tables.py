"""The metadata schema, as SQLAlchemy Core tables (the same on SQLite and PostgreSQL).

Alembic migrations under ``api/store/migrations/versions`` create these tables; a test checks
that the migrated database and this module agree. Every object row carries its ``workspace``; the
store's queries always filter on it, so another workspace's object is simply not found.
Ids are random (``secrets.token_urlsafe``), never sequential.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.String(40)
Stamp = sa.DateTime(timezone=True)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("revoked_at", Stamp, nullable=True),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
)

scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("updated_at", Stamp, nullable=False),
)

scenario_versions = sa.Table(
    "scenario_versions",
    metadata,
    sa.Column("scenario_id", Id, sa.ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    # the save request this version came from (hash of workspace, token and Idempotency-Key, or a
    # random key per request): a retried save finds its version instead of adding another
    sa.Column("request_key", sa.String(64), nullable=True, unique=True),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("progress", sa.Integer, nullable=False),
    sa.Column("message", sa.String(500), nullable=True),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("dataset_id", Id, nullable=True),
    sa.Column("scenario_id", Id, nullable=True),
    sa.Column("scenario_version", sa.Integer, nullable=True),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", Stamp, nullable=False),
    sa.Column("started_at", Stamp, nullable=True),
    sa.Column("finished_at", Stamp, nullable=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Stamp, nullable=False),
    sa.Column("workspace", sa.String(200), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("token_id", Id, nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("object_type", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
)

#: the job queue: one row per job waiting for a worker, in order of ``seq``. It lives in the store
#: (not in memory) so jobs waiting when the server stops are still waiting when it starts again.
job_queue = sa.Table(
    "job_queue",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("owner", sa.String(200), nullable=False, index=True),
    sa.Column("enqueued_at", Stamp, nullable=False),
)
