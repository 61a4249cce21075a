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


#: file systems on which SQLite's locking (and so WAL) cannot be trusted (sqlite.org/wal.html)
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs", "ceph", "glusterfs")


def filesystem_type(path: Path) -> str:
    """Return the type of the file system holding ``path`` (longest mount prefix in ``/proc/mounts``)."""
    target = path.resolve()
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return kind
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == Path(mount) or Path(mount) in target.parents) and len(mount) > len(best):
            best, kind = mount, parts[2]
    return kind


def check_local_filesystem(data_dir: Path) -> None:
    """Refuse an embedded SQLite store on a network file system (hardening D5).

    Raises
    ------
    ConfigError
        ``data_dir`` is on NFS, SMB/CIFS or another network file system: SQLite's locks are not
        reliable there and the database could be corrupted. Use a local disk, or PostgreSQL
        (``PANHUO_DATABASE_URL``).

    """
    from geo.errors import ConfigError

    kind = filesystem_type(data_dir)
    if kind in NETWORK_FILESYSTEMS:
        raise ConfigError(
            f"--data-dir 位于网络文件系统（{kind}）上，内置 SQLite 库在其上不安全；请改用本地磁盘或设置 "
            f"PANHUO_DATABASE_URL 使用 PostgreSQL — the embedded store cannot live on a {kind} file system"
        )


def integrity_ok(engine: sa.Engine) -> bool:
    """``PRAGMA integrity_check`` on SQLite; PostgreSQL guards its own pages (always True there)."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        rows = conn.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    return rows == ["ok"]
