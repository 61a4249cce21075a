"""Run a PuLP model with CBC (default, the binary bundled with PuLP) or HiGHS, safely.

Why not ``prob.solve(PULP_CBC_CMD(...))``: PuLP starts CBC in the caller's process group and waits
for it without a deadline, so a CBC that ignores ``-sec`` (it checks the clock only between
nodes) can outlive its limit and leave an orphan. Here every solve

1. writes the model as an MPS file (always as a *minimisation*: a maximisation's objective is
   negated, so both solvers see the same file and the bound has one meaning),
2. starts the solver as a child in its **own process group** (``start_new_session``) — CBC as
   the bundled binary, HiGHS as ``highspy`` in a child Python,
3. waits at most ``time_limit_s + grace_s``; past that a watchdog sends SIGTERM then SIGKILL to
   the whole group, so no ``cbc`` survives, and the run is labelled ``stopped_by='watchdog'``,
4. reads the status from the solver's own report: ``optimal`` only when proven (CBC's
   ``Result - Optimal solution found``, HiGHS' ``Optimal``), ``feasible`` with the proven gap
   when stopped with an incumbent, ``infeasible`` when proven so, ``no_solution`` otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pulp

from geo.errors import ConfigError, SolverError
from optimizer.result import SolverRun, Status, relative_gap

SolverName = Literal["cbc", "highs"]
SOLVERS: tuple[str, ...] = ("cbc", "highs")


@dataclass(frozen=True)
class SolverOptions:
    """How to run the solver.

    Parameters
    ----------
    name : {"cbc", "highs"}
        CBC (the binary bundled with PuLP) or HiGHS (``highspy``).
    time_limit_s : float or None
        Wall-clock limit handed to the solver; ``None`` for no limit.
    mip_gap : float
        Relative gap at which the solver may stop and call the answer optimal (0 = exact).
    threads : int
        Solver threads (1 keeps runs reproducible on a shared machine).
    grace_s : float
        Extra seconds the watchdog allows past ``time_limit_s`` before killing the process group.
    executable : str or None
        Path of the CBC binary (default: PuLP's bundled one). Tests use it to plant a fake CBC.
    keep_dir : Path or None
        Keep the MPS file and the solver log there (for debugging) instead of deleting them.
    cbc_options : tuple of str
        Extra CBC command-line words placed before ``-solve`` (a model may add its tuning, e.g.
        the location models turn CBC's preprocessing and feasibility pump off: on their
        set-covering structure these cost more than they give — measured in docs/optimizer.md).

    """

    name: SolverName = "cbc"
    time_limit_s: float | None = 60.0
    mip_gap: float = 0.0
    threads: int = 1
    grace_s: float = 10.0
    executable: str | None = None
    keep_dir: Path | None = None
    cbc_options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name not in SOLVERS:
            raise ConfigError(
                f"solver.name: 不支持的求解器 unknown solver {self.name!r}; 可选 allowed: cbc, highs"
            )
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise ConfigError(f"solver.time_limit_s must be > 0 seconds, got {self.time_limit_s!r}")
        if not 0.0 <= self.mip_gap < 1.0:
            raise ConfigError(f"solver.mip_gap must be in [0, 1), got {self.mip_gap!r}")


def cbc_path() -> str:
    """Return the path of the CBC binary bundled with PuLP."""
    from pulp.apis import coin_api

    return str(coin_api.pulp_cbc_path)


def solver_version(name: SolverName) -> str:
    """Return a version string for the named solver (without running a model)."""
    if name == "highs":
        import highspy

        return f"HiGHS {highspy.__version__ if hasattr(highspy, '__version__') else ''}".strip()
    return "CBC (PuLP bundled)"


def solve(prob: pulp.LpProblem, options: SolverOptions, *, build_seconds: float = 0.0) -> SolverRun:
    """Solve ``prob`` under ``options`` and return a :class:`SolverRun` (PuLP variables untouched).

    ``build_seconds`` is the caller's model-building time; writing the MPS file is added to it.
    """
    workdir = Path(tempfile.mkdtemp(prefix="panhuo-solve-"))
    try:
        t0 = time.perf_counter()
        mps = workdir / "model.mps"
        maximise = prob.sense == pulp.LpMaximize
        _vs, var_names, _con_names, _obj = prob.writeMPS(str(mps), mpsSense=pulp.LpMinimize, rename=True)
        build = build_seconds + (time.perf_counter() - t0)
        back = {new: old for old, new in var_names.items()}
        raw = _run_cbc(mps, workdir, options) if options.name == "cbc" else _run_highs(mps, workdir, options)
        if options.keep_dir is not None:
            options.keep_dir.mkdir(parents=True, exist_ok=True)
            for f in workdir.iterdir():
                shutil.copy2(f, options.keep_dir / f.name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sign = -1.0 if maximise else 1.0
    # the objective's constant is not in the MPS file; add it back
    constant = float(prob.objective.constant) if prob.objective is not None else 0.0
    objective = None if raw.objective is None else sign * raw.objective + constant
    bound = None if raw.bound is None else sign * raw.bound + constant
    status = raw.status
    gap = relative_gap(objective, bound)
    if status == "optimal" and (gap is None or gap < 1e-9):
        gap = 0.0
    values = {back.get(k, k): v for k, v in raw.values.items()}
    return SolverRun(
        status=status,
        objective=objective,
        bound=bound,
        mip_gap=gap if status in ("optimal", "feasible") else None,
        values=values,
        build_seconds=build,
        solve_seconds=raw.seconds,
        solver=options.name,
        solver_version=raw.version,
        time_limit_s=options.time_limit_s,
        requested_gap=options.mip_gap,
        stopped_by=raw.stopped_by,
        message=raw.message,
    )


@dataclass
class _Raw:
    status: Status
    objective: float | None
    bound: float | None
    values: dict[str, float]
    seconds: float
    version: str
    stopped_by: str | None
    message: str


def _killed_by_watchdog(seconds: float, version: str, options: SolverOptions) -> _Raw:
    """Return the answer of a solver the watchdog had to kill: no solution, and why."""
    return _Raw(
        "no_solution",
        None,
        None,
        {},
        seconds,
        version,
        "watchdog",
        f"求解器超过时限 {options.time_limit_s or 0:g}+{options.grace_s:g} 秒仍未停止，已强制终止，无可用解 "
        "(solver overran its limit and was killed; no answer)",
    )


def _run_group(args: list[str], log: Path, options: SolverOptions) -> tuple[int | None, float, bool]:
    """Run ``args`` in a new process group; kill the group past the limit + grace.

    Returns (return code or None when killed, wall seconds, killed flag).
    """
    deadline = None if options.time_limit_s is None else options.time_limit_s + options.grace_s
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        try:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as error:
            raise SolverError(f"求解器无法启动 cannot start the solver {args[0]!r}: {error}") from error
        try:
            code: int | None = proc.wait(timeout=deadline)
            killed = False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            code, killed = None, True
        except BaseException:
            _kill_group(proc)
            raise
    return code, time.perf_counter() - t0, killed


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever is left; reap the child."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            # the group may hold grandchildren even after the leader died
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


_CBC_FLOAT = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def _run_cbc(mps: Path, workdir: Path, options: SolverOptions) -> _Raw:
    sol = workdir / "model.sol"
    log = workdir / "cbc.log"
    args = [options.executable or cbc_path(), str(mps)]
    if options.time_limit_s is not None:
        args += ["-sec", f"{options.time_limit_s:g}", "-timeMode", "elapsed"]
    args += [
        "-ratio",
        f"{options.mip_gap:g}",
        "-threads",
        str(options.threads),
        *options.cbc_options,
        "-solve",
    ]
    args += ["-solution", str(sol)]
    code, seconds, killed = _run_group(args, log, options)
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    version = _search(r"Version:\s*(\S+)", text)
    version = f"CBC {version}" if version else "CBC"
    if killed:
        return _killed_by_watchdog(seconds, version, options)
    if code != 0 or not sol.exists():
        tail = " ".join(text.strip().splitlines()[-3:])[:300]
        raise SolverError(f"CBC 运行失败 failed (exit {code}): {tail}")
    first = sol.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    result_line = _search(r"Result - (.*)", text) or ""
    obj_log = _float(_search(r"Objective value:\s*" + _CBC_FLOAT, text))
    bound_log = _float(_search(r"Lower bound:\s*" + _CBC_FLOAT, text))
    stopped_by = None
    if first.startswith("Optimal") or result_line.startswith("Optimal"):
        status: Status = "optimal"
        stopped_by = "gap" if options.mip_gap > 0 else None
        objective = _float(_search(r"objective value\s+" + _CBC_FLOAT, first))
        bound = bound_log if bound_log is not None else objective
        if options.mip_gap == 0:
            bound = objective
        message = "已证明最优 proven optimal"
    elif first.startswith(("Infeasible", "Integer infeasible")) or "infeasible" in result_line.lower():
        return _Raw("infeasible", None, None, {}, seconds, version, None, "已证明无可行解 proven infeasible")
    elif first.startswith("Unbounded") or "unbounded" in result_line.lower():
        return _Raw(
            "no_solution",
            None,
            None,
            {},
            seconds,
            version,
            None,
            "模型无界 the model is unbounded (ill-posed)",
        )
    else:
        objective = _float(_search(r"objective value\s+" + _CBC_FLOAT, first))
        has_incumbent = objective is not None and abs(objective) < 1e49 and "no integer" not in text.lower()
        has_incumbent = has_incumbent and obj_log is not None
        stopped_by = "time_limit"
        if not has_incumbent:
            return _Raw(
                "no_solution",
                None,
                bound_log,
                {},
                seconds,
                version,
                stopped_by,
                "到达时限仍未找到可行解 stopped at the time limit without a feasible answer",
            )
        status = "feasible"
        bound = bound_log
        message = (
            "到达时限，给出当前最好可行解及其差距 stopped at the time limit; best answer so far with its gap"
        )
    values = _read_cbc_values(sol)
    return _Raw(status, objective, bound, values, seconds, version, stopped_by, message)


def _read_cbc_values(sol: Path) -> dict[str, float]:
    values: dict[str, float] = {}
    with open(sol, encoding="utf-8", errors="replace") as f:
        next(f)
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            if parts[0] == "**":
                parts = parts[1:]
            name = parts[1]
            if name.startswith("X"):
                values[name] = float(parts[2])
    return values


def _run_highs(mps: Path, workdir: Path, options: SolverOptions) -> _Raw:
    out = workdir / "highs.json"
    log = workdir / "highs.log"
    child = Path(__file__).with_name("_highs_child.py")
    args = [
        sys.executable,
        str(child),
        str(mps),
        str(out),
        f"{options.time_limit_s or 0:g}",
        f"{options.mip_gap:g}",
        str(options.threads),
    ]
    code, seconds, killed = _run_group(args, log, options)
    if killed:
        return _killed_by_watchdog(seconds, "HiGHS", options)
    if code != 0 or not out.exists():
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        tail = " ".join(text.strip().splitlines()[-3:])[:300]
        raise SolverError(f"HiGHS 运行失败 failed (exit {code}): {tail}")
    answer = json.loads(out.read_text(encoding="utf-8"))
    model_status = str(answer["model_status"])
    version = f"HiGHS {answer['version']}"
    has = bool(answer["has_solution"])
    values = {str(k): float(v) for k, v in answer["values"].items()}
    objective = answer["objective"]
    bound = answer["bound"]
    if model_status == "Optimal":
        return _Raw(
            "optimal",
            objective,
            bound,
            values,
            seconds,
            version,
            "gap" if options.mip_gap > 0 else None,
            "已证明最优 proven optimal",
        )
    if model_status == "Infeasible":
        return _Raw("infeasible", None, None, {}, seconds, version, None, "已证明无可行解 proven infeasible")
    if has:
        return _Raw(
            "feasible",
            objective,
            bound,
            values,
            seconds,
            version,
            "time_limit",
            f"HiGHS 停止（{model_status}），给出当前最好可行解及其差距 stopped with the best answer so far",
        )
    return _Raw(
        "no_solution",
        None,
        None,
        {},
        seconds,
        version,
        "time_limit" if "limit" in model_status.lower() else None,
        f"HiGHS 未找到可行解 no feasible answer ({model_status})",
    )


def _search(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1).strip() if m else None


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
