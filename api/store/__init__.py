"""Metadata storage: SQLite (embedded) or PostgreSQL/PostGIS, with alembic migrations."""

from api.store.db import current_revision, head_revision, integrity_ok, make_engine, migrate
from api.store.repo import FINISHED, JOB_STATES, ROLES, Principal, Store, hash_token, new_id

__all__ = [
    "FINISHED",
    "JOB_STATES",
    "ROLES",
    "Principal",
    "Store",
    "current_revision",
    "hash_token",
    "head_revision",
    "integrity_ok",
    "make_engine",
    "migrate",
    "new_id",
]
