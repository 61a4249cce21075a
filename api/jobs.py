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

At start-up :meth:`JobRunner.reconcile` marks every job left ``accepted`` or ``running`` by a
previous server ``failed: interrupted`` and kills what is left of its process group. The queue holds
at most ``jobs.queue`` waiting jobs; past that :class:`api.errors.QueueFullError` (``429`` with
``Retry-After``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from api.errors import QueueFullError
from api.jobspec import JobSpec
from api.settings import Settings
from api.store import Store
from api.store.repo import FINISHED, now
from api.worker import descendant_groups
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
            if cancel.is_set():
                self.killed_for = "dismissed"
            elif time.monotonic() > deadline:
                self.killed_for = "time_limit"
            if self.killed_for:
                self.groups |= descendant_groups(self.proc.pid)
                kill_group(self.proc.pid)
                self.proc.wait()
                break
            if on_progress is not None:
                current = self.progress()
                if current and current != last:
                    last = current
                    on_progress(current)
        # anything the worker started (a solver) goes with it, even after a normal exit or a crash
        kill_group(self.proc.pid)
        for group in self.groups - {os.getpgrp()}:
            kill_group(group)
        return self.outcome()

    def outcome(self) -> dict[str, Any]:
        """Return what the worker reported, or what its death tells."""
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


class JobRunner:
    """A bounded queue of job ids and ``jobs.workers`` threads running them."""

    def __init__(self, settings: Settings, store: Store, handlers: dict[str, Any]) -> None:
        self.settings = settings
        self.store = store
        self.handlers = handlers
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.cancels: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.waiting = 0
        self.waiting_by: dict[str, int] = {}
        self.owner_of: dict[str, str] = {}
        self.threads: list[threading.Thread] = []
        self.jobs_dir = settings.store.data_dir / "jobs"
        self.ingest_slots = threading.BoundedSemaphore(max(1, settings.jobs.workers))

    # ------------------------------------------------------------ lifecycle
    def reconcile(self) -> int:
        """Mark jobs a dead server left unfinished as failed; kill leftovers of their groups."""
        count = 0
        for job in self.store.unfinished_jobs():
            pid = job.get("pid")
            if pid and _is_our_worker(int(pid)):
                kill_group(int(pid))
            self.store.update_job(
                job["id"],
                only_if=("accepted", "running"),
                status="failed",
                error_code="interrupted",
                message="服务重启时作业中断 — the server stopped while this job was pending or running",
                finished_at=now(),
            )
            count += 1
        if count:
            log.warning("jobs interrupted by a previous shutdown marked failed", extra={"count": count})
        return count

    def start(self) -> None:
        """Start the worker threads."""
        for i in range(self.settings.jobs.workers):
            thread = threading.Thread(target=self._loop, name=f"panhuo-job-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Cancel running jobs and stop the threads."""
        for event in list(self.cancels.values()):
            event.set()
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()

    # ------------------------------------------------------------ submission
    def submit(self, row: dict[str, Any], owner: str = "") -> dict[str, Any]:
        """Store a job as ``accepted`` and queue it.

        :class:`QueueFullError` when the queue is full, or when ``owner`` (the token) already has
        ``jobs.queue_per_user`` jobs waiting — one user cannot take every place in the queue.
        """
        with self.lock:
            if self.waiting >= self.settings.jobs.queue:
                raise QueueFullError(
                    f"作业队列已满（{self.settings.jobs.queue} 个排队），请稍后重试 — the job queue is full",
                    retry_after=self.settings.jobs.retry_after_s,
                )
            if self.waiting_by.get(owner, 0) >= self.settings.jobs.queue_per_user:
                raise QueueFullError(
                    f"您已有 {self.settings.jobs.queue_per_user} 个作业在排队，请稍后重试"
                    " — your share of the queue is full",
                    retry_after=self.settings.jobs.retry_after_s,
                )
            job = self.store.create_job(row)
            self.waiting += 1
            self.waiting_by[owner] = self.waiting_by.get(owner, 0) + 1
            self.owner_of[job["id"]] = owner
            self.cancels[job["id"]] = threading.Event()
        self.queue.put(job["id"])
        return job

    def cancel(self, job_id: str) -> None:
        """Cancel a job: a waiting one is dismissed at once, a running one is killed."""
        if self.store.update_job(
            job_id,
            only_if=("accepted",),
            status="dismissed",
            error_code="dismissed",
            message="作业已取消 job cancelled",
            finished_at=now(),
        ):
            return
        event = self.cancels.get(job_id)
        if event is not None:
            event.set()

    def job_dir(self, job_id: str) -> Path:
        """Where a job's spec, logs and results live."""
        return self.jobs_dir / job_id

    # ------------------------------------------------------------ execution
    def _loop(self) -> None:
        while True:
            job_id = self.queue.get()
            if job_id is None:
                return
            with self.lock:
                self.waiting -= 1
                owner = self.owner_of.pop(job_id, "")
                self.waiting_by[owner] = max(0, self.waiting_by.get(owner, 1) - 1)
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
            except Exception:
                log.exception("job runner error", extra={"job_id": job_id})
                self.store.update_job(
                    job_id,
                    only_if=("accepted", "running"),
                    status="failed",
                    error_code="internal_error",
                    message="作业内部错误 internal error",
                    finished_at=now(),
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
        self.store.update_job(job_id, only_if=("accepted", "running"), **values)
        log.info("job finished", extra={"job_id": job_id, "status": status, "error_code": error.get("code")})

    def run_now(self, spec: JobSpec, work_dir: Path) -> dict[str, Any]:
        """Run a short worker job synchronously (upload ingest), in the same isolation as queued jobs.

        At most ``jobs.workers`` run at once; beyond that :class:`QueueFullError`.
        """
        if not self.ingest_slots.acquire(timeout=5):
            raise QueueFullError(
                "正在处理的上传过多，请稍后重试 — too many uploads being checked",
                retry_after=self.settings.jobs.retry_after_s,
            )
        try:
            run = WorkerRun(self.settings, work_dir, spec, self.settings.uploads.ingest_time_limit_s)
            run.start()
            return run.wait(threading.Event())
        finally:
            self.ingest_slots.release()


__all__ = ["FINISHED", "GDAL_ENV", "JobRunner", "WorkerRun", "group_alive", "kill_group", "worker_env"]
