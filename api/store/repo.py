"""The metadata store: every read and write the service makes, each filtered by workspace.

Writes run in one transaction each, so an object is stored whole or not at all (a scenario and its
first version land together). On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so two
writers queue on the busy timeout instead of one failing half-way (hardening D4).

On PostgreSQL a lost connection (a restart or failover, hardening D7) is retried for up to
``retry_s`` seconds, then answered ``503``: reads and idempotent writes are retried whatever
happened; other writes only when the connection was lost before COMMIT (nothing was stored). Scenario
saves are idempotent by a request key stored with the version, so a save whose COMMIT reply was lost
finds its version instead of adding a second one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from api.store.db import make_engine
from api.store.tables import audit_log, datasets, job_queue, jobs, scenario_versions, scenarios, tokens

log = logging.getLogger("panhuo.store")

ROLES = ("viewer", "planner", "admin")
JOB_STATES = ("accepted", "running", "successful", "failed", "dismissed")
FINISHED = ("successful", "failed", "dismissed")


def new_id() -> str:
    """Return a random, unguessable object id (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def hash_token(secret: str) -> str:
    """SHA-256 of a bearer token: tokens are stored only as this hash."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name, role and workspace."""

    token_id: str
    name: str
    role: str
    workspace: str

    def may(self, role: str) -> bool:
        """Whether this principal's role is at least ``role`` (viewer < planner < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _row(row: Any) -> dict[str, Any] | None:
    return dict(row._mapping) if row is not None else None


def _utc(value: Any) -> Any:
    # SQLite gives naive datetimes back; they were written in UTC
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _as_utc(value: datetime) -> datetime:
    # stamps are written in UTC (naive on SQLite): compare in UTC; a naive bound is read as UTC
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _new_job(row: dict[str, Any]) -> dict[str, Any]:
    # a new job row: a fresh id, waiting, unless ``row`` says otherwise
    return {
        "id": new_id(),
        "status": "accepted",
        "progress": 0,
        "message": "排队中 queued",
        "created_at": now(),
        **row,
    }


def _clean(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: _utc(v) for k, v in row.items()}


class Store:
    """Metadata on SQLite or PostgreSQL, behind one set of methods."""

    def __init__(self, url: str, retry_s: float = 30.0) -> None:
        self.url = url
        self.retry_s = retry_s
        self.engine = make_engine(url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", self._sqlite_manual_tx)
            sa.event.listen(self.engine, "begin", self._sqlite_begin)

    @staticmethod
    def _sqlite_manual_tx(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @staticmethod
    def _sqlite_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("panhuo_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    @property
    def is_postgres(self) -> bool:
        """Whether this store is PostgreSQL."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction: committed whole at the end, rolled back whole on any error.

        A failure of the COMMIT itself is raised as :class:`CommitUnknownError`: the server may have
        committed before the connection was lost, so only an idempotent write may be retried.
        """
        with self.engine.connect() as conn:
            conn.execution_options(panhuo_write=True)
            tx = conn.begin()
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(Exception):  # the connection may be gone: nothing to undo
                    tx.rollback()
                raise
            try:
                self._commit(tx)
            except sa.exc.DBAPIError as error:
                raise CommitUnknownError(
                    "COMMIT", None, error.orig or error, connection_invalidated=error.connection_invalidated
                ) from error

    @staticmethod
    def _commit(tx: sa.RootTransaction) -> None:
        tx.commit()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """Return a read-only connection."""
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    # ---------------------------------------------------------------- tokens
    def create_token(self, name: str, role: str, workspace: str) -> tuple[dict[str, Any], str]:
        """Create a token; returns its row (without the hash) and the secret, shown only once."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        secret = secrets.token_urlsafe(32)
        row = {
            "id": new_id(),
            "name": name,
            "role": role,
            "workspace": workspace,
            "token_hash": hash_token(secret),
            "created_at": now(),
            "revoked_at": None,
        }
        with self.write() as conn:
            conn.execute(tokens.insert().values(**row))
        row.pop("token_hash")
        return row, secret

    def principal_for(self, secret: str) -> Principal | None:
        """Return the principal a bearer token stands for, or None if unknown or revoked."""
        digest = hash_token(secret)
        with self.read() as conn:
            row = conn.execute(sa.select(tokens).where(tokens.c.token_hash == digest)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, digest):
            return None
        return Principal(token_id=row.id, name=row.name, role=row.role, workspace=row.workspace)

    def list_tokens(self, workspace: str) -> list[dict[str, Any]]:
        """Return the workspace's tokens (never their hashes)."""
        cols = [c for c in tokens.c if c.name != "token_hash"]
        with self.read() as conn:
            rows = conn.execute(
                sa.select(*cols).where(tokens.c.workspace == workspace).order_by(tokens.c.created_at)
            ).all()
        return [_clean(_row(r)) or {} for r in rows]

    def revoke_token(self, workspace: str, token_id: str) -> bool:
        """Revoke a token of the workspace; False when there is none with that id."""
        with self.write() as conn:
            result = conn.execute(
                tokens.update()
                .where(
                    tokens.c.id == token_id, tokens.c.workspace == workspace, tokens.c.revoked_at.is_(None)
                )
                .values(revoked_at=now())
            )
        return bool(result.rowcount)

    # -------------------------------------------------------------- datasets
    def add_dataset(self, row: dict[str, Any]) -> dict[str, Any]:
        """Store a dataset's metadata (its files are already in place)."""
        row = {**row, "created_at": now()}
        with self.write() as conn:
            conn.execute(datasets.insert().values(**row))
        return row

    def get_dataset(self, workspace: str, dataset_id: str) -> dict[str, Any] | None:
        """Return a dataset of the workspace, or None."""
        with self.read() as conn:
            row = conn.execute(
                sa.select(datasets).where(datasets.c.id == dataset_id, datasets.c.workspace == workspace)
            ).first()
        return _clean(_row(row))

    def list_datasets(self, workspace: str) -> list[dict[str, Any]]:
        """Return the workspace's datasets, newest first."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(datasets)
                .where(datasets.c.workspace == workspace)
                .order_by(datasets.c.created_at.desc())
            ).all()
        return [_clean(_row(r)) or {} for r in rows]

    def delete_dataset(self, workspace: str, dataset_id: str) -> bool:
        """Delete a dataset's metadata; False when there is none."""
        with self.write() as conn:
            result = conn.execute(
                datasets.delete().where(datasets.c.id == dataset_id, datasets.c.workspace == workspace)
            )
        return bool(result.rowcount)

    # ------------------------------------------------------------- scenarios
    @staticmethod
    def _stored_for(conn: sa.Connection, workspace: str, request_key: str | None) -> dict[str, Any] | None:
        # the version an earlier attempt of the same save already stored, if any
        if not request_key:
            return None
        found = conn.execute(
            sa.select(scenario_versions.c.scenario_id, scenario_versions.c.version)
            .join(scenarios, scenarios.c.id == scenario_versions.c.scenario_id)
            .where(scenario_versions.c.request_key == request_key, scenarios.c.workspace == workspace)
        ).first()
        if found is None:
            return None
        return {"id": found.scenario_id, "version": int(found.version), "replayed": True}

    def create_scenario(
        self, workspace: str, name: str, body: dict[str, Any], by: str, request_key: str | None = None
    ) -> dict[str, Any]:
        """Create a scenario with its version 1, in one transaction.

        With ``request_key``, a save that already stored a version under that key returns it
        (``"replayed": True``) instead of storing another: retrying is safe (hardening D7).
        """
        sid, stamp = new_id(), now()
        with self.write() as conn:
            earlier = self._stored_for(conn, workspace, request_key)
            if earlier is not None:
                return earlier
            conn.execute(
                scenarios.insert().values(
                    id=sid,
                    workspace=workspace,
                    name=name,
                    latest_version=1,
                    created_by=by,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            conn.execute(
                scenario_versions.insert().values(
                    scenario_id=sid,
                    version=1,
                    body=body,
                    created_by=by,
                    created_at=stamp,
                    request_key=request_key,
                )
            )
        return {"id": sid, "version": 1, "replayed": False}

    def add_scenario_version(
        self,
        workspace: str,
        scenario_id: str,
        name: str,
        body: dict[str, Any],
        by: str,
        request_key: str | None = None,
    ) -> dict[str, Any] | None:
        """Store an edit as a new version (old versions and their runs stay); None if no such scenario.

        ``request_key`` as for :meth:`create_scenario`: a retried edit never makes two versions.
        """
        stamp = now()
        with self.write() as conn:
            earlier = self._stored_for(conn, workspace, request_key)
            if earlier is not None:
                return earlier if earlier["id"] == scenario_id else None
            version = conn.execute(
                scenarios.update()
                .where(scenarios.c.id == scenario_id, scenarios.c.workspace == workspace)
                .values(latest_version=scenarios.c.latest_version + 1, name=name, updated_at=stamp)
                .returning(scenarios.c.latest_version)
            ).scalar()
            if version is None:
                return None
            conn.execute(
                scenario_versions.insert().values(
                    scenario_id=scenario_id,
                    version=version,
                    body=body,
                    created_by=by,
                    created_at=stamp,
                    request_key=request_key,
                )
            )
        return {"id": scenario_id, "version": int(version), "replayed": False}

    def get_scenario(self, workspace: str, scenario_id: str) -> dict[str, Any] | None:
        """Return a scenario of the workspace with the list of its versions, or None."""
        with self.read() as conn:
            row = conn.execute(
                sa.select(scenarios).where(scenarios.c.id == scenario_id, scenarios.c.workspace == workspace)
            ).first()
            if row is None:
                return None
            versions = conn.execute(
                sa.select(
                    scenario_versions.c.version,
                    scenario_versions.c.created_by,
                    scenario_versions.c.created_at,
                )
                .where(scenario_versions.c.scenario_id == scenario_id)
                .order_by(scenario_versions.c.version)
            ).all()
        out = _clean(_row(row)) or {}
        out["versions"] = [_clean(_row(v)) for v in versions]
        return out

    def get_scenario_version(self, workspace: str, scenario_id: str, version: int) -> dict[str, Any] | None:
        """One version of a scenario of the workspace, or None."""
        with self.read() as conn:
            row = conn.execute(
                sa.select(scenario_versions)
                .join(scenarios, scenarios.c.id == scenario_versions.c.scenario_id)
                .where(
                    scenarios.c.id == scenario_id,
                    scenarios.c.workspace == workspace,
                    scenario_versions.c.version == version,
                )
            ).first()
        return _clean(_row(row))

    def list_scenarios(self, workspace: str) -> list[dict[str, Any]]:
        """Return the workspace's scenarios, newest edit first."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(scenarios)
                .where(scenarios.c.workspace == workspace)
                .order_by(scenarios.c.updated_at.desc())
            ).all()
        return [_clean(_row(r)) or {} for r in rows]

    def delete_scenario(self, workspace: str, scenario_id: str) -> bool:
        """Delete a scenario and all its versions; False when there is none."""
        with self.write() as conn:
            found = conn.execute(
                sa.select(scenarios.c.id).where(
                    scenarios.c.id == scenario_id, scenarios.c.workspace == workspace
                )
            ).first()
            if found is None:
                return False
            conn.execute(scenario_versions.delete().where(scenario_versions.c.scenario_id == scenario_id))
            conn.execute(scenarios.delete().where(scenarios.c.id == scenario_id))
        return True

    # ------------------------------------------------------------------ jobs
    def create_job(self, row: dict[str, Any]) -> dict[str, Any]:
        """Insert a job in state ``accepted``."""
        row = _new_job(row)
        with self.write() as conn:
            conn.execute(jobs.insert().values(**row))
        return row

    def get_job(self, workspace: str | None, job_id: str) -> dict[str, Any] | None:
        """Return a job (of the workspace, unless ``workspace`` is None for the runner), or None."""
        query = sa.select(jobs).where(jobs.c.id == job_id)
        if workspace is not None:
            query = query.where(jobs.c.workspace == workspace)
        with self.read() as conn:
            row = conn.execute(query).first()
        return _clean(_row(row))

    def list_jobs(self, workspace: str, scenario_id: str | None = None) -> list[dict[str, Any]]:
        """Return the workspace's jobs, newest first (optionally those of one scenario)."""
        query = sa.select(jobs).where(jobs.c.workspace == workspace)
        if scenario_id is not None:
            query = query.where(jobs.c.scenario_id == scenario_id)
        with self.read() as conn:
            rows = conn.execute(query.order_by(jobs.c.created_at.desc())).all()
        return [_clean(_row(r)) or {} for r in rows]

    def update_job(self, job_id: str, *, only_if: tuple[str, ...] | None = None, **values: Any) -> bool:
        """Update a job; with ``only_if``, only while its status is one of those (False otherwise)."""
        query = jobs.update().where(jobs.c.id == job_id)
        if only_if is not None:
            query = query.where(jobs.c.status.in_(only_if))
        with self.write() as conn:
            result = conn.execute(query.values(**values))
        return bool(result.rowcount)

    def unfinished_jobs(self) -> list[dict[str, Any]]:
        """Every job still ``accepted`` or ``running`` (in any workspace)."""
        with self.read() as conn:
            rows = conn.execute(sa.select(jobs).where(jobs.c.status.in_(("accepted", "running")))).all()
        return [_clean(_row(r)) or {} for r in rows]

    # ------------------------------------------------------------- job queue
    def enqueue_job(
        self, row: dict[str, Any], owner: str, queue_cap: int, owner_cap: int
    ) -> dict[str, Any] | str:
        """Insert a job in state ``accepted`` and its place in the queue, in one transaction.

        Returns the job row, or ``"queue_full"`` when ``queue_cap`` jobs are already waiting, or
        ``"owner_full"`` when ``owner`` (a token id) already has ``owner_cap`` waiting — counted
        in the same transaction, so two submissions cannot both take the last place.
        """
        job = _new_job(row)
        with self.write() as conn:
            waiting = conn.execute(sa.select(sa.func.count()).select_from(job_queue)).scalar_one()
            if waiting >= queue_cap:
                return "queue_full"
            mine = conn.execute(
                sa.select(sa.func.count()).select_from(job_queue).where(job_queue.c.owner == owner)
            ).scalar_one()
            if mine >= owner_cap:
                return "owner_full"
            conn.execute(jobs.insert().values(**job))
            conn.execute(
                job_queue.insert().values(job_id=job["id"], owner=owner, enqueued_at=job["created_at"])
            )
        return job

    def claim_next_job(self) -> dict[str, Any] | None:
        """Take the oldest waiting job off the queue and return it (None when the queue is empty).

        The queue row is deleted in the claiming transaction, and a claim counts only if that
        delete removed it, so two runners never take the same job. Jobs dismissed while waiting
        leave the queue here without being returned.
        """
        while True:
            with self.write() as conn:
                head = conn.execute(
                    sa.select(job_queue.c.seq, job_queue.c.job_id).order_by(job_queue.c.seq).limit(1)
                ).first()
                if head is None:
                    return None
                taken = conn.execute(job_queue.delete().where(job_queue.c.seq == head.seq)).rowcount
                job = conn.execute(sa.select(jobs).where(jobs.c.id == head.job_id)).first()
            if taken and job is not None and job.status == "accepted":
                return _clean(_row(job))

    def dismiss_waiting_job(self, job_id: str, message: str) -> bool:
        """Dismiss a job that has not started yet and take it off the queue; False when it has started."""
        with self.write() as conn:
            changed = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.status == "accepted")
                .values(status="dismissed", error_code="dismissed", message=message, finished_at=now())
            ).rowcount
            conn.execute(job_queue.delete().where(job_queue.c.job_id == job_id))
        return bool(changed)

    def requeue_job(self, job_id: str, owner: str, message: str) -> bool:
        """Put a job that is still ``accepted`` back in the queue (if it is not there already)."""
        with self.write() as conn:
            queued = conn.execute(sa.select(job_queue.c.seq).where(job_queue.c.job_id == job_id)).first()
            changed = conn.execute(
                jobs.update().where(jobs.c.id == job_id, jobs.c.status == "accepted").values(message=message)
            ).rowcount
            if changed and queued is None:
                conn.execute(job_queue.insert().values(job_id=job_id, owner=owner, enqueued_at=now()))
        return bool(changed)

    def queued_job_ids(self) -> list[str]:
        """Return the ids of the waiting jobs, in queue order."""
        with self.read() as conn:
            return list(conn.execute(sa.select(job_queue.c.job_id).order_by(job_queue.c.seq)).scalars())

    def object_ids(self) -> tuple[set[str], set[str]]:
        """Return the ids of every dataset and every job (all workspaces): what owns a folder on disk."""
        with self.read() as conn:
            dataset_ids = set(conn.execute(sa.select(datasets.c.id)).scalars())
            job_ids = set(conn.execute(sa.select(jobs.c.id)).scalars())
        return dataset_ids, job_ids

    def datasets_in_use(self, workspace: str, dataset_id: str) -> int:
        """How many unfinished jobs read this dataset."""
        with self.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(jobs)
                    .where(
                        jobs.c.workspace == workspace,
                        jobs.c.dataset_id == dataset_id,
                        jobs.c.status.in_(("accepted", "running")),
                    )
                ).scalar_one()
            )

    # ----------------------------------------------------------------- audit
    def audit(
        self, who: Principal, action: str, object_type: str, object_id: str | None, outcome: str = "ok"
    ) -> None:
        """Record who did what to which object, and when (never attribute values)."""
        with self.write() as conn:
            conn.execute(
                audit_log.insert().values(
                    at=now(),
                    workspace=who.workspace,
                    actor=who.name,
                    token_id=who.token_id,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    outcome=outcome,
                )
            )

    def list_audit(
        self,
        workspace: str,
        *,
        limit: int = 100,
        before_id: int | None = None,
        where: AuditFilter | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Return one page of the workspace's audit trail, newest first, and the cursor of the next.

        Keyset paging on the entry id (ids only grow): the next page holds the entries with an id
        below the last one shown, so entries written while an admin pages never shift a page and
        none is shown twice. ``where`` (:class:`AuditFilter`) narrows the trail. The cursor is None
        on the last page.
        """
        f = where or AuditFilter()
        action, actor, object_type, object_id, since, until = (
            f.action,
            f.actor,
            f.object_type,
            f.object_id,
            f.since,
            f.until,
        )
        query = sa.select(audit_log).where(audit_log.c.workspace == workspace)
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        if action:
            if action.endswith("."):
                query = query.where(audit_log.c.action.startswith(action, autoescape=True))
            else:
                query = query.where(audit_log.c.action == action)
        for column, value in ((audit_log.c.actor, actor), (audit_log.c.object_type, object_type)):
            if value:
                query = query.where(column == value)
        if object_id:
            query = query.where(audit_log.c.object_id == object_id)
        if since is not None:
            query = query.where(audit_log.c.at >= _as_utc(since))
        if until is not None:
            query = query.where(audit_log.c.at < _as_utc(until))
        with self.read() as conn:
            rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit + 1)).all()
        page = [_clean(_row(r)) or {} for r in rows[:limit]]
        cursor = int(page[-1]["id"]) if len(rows) > limit and page else None
        return page, cursor


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries to list; the filters combine with AND, ``None`` filters nothing.

    ``action`` matches exactly, or every action of a family when it ends with ``.`` (``dataset.``);
    ``since`` is inclusive, ``until`` exclusive (naive times are UTC).
    """

    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class CommitUnknownError(sa.exc.OperationalError):
    """The connection was lost during COMMIT: the transaction may or may not have been committed."""


#: methods that may be repeated after any lost connection: reads, and writes that find their own
#: earlier attempt (scenario saves by request key) or set the same values again
_IDEMPOTENT = (
    "principal_for",
    "list_tokens",
    "get_dataset",
    "list_datasets",
    "get_scenario",
    "get_scenario_version",
    "list_scenarios",
    "get_job",
    "list_jobs",
    "unfinished_jobs",
    "queued_job_ids",
    "object_ids",
    "datasets_in_use",
    "list_audit",
    "create_scenario",
    "add_scenario_version",
    "update_job",
    "requeue_job",
)
#: writes repeated only when the connection was lost before COMMIT (then nothing was stored)
_BEFORE_COMMIT_ONLY = (
    "create_token",
    "revoke_token",
    "add_dataset",
    "delete_dataset",
    "delete_scenario",
    "create_job",
    "enqueue_job",
    "claim_next_job",
    "dismiss_waiting_job",
    "audit",
)


def lost_connection(store: Store, error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL going away (restart, failover, admin shutdown, refused connect).

    SQLAlchemy's own verdict (``connection_invalidated``), SQLSTATE classes ``08`` (connection
    exception) and ``57P`` (operator intervention: shutdown, cannot connect now), or a psycopg
    connection failure without SQLSTATE (nothing listening). Never a full disk, never SQLite.
    """
    import psycopg

    from api.errors import is_disk_full

    if not store.is_postgres or is_disk_full(error):
        return False
    if getattr(error, "connection_invalidated", False):
        return True
    orig = getattr(error, "orig", None)
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    if sqlstate.startswith(("08", "57P")):
        return True
    return isinstance(orig, psycopg.OperationalError) and not sqlstate


def _retried(method: Callable[..., Any], idempotent: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        from api.errors import StoreUnavailableError

        deadline = time.monotonic() + self.retry_s
        pause = 0.1
        while True:
            try:
                return method(self, *args, **kwargs)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
                if not lost_connection(self, error):
                    raise
                unknown = isinstance(error, CommitUnknownError)
                if (unknown and not idempotent) or time.monotonic() + pause > deadline:
                    log.warning(
                        "database unreachable",
                        extra={"operation": method.__name__, "commit_unknown": unknown},
                    )
                    message = "数据库暂时不可用（可能正在重启或切换），请稍后重试 — database unreachable"
                    if unknown:
                        message += "；本次写入是否已保存无法确定 — whether this write was stored is unknown"
                    raise StoreUnavailableError(message) from error
                log.warning("database connection lost, retrying", extra={"operation": method.__name__})
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    return call


for _name in _IDEMPOTENT:
    setattr(Store, _name, _retried(getattr(Store, _name), idempotent=True))
for _name in _BEFORE_COMMIT_ONLY:
    setattr(Store, _name, _retried(getattr(Store, _name), idempotent=False))
