"""Engines and migrations for the two back ends.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so every acknowledged
write survives a power cut (hardening D2), with a busy timeout so concurrent writers wait instead of
failing with "database is locked" (D4), foreign keys on and ``trusted_schema=OFF``. PostgreSQL is
reached through psycopg 3; PostGIS is required there because result layers are also written as
PostGIS tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA trusted_schema=OFF")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    """Create the engine for ``url`` with the durability settings of its back end."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=8,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def alembic_config() -> Config:
    """Return an alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest); PostGIS is enabled on PostgreSQL."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS panhuo_results"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Downgrade the schema to ``revision`` (``base`` drops everything)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: sa.Engine) -> str | None:
    """Return the schema revision the database is at (None when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """Return the newest revision shipped with this version of panhuo."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def integrity_ok(engine: sa.Engine) -> bool:
    """``PRAGMA integrity_check`` on SQLite; PostgreSQL guards its own pages (always True there)."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        rows = conn.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    return rows == ["ok"]
