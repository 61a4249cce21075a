"""The job runner: a bounded queue and a few threads, each watching one worker process.

Jobs follow OGC API – Processes: ``accepted`` → ``running`` → ``successful`` / ``failed`` /
``dismissed``. The heavy work never runs in the web process: each job is
``python -m api.worker SPEC.json`` started in a new session (its own process group) with
``RLIMIT_AS`` set to the memory cap. The watching thread

* publishes the worker's progress to the store,
* kills the whole process group (``os.killpg`` + ``SIGKILL``: the solver goes with it) when the
  time limit passes or the job is cancelled, and marks the job ``failed: time_limit`` or
  ``dismissed``,
* reads ``outcome.json`` at the end (a worker that died without one failed: ``resource_limit`` when
  it ran out of memory, ``worker_crashed`` otherwise).

The queue is a table of the store (``job_queue``), so waiting jobs outlive a restart. At start-up
:meth:`JobRunner.reconcile` marks every job a previous server left ``running`` as
``failed: interrupted`` (killing what is left of its process group), keeps the waiting ones queued,
and removes the files no row owns and every job's temporary files. The queue holds at most
``jobs.queue`` waiting jobs; past that :class:`api.errors.QueueFullError` (``429`` with
``Retry-After``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from api.errors import QueueFullError, is_disk_full
from api.jobspec import JobSpec
from api.settings import Settings
from api.store import Store
from api.store.repo import FINISHED, now
from api.worker import DISK_FULL, DISK_FULL_EXIT, descendant_groups
from geo.errors import PanhuoError

log = logging.getLogger("panhuo.jobs")

#: GDAL configuration of every worker (hardening.md notes 1.12); set before GDAL loads
GDAL_ENV = {
    "GDAL_SKIP": (
        "VRT,OGR_VRT,GTI,MRF,WMS,WMTS,WCS,WFS,OAPIF,OGCAPI,STACIT,STACTA,KMLSUPEROVERLAY,LIBKML,KML,"
        "PDF,MBTiles,netCDF,HDF4,HDF5,PostGISRaster,PostgreSQL,CSV,GPX,XLSX,ODS,SQLite,WMSCache,DAAS,EEDA,"
        "EEDAI,PLMOSAIC,PLScenes,NGW,Elasticsearch,CARTO,AmigoCloud,MSSQLSpatial,MySQL,OGR_PDS,PDS4,GPSBabel"
    ),
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "GDAL_DRIVER_PATH": "disable",
    "GDAL_CACHEMAX": "256",
    "GDAL_NUM_THREADS": "1",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".panhuo-no-network",
    "CPL_VSIL_CURL_HEADER_FILE_KVP_ENABLED": "NO",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "MPLBACKEND": "Agg",
}

#: environment variables passed on to a worker (nothing else from the server's environment)
_PASS_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "PROJ_DATA",
    "PROJ_LIB",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)

_MEMORY_MARKERS = (
    "MemoryError",
    "Cannot allocate memory",
    "failed to map segment",
    "std::bad_alloc",
    "out of memory",
)


def worker_env(job_dir: Path) -> dict[str, str]:
    """Return the worker's environment: a short allow-list of the server's, plus :data:`GDAL_ENV`."""
    env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
    env.update(GDAL_ENV)
    tmp = job_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    env["CPL_TMPDIR"] = str(tmp)
    env["TMPDIR"] = str(tmp)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["OMP_NUM_THREADS"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def _limit_memory(memory_mb: int) -> Any:
    def apply() -> None:  # runs in the child between fork and exec
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def kill_group(pgid: int) -> None:
    """Kill a whole process group with SIGKILL (nothing happens if it is already gone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group ``pgid`` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _disk_nearly_full(path: Path) -> bool:
    # a worker that died without a word on a disk with less than 1 MiB left: the disk is why
    try:
        return shutil.disk_usage(path).free < 1024 * 1024
    except OSError:
        return False


def _is_our_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"api.worker" in cmdline


class WorkerRun:
    """One worker process: start it, watch it, kill its group."""

    def __init__(self, settings: Settings, job_dir: Path, spec: JobSpec, time_limit_s: float) -> None:
        self.settings = settings
        self.job_dir = job_dir
        self.spec = spec
        self.time_limit_s = time_limit_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed_for: str | None = None
        self.slow_layer = ""
        self.groups: set[int] = set()

    def start(self) -> int:
        """Write the spec and start the worker in its own session; returns its pid (= pgid)."""
        self.job_dir.mkdir(parents=True, exist_ok=True)
        for stale in ("outcome.json", "progress.json"):
            (self.job_dir / stale).unlink(missing_ok=True)
        spec = self.spec.model_copy(update={"job_dir": str(self.job_dir), "parent_pid": os.getpid()})
        spec_path = spec.write(self.job_dir / "spec.json")
        with (self.job_dir / "worker.log").open("ab") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api.worker", str(spec_path)],
                cwd=self.job_dir,
                env=worker_env(self.job_dir),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
                preexec_fn=_limit_memory(self.settings.jobs.memory_mb),
                close_fds=True,
            )
        return self.proc.pid

    def progress(self) -> dict[str, Any] | None:
        """Return the worker's last published progress, if any."""
        try:
            return dict(json.loads((self.job_dir / "progress.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def wait(self, cancel: threading.Event, on_progress: Any = None) -> dict[str, Any]:
        """Wait for the worker; kill its group on time-out or cancel; return the outcome."""
        assert self.proc is not None
        deadline = time.monotonic() + self.time_limit_s
        last: dict[str, Any] | None = None
        while True:
            try:
                self.proc.wait(timeout=self.settings.jobs.poll_s)
                break
            except subprocess.TimeoutExpired:
                pass
            # remember the solver's group: it lives in a session of its own
            self.groups |= descendant_groups(self.proc.pid)
            current = self.progress()
            if cancel.is_set():
                self.killed_for = "dismissed"
            elif time.monotonic() > deadline:
                self.killed_for = "time_limit"
            elif self._phase_overrun(current):
                self.killed_for = "metadata_time_limit"
                self.slow_layer = str((current or {}).get("layer") or "")
            if self.killed_for:
                self.groups |= descendant_groups(self.proc.pid)
                kill_group(self.proc.pid)
                self.proc.wait()
                break
            if on_progress is not None and current and current != last:
                last = current
                on_progress(current)
        # anything the worker started (a solver) goes with it, even after a normal exit or a crash
        kill_group(self.proc.pid)
        for group in self.groups - {os.getpgrp()}:
            kill_group(group)
        return self.outcome()

    def _phase_overrun(self, current: dict[str, Any] | None) -> bool:
        # the metadata read of a layer (a GeoPackage view is counted) has a short limit of its own
        if not current or current.get("phase") != "metadata":
            return False
        limit = float(self.spec.limits.get("metadata_time_limit_s") or 0)
        since = current.get("since")
        return bool(limit) and isinstance(since, int | float) and time.monotonic() - since > limit

    def outcome(self) -> dict[str, Any]:
        """Return what the worker reported, or what its death tells."""
        if self.killed_for == "metadata_time_limit":
            limit = float(self.spec.limits.get("metadata_time_limit_s") or 0)
            return {
                "status": "failed",
                "error": {
                    "code": "metadata_time_limit",
                    "message": f"图层 {self.slow_layer} 的元数据（要素计数）在 {limit:g} 秒内未能读完，"
                    "已终止；GeoPackage 中的递归或极慢的 SQL 视图不能作为图层 — reading the layer's "
                    f"metadata took longer than {limit:g} s (a recursive or very slow SQL view?)",
                },
            }
        if self.killed_for == "dismissed":
            return {
                "status": "dismissed",
                "error": {"code": "dismissed", "message": "作业已取消 job cancelled"},
            }
        if self.killed_for == "time_limit":
            return {
                "status": "failed",
                "error": {
                    "code": "time_limit",
                    "message": f"作业超过时间上限 {self.time_limit_s:g} 秒，已终止 — time limit",
                },
            }
        try:
            outcome = dict(json.loads((self.job_dir / "outcome.json").read_text(encoding="utf-8")))
            if outcome.get("status") in ("successful", "failed"):
                return outcome
        except (OSError, ValueError):
            pass
        exit_status = self.proc.returncode if self.proc is not None else None
        if exit_status == DISK_FULL_EXIT or _disk_nearly_full(self.job_dir):
            return {"status": "failed", "error": dict(DISK_FULL)}
        try:
            tail = (self.job_dir / "worker.log").read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            tail = ""
        if any(marker in tail for marker in _MEMORY_MARKERS):
            return {
                "status": "failed",
                "error": {
                    "code": "resource_limit",
                    "message": "作业超出内存上限 — the job exceeded its memory cap",
                },
            }
        return {
            "status": "failed",
            "error": {"code": "worker_crashed", "message": "作业进程异常退出 worker crashed"},
        }


#: what an object id looks like on disk (:func:`api.store.new_id`): only such folders are ever removed
_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def _tree_bytes(path: Path) -> int:
    total = 0
    for item in path.rglob("*"):
        with contextlib.suppress(OSError):
            if item.is_file() and not item.is_symlink():
                total += item.stat().st_size
    return total


class IngestSlots:
    """Upload checks running at once, shared fairly between workspaces and tokens.

    ``total`` in all, at most ``per_workspace`` for one workspace and ``per_token`` for one token,
    so one planner (or one workspace) cannot take every slot.

    A request that finds no slot it may take waits up to ``wait_s`` for one, then is refused with
    :class:`QueueFullError` naming the share that is full (``429`` with ``Retry-After``).
    """

    def __init__(
        self, total: int, per_workspace: int, per_token: int, wait_s: float, retry_after: int
    ) -> None:
        self.total, self.per_workspace, self.per_token = total, per_workspace, per_token
        self.wait_s, self.retry_after = wait_s, retry_after
        self.cond = threading.Condition()
        self.by_workspace: dict[str, int] = {}
        self.by_token: dict[str, int] = {}
        self.busy = 0

    def _refusal(self, workspace: str, token: str) -> str | None:
        if self.by_token.get(token, 0) >= self.per_token:
            return "您的上一个上传仍在检查中 — your previous upload is still being checked"
        if self.by_workspace.get(workspace, 0) >= self.per_workspace:
            return "本工作空间正在检查的上传已达上限 — this workspace's share of upload checks is in use"
        if self.busy >= self.total:
            return "正在检查的上传过多 — too many uploads being checked"
        return None

    @contextlib.contextmanager
    def hold(self, workspace: str, token: str) -> Iterator[None]:
        """Hold one slot for ``workspace`` and ``token`` while the block runs."""
        deadline = time.monotonic() + self.wait_s
        with self.cond:
            while (reason := self._refusal(workspace, token)) is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QueueFullError(f"{reason}，请稍后重试 (retry later)", retry_after=self.retry_after)
                self.cond.wait(timeout=left)
            self.busy += 1
            self.by_workspace[workspace] = self.by_workspace.get(workspace, 0) + 1
            self.by_token[token] = self.by_token.get(token, 0) + 1
        try:
            yield
        finally:
            with self.cond:
                self.busy -= 1
                for counts, key in ((self.by_workspace, workspace), (self.by_token, token)):
                    counts[key] -= 1
                    if not counts[key]:
                        del counts[key]
                self.cond.notify_all()


class JobRunner:
    """``jobs.workers`` threads taking jobs off the queue in the store and running them.

    The queue is the ``job_queue`` table: a submission inserts the job and its place in one
    transaction, a runner thread claims the oldest place, so jobs waiting when the server stops —
    even by ``kill -9`` — are still waiting when it starts again.
    """

    def __init__(self, settings: Settings, store: Store, handlers: dict[str, Any]) -> None:
        self.settings = settings
        self.store = store
        self.handlers = handlers
        self.cancels: dict[str, threading.Event] = {}
        self.wakeup = threading.Condition()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.jobs_dir = settings.store.data_dir / "jobs"
        uploads = settings.uploads
        self.ingest_slots = IngestSlots(
            total=uploads.ingest_slots,
            per_workspace=uploads.ingest_slots_per_workspace,
            per_token=uploads.ingest_slots_per_token,
            wait_s=uploads.ingest_wait_s,
            retry_after=settings.jobs.retry_after_s,
        )

    # ------------------------------------------------------------ lifecycle
    def reconcile(self) -> dict[str, int]:
        """Put right what a dead server left (hardening C5), before any job runs.

        * a job that was ``running`` is marked ``failed: interrupted`` and what is left of its
          process group is killed (a solve is not restarted behind the user's back);
        * a job that was waiting stays waiting: it keeps its place in the queue, and one the dead
          server had taken off the queue but not yet started is put back;
        * files no row owns are removed (:meth:`remove_orphans`).
        """
        failed = requeued = 0
        for job in self.store.unfinished_jobs():
            if job["status"] == "running":
                pid = job.get("pid")
                if pid and _is_our_worker(int(pid)):
                    kill_group(int(pid))
                failed += self.store.update_job(
                    job["id"],
                    only_if=("running",),
                    status="failed",
                    error_code="interrupted",
                    message="服务重启时作业正在运行，已中断 — the server stopped while this job was running",
                    finished_at=now(),
                )
            else:
                requeued += self.store.requeue_job(
                    job["id"],
                    owner=str(job.get("created_by") or ""),
                    message="服务重启后继续排队 — still queued after a server restart",
                )
        if failed or requeued:
            log.warning(
                "jobs left by a previous server reconciled", extra={"failed": failed, "requeued": requeued}
            )
        return {"failed": failed, "requeued": requeued, **self.remove_orphans()}

    def remove_orphans(self) -> dict[str, int]:
        """Remove what a killed server left on disk (hardening C5).

        A dataset folder without a dataset row (a kill during an upload), a job folder without a job
        row, the ingest work folder of every dataset and the ``tmp`` folder of every job (a solver's
        ``model.mps``, GDAL's temporary files). Only folders named like an object id are touched.
        Runs before any job starts, so nothing removed here is in use.
        """
        dataset_ids, job_ids = self.store.object_ids()
        removed = {"orphan_datasets": 0, "orphan_jobs": 0, "temp_dirs": 0, "bytes": 0}

        def drop(path: Path, key: str) -> None:
            removed["bytes"] += _tree_bytes(path)
            shutil.rmtree(path, ignore_errors=True)
            removed[key] += 1

        for root, owned, kind, temps in (
            (self.settings.store.data_dir / "datasets", dataset_ids, "orphan_datasets", (".ingest",)),
            (self.jobs_dir, job_ids, "orphan_jobs", ("tmp",)),
        ):
            if not root.is_dir():
                continue
            for folder in root.iterdir():
                if not folder.is_dir() or folder.is_symlink() or not _ID_SHAPE.match(folder.name):
                    continue
                if folder.name not in owned:
                    drop(folder, kind)
                    continue
                for name in temps:
                    if (folder / name).is_dir():
                        drop(folder / name, "temp_dirs")
        if any(removed.values()):
            log.warning("files left by a previous server removed", extra=removed)
        return removed

    def start(self) -> None:
        """Start the worker threads."""
        self.stopping.clear()
        for i in range(self.settings.jobs.workers):
            thread = threading.Thread(target=self._loop, name=f"panhuo-job-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Cancel running jobs and stop the threads (waiting jobs stay in the queue)."""
        self.stopping.set()
        for event in list(self.cancels.values()):
            event.set()
        with self.wakeup:
            self.wakeup.notify_all()
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()

    # ------------------------------------------------------------ submission
    def submit(self, row: dict[str, Any], owner: str = "") -> dict[str, Any]:
        """Store a job as ``accepted`` with its place in the queue, and wake a runner thread.

        :class:`QueueFullError` when the queue is full, or when ``owner`` (the token) already has
        ``jobs.queue_per_user`` jobs waiting — one user cannot take every place in the queue.
        """
        job = self.store.enqueue_job(row, owner, self.settings.jobs.queue, self.settings.jobs.queue_per_user)
        if job == "queue_full":
            raise QueueFullError(
                f"作业队列已满（{self.settings.jobs.queue} 个排队），请稍后重试 — the job queue is full",
                retry_after=self.settings.jobs.retry_after_s,
            )
        if job == "owner_full":
            raise QueueFullError(
                f"您已有 {self.settings.jobs.queue_per_user} 个作业在排队，请稍后重试"
                " — your share of the queue is full",
                retry_after=self.settings.jobs.retry_after_s,
            )
        assert isinstance(job, dict)
        with self.wakeup:
            self.wakeup.notify()
        return job

    def cancel(self, job_id: str) -> None:
        """Cancel a job: a waiting one is dismissed at once, a running one is killed."""
        if self.store.dismiss_waiting_job(job_id, "作业已取消 job cancelled"):
            return
        event = self.cancels.get(job_id)
        if event is not None:
            event.set()

    def job_dir(self, job_id: str) -> Path:
        """Where a job's spec, logs and results live."""
        return self.jobs_dir / job_id

    # ------------------------------------------------------------ execution
    def _next(self) -> str | None:
        # the oldest waiting job, or None once the runner stops; between submissions the thread
        # sleeps on the condition, and looks at the table every second in any case
        while not self.stopping.is_set():
            try:
                job = self.store.claim_next_job()
            except Exception:
                log.exception("could not read the job queue")
                job = None
            if job is not None:
                return str(job["id"])
            with self.wakeup:
                self.wakeup.wait(timeout=1.0)
        return None

    def _loop(self) -> None:
        while (job_id := self._next()) is not None:
            self.cancels[job_id] = threading.Event()
            try:
                self._run(job_id)
            except PanhuoError as error:
                self.store.update_job(
                    job_id,
                    only_if=("accepted", "running"),
                    status="failed",
                    error_code=error.code,
                    message=str(error)[:500],
                    finished_at=now(),
                )
            except Exception as error:
                full = is_disk_full(error)
                log.exception("job runner error", extra={"job_id": job_id, "disk_full": full})
                self._finish(
                    job_id,
                    {
                        "status": "failed",
                        "error": dict(DISK_FULL)
                        if full
                        else {"code": "internal_error", "message": "作业内部错误 internal error"},
                    },
                )
            finally:
                self.cancels.pop(job_id, None)

    def _run(self, job_id: str) -> None:
        job = self.store.get_job(None, job_id)
        if job is None or job["status"] != "accepted":
            return
        cancel = self.cancels.setdefault(job_id, threading.Event())
        job_dir = self.job_dir(job_id)
        spec = self.handlers[job["kind"]](job, job_dir)
        run = WorkerRun(self.settings, job_dir, spec, self.settings.jobs.time_limit_s)
        pid = run.start()
        if not self.store.update_job(
            job_id,
            only_if=("accepted",),
            status="running",
            pid=pid,
            started_at=now(),
            message="运行中 running",
        ):
            cancel.set()  # dismissed between queue and start

        def on_progress(progress: dict[str, Any]) -> None:
            self.store.update_job(
                job_id,
                only_if=("running",),
                progress=max(0, min(100, int(progress.get("progress", 0)))),
                message=str(progress.get("message", ""))[:300],
            )

        outcome = run.wait(cancel, on_progress)
        self._finish(job_id, outcome)
        shutil.rmtree(job_dir / "tmp", ignore_errors=True)

    def _finish(self, job_id: str, outcome: dict[str, Any]) -> None:
        status = outcome["status"]
        error = outcome.get("error") or {}
        values: dict[str, Any] = {"status": status, "finished_at": now()}
        if status == "successful":
            values.update(progress=100, message="完成 done", result=outcome.get("result"), error_code=None)
        else:
            values.update(error_code=error.get("code"), message=str(error.get("message", ""))[:500])
            if error.get("code") == "disk_full":  # nothing half-written stays behind
                shutil.rmtree(self.job_dir(job_id) / "out", ignore_errors=True)
        self.store.update_job(job_id, only_if=("accepted", "running"), **values)
        log.info("job finished", extra={"job_id": job_id, "status": status, "error_code": error.get("code")})

    def run_now(self, spec: JobSpec, work_dir: Path, workspace: str = "", token: str = "") -> dict[str, Any]:
        """Run a short worker job synchronously (upload ingest), in the same isolation as queued jobs.

        Slots are shared fairly (:class:`IngestSlots`): beyond its share a request waits a little,
        then :class:`QueueFullError`. The layer metadata of a GeoPackage has its own short limit
        (``uploads.metadata_time_limit_s``) inside the ingest limit.
        """
        with self.ingest_slots.hold(workspace, token):
            run = WorkerRun(self.settings, work_dir, spec, self.settings.uploads.ingest_time_limit_s)
            run.start()
            return run.wait(threading.Event())


__all__ = [
    "FINISHED",
    "GDAL_ENV",
    "IngestSlots",
    "JobRunner",
    "WorkerRun",
    "group_alive",
    "kill_group",
    "worker_env",
]
