"""Online backup and restore of a data directory (hardening D6): ``panhuo backup`` / ``panhuo restore``.

A backup is one tar file holding

* ``manifest.json`` — panhuo version, schema revision, when, which store, counts, the database
  file's SHA-256, and any file a row named that could not be copied;
* the metadata: on SQLite ``panhuo.db``, a snapshot taken with SQLite's online backup API
  (``sqlite3.Connection.backup`` in one step: one read transaction, so the copy is the database
  as of one instant, *including* what is still in the ``-wal`` file, while the server keeps
  writing — WAL readers do not block writers). The copy is a self-contained database in
  rollback-journal mode: no ``-wal``/``-shm`` belongs with it. On PostgreSQL ``panhuo.dump``,
  written by ``pg_dump --format=custom`` (one snapshot; result tables of ``panhuo_results``
  included), when ``pg_dump`` is installed;
* the files the snapshot's rows own: ``datasets/<id>/`` of every dataset row and ``jobs/<id>/``
  of every job row, without temporary folders. Files are written once under new ids and rows are
  added only after their files are complete, so the files of every row in the snapshot are whole;
  folders created after the snapshot are not copied (nothing orphaned is restored).

The archive is written as ``OUT.partial`` and renamed at the end: a failed backup (a full disk)
leaves nothing that looks like a backup.

``restore`` unpacks into a fresh folder beside the data directory, checks the manifest, the
database checksum and ``PRAGMA integrity_check``, then swaps it in: the old data directory is kept
as ``<dir>.before-restore-<time>`` (nothing is deleted). It refuses while a ``panhuo serve`` holds
the data directory's lock. The next server start migrates the schema and reconciles jobs that were
running at the backup (``failed: interrupted``) and waiting ones (queued again).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo.errors import ConfigError, InputError

MANIFEST = "manifest.json"
SQLITE_COPY = "panhuo.db"
PG_DUMP = "panhuo.dump"
LOCK_NAME = "panhuo.lock"
#: folders inside a dataset's or job's folder that are scratch, never backed up
_SCRATCH = {"tmp", ".ingest"}
FORMAT = 1


# ---------------------------------------------------------------- the data directory's lock
@contextlib.contextmanager
def hold_data_dir(data_dir: Path) -> Iterator[None]:
    """Hold the data directory's lock while the block runs (``panhuo serve`` does, for its lifetime).

    Raises
    ------
    ConfigError
        Another process (a running server, a restore) holds it.

    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"数据目录 {data_dir} 正被另一个 panhuo 进程使用（服务正在运行？）请先停止服务 — "
                "the data directory is in use by another panhuo process (a running server?)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _in_use(data_dir: Path) -> bool:
    lock = data_dir / LOCK_NAME
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


# ---------------------------------------------------------------------------- helpers
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


_TABLES = ("tokens", "datasets", "scenarios", "scenario_versions", "jobs", "audit_log")


def _ids(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[0]) for row in conn.execute(f"SELECT id FROM {table}")}


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in _TABLES}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_tree(tar: tarfile.TarFile, root: Path, arcname: str) -> tuple[int, int]:
    """Add the regular files under ``root`` (no links, no scratch folders); return (files, bytes)."""
    files = size = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _SCRATCH for part in relative.parts) or path.is_symlink() or not path.is_file():
            continue
        tar.add(path, arcname=f"{arcname}/{relative.as_posix()}", recursive=False)
        files += 1
        size += path.stat().st_size
    return files, size


# ----------------------------------------------------------------------------- backup
def backup(data_dir: Path, out: Path, database_url: str | None = None) -> dict[str, Any]:
    """Write an online, consistent backup of ``data_dir`` (and its database) to the tar file ``out``.

    ``database_url`` is the SQLAlchemy URL of a PostgreSQL store; None means the embedded SQLite
    store ``data_dir/panhuo.db``. Returns the manifest (with ``seconds`` and ``bytes``).

    Raises
    ------
    InputError
        No store in ``data_dir``, or ``out`` already exists.
    ConfigError
        PostgreSQL store but no ``pg_dump`` installed.

    """
    started = time.monotonic()
    data_dir = data_dir.resolve()
    out = out.resolve()
    if out.exists():
        raise InputError(f"{out.name} 已存在，不覆盖已有备份 — the backup file already exists")
    if data_dir in out.parents:
        raise InputError("备份文件不能写在数据目录里 — write the backup outside the data directory")
    partial = out.with_name(out.name + ".partial")
    scratch = out.with_name(out.name + ".db-snapshot")
    try:
        if database_url is None:
            database = data_dir / SQLITE_COPY
            if not database.is_file():
                raise InputError(f"{data_dir} 中没有 panhuo.db — no panhuo store in this data directory")
            source = sqlite3.connect(database, timeout=30)
            target = sqlite3.connect(scratch)
            try:
                source.execute("PRAGMA busy_timeout=30000")
                source.backup(target)  # pages=-1: one step, one read transaction, one instant
                target.execute("PRAGMA journal_mode=DELETE")
                ok = target.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                if not ok:
                    raise ConfigError("数据库快照未通过完整性检查 — the snapshot failed its integrity check")
                dataset_ids, job_ids = _ids(target, "datasets"), _ids(target, "jobs")
                counts = _counts(target)
                revision = target.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            finally:
                source.close()
                target.close()
            db_member, store = SQLITE_COPY, "sqlite"
        else:
            dataset_ids, job_ids, counts, revision = _pg_dump(database_url, scratch)
            db_member, store = PG_DUMP, "postgresql"
        missing: list[str] = []
        files = size = 0
        with tarfile.open(partial, "w") as tar:
            tar.add(scratch, arcname=db_member)
            for kind, ids in (("datasets", dataset_ids), ("jobs", job_ids)):
                for object_id in sorted(ids):
                    folder = data_dir / kind / object_id
                    if not folder.is_dir():
                        # a job that never ran has no folder; a dataset always has one
                        if kind == "datasets":
                            missing.append(f"{kind}/{object_id}")
                        continue
                    n, b = _add_tree(tar, folder, f"{kind}/{object_id}")
                    files, size = files + n, size + b
            manifest = {
                "format": FORMAT,
                "panhuo_version": _version(),
                "store": store,
                "schema_revision": revision,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": db_member,
                "database_sha256": _sha256(scratch),
                "counts": counts,
                "files": files,
                "file_bytes": size,
                "missing": missing,
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        scratch.unlink(missing_ok=True)
    return {**manifest, "seconds": round(time.monotonic() - started, 3), "bytes": out.stat().st_size}


def _version() -> str:
    from api import __version__  # the installed distribution's, never the CLI package's

    return __version__


def _pg_dump(database_url: str, target: Path) -> tuple[set[str], set[str], dict[str, int], str]:
    tool = _pg_tool("pg_dump")
    if tool is None:
        raise ConfigError(
            "未找到 pg_dump：PostgreSQL 存储的备份需要 PostgreSQL 客户端程序（Debian: postgresql-client）— "
            "backing up a PostgreSQL store needs pg_dump"
        )
    import sqlalchemy as sa

    url = _libpq_url(database_url)
    # the ids and counts come from the very snapshot pg_dump dumps: export it and hand it over
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            done = subprocess.run(
                [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={url}"],
                capture_output=True,
                text=True,
                check=False,
                timeout=3600,
            )
            if done.returncode != 0:
                raise ConfigError(f"pg_dump 失败 — pg_dump failed: {done.stderr.strip()[-300:]}")
            dataset_ids = {str(v) for v in conn.exec_driver_sql("SELECT id FROM datasets").scalars()}
            job_ids = {str(v) for v in conn.exec_driver_sql("SELECT id FROM jobs").scalars()}
            counts = {
                table: int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
                for table in _TABLES
            }
            revision = str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one())
    finally:
        engine.dispose()
    return dataset_ids, job_ids, counts, revision


# ---------------------------------------------------------------------------- restore
def read_manifest(archive: Path) -> dict[str, Any]:
    """Return the manifest of a backup file; :class:`InputError` when it is not a panhuo backup."""
    try:
        with tarfile.open(archive, "r") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = dict(json.loads(member.read().decode("utf-8")))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise InputError(
            f"{archive.name} 不是 panhuo 备份文件 — not a panhuo backup ({type(error).__name__})"
        ) from None
    if manifest.get("format") != FORMAT:
        raise InputError(
            f"{archive.name}: 不支持的备份格式 {manifest.get('format')!r} — unknown backup format"
        )
    return manifest


def restore(
    archive: Path, data_dir: Path, database_url: str | None = None, force: bool = False
) -> dict[str, Any]:
    """Restore the backup ``archive`` into ``data_dir`` (and the PostgreSQL database, if given).

    Returns the manifest with ``seconds``, ``kept`` (where the previous data directory was moved,
    or None) and ``integrity`` (``ok``).

    Raises
    ------
    InputError
        Not a panhuo backup, a damaged one (checksum, integrity check, unsafe member names), a
        SQLite backup restored to PostgreSQL or the reverse, or a non-empty ``data_dir`` without
        ``force``.
    ConfigError
        A server is running on ``data_dir``.

    """
    started = time.monotonic()
    archive, data_dir = archive.resolve(), data_dir.resolve()
    manifest = read_manifest(archive)
    wanted = "postgresql" if database_url else "sqlite"
    if manifest["store"] != wanted:
        raise InputError(
            f"备份来自 {manifest['store']} 存储，不能恢复到 {wanted} — "
            f"the backup is of a {manifest['store']} store, not {wanted}"
        )
    if _in_use(data_dir):
        raise ConfigError(
            "数据目录正被运行中的 panhuo 服务使用，请先停止服务再恢复 — stop the server before restoring"
        )
    occupied = data_dir.exists() and any(p.name != LOCK_NAME for p in data_dir.iterdir())
    if occupied and not force:
        raise InputError(
            f"{data_dir} 不是空目录；加 --force 时原目录会被改名保留 — the data directory is not empty "
            "(with --force it is kept aside, not deleted)"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    fresh = data_dir.with_name(f"{data_dir.name}.restoring-{stamp}")
    fresh.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r") as tar:
            for member in tar.getmembers():
                if not (member.isfile() or member.isdir()):
                    raise InputError(
                        f"{archive.name}: 备份中含有非普通文件 — the backup holds a link or device"
                    )
            tar.extractall(fresh, filter="data")  # refuses absolute paths, .., links outside
        database = fresh / manifest["database"]
        if _sha256(database) != manifest["database_sha256"]:
            raise InputError(
                f"{archive.name}: 数据库文件校验和不符，备份已损坏 — checksum mismatch, damaged backup"
            )
        (fresh / MANIFEST).unlink()
        if database_url is None:
            with contextlib.closing(sqlite3.connect(database)) as conn:
                if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise InputError(
                        f"{archive.name}: 数据库未通过完整性检查 — the database failed its integrity check"
                    )
                conn.execute("PRAGMA journal_mode=WAL")
        else:
            _pg_restore(database, database_url)
            database.unlink()
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    kept: Path | None = None
    if data_dir.exists():
        if occupied:
            kept = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            data_dir.rename(kept)
        else:
            shutil.rmtree(data_dir)
    fresh.rename(data_dir)
    return {
        **manifest,
        "seconds": round(time.monotonic() - started, 3),
        "kept": str(kept) if kept else None,
        "integrity": "ok",
    }


def _pg_restore(dump: Path, database_url: str) -> None:
    tool = _pg_tool("pg_restore")
    if tool is None:
        raise ConfigError("未找到 pg_restore — restoring a PostgreSQL store needs pg_restore")
    done = subprocess.run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_libpq_url(database_url)}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise ConfigError(f"pg_restore 失败 — pg_restore failed: {done.stderr.strip()[-300:]}")


__all__ = ["backup", "hold_data_dir", "read_manifest", "restore"]
