"""The solver layer: status semantics, both solvers, the watchdog that kills a runaway solver."""

from __future__ import annotations

import os
import stat
import time

import numpy as np
import pulp
import pytest

from geo.errors import ConfigError
from optimizer.solvers import SolverOptions, solve


def knapsack() -> pulp.LpProblem:
    # values 5,4,3,2 weights 4,3,2,1 capacity 6: by hand the best is items 1,2,3 (weight 6,
    # value 9); with the objective constant 1 the optimum is 10
    p = pulp.LpProblem("k", pulp.LpMaximize)
    x = [p.add_variable(f"x_{i}", cat="Binary") for i in range(4)]
    p += pulp.lpSum([5 * x[0], 4 * x[1], 3 * x[2], 2 * x[3]]) + 1
    p += pulp.lpSum([4 * x[0], 3 * x[1], 2 * x[2], 1 * x[3]]) <= 6, "capacity"
    return p


@pytest.mark.parametrize("name", ["cbc", "highs"])
def test_optimal_knapsack(name):
    run = solve(knapsack(), SolverOptions(name=name))
    assert run.status == "optimal"
    assert run.objective == pytest.approx(10.0)
    assert run.mip_gap == 0.0
    assert [round(run.value(f"x_{i}")) for i in range(4)] == [0, 1, 1, 1]
    assert run.solver == name and run.solver_version
    assert run.solve_seconds > 0 and run.build_seconds >= 0


@pytest.mark.parametrize("name", ["cbc", "highs"])
def test_infeasible(name):
    p = pulp.LpProblem("inf", pulp.LpMinimize)
    y = p.add_variable("y", cat="Binary")
    p += y
    p += y >= 2, "impossible"
    run = solve(p, SolverOptions(name=name))
    assert run.status == "infeasible"
    assert run.objective is None and not run.has_solution


def hard_knapsack(n: int = 300, m: int = 20) -> pulp.LpProblem:
    rng = np.random.default_rng(0)
    p = pulp.LpProblem("hard", pulp.LpMaximize)
    z = [p.add_variable(f"z_{i}", cat="Binary") for i in range(n)]
    p += pulp.LpAffineExpression(list(zip(z, rng.integers(50, 100, n).tolist(), strict=True)))
    for k in range(m):
        w = rng.integers(20, 80, n)
        p += pulp.LpAffineExpression(list(zip(z, w.tolist(), strict=True))) <= int(w.sum() / 3), f"k{k}"
    return p


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cbc", "highs"])
def test_time_limit_with_incumbent_is_feasible_never_optimal(name):
    # the 300-item, 20-row knapsack takes CBC and HiGHS well over a second to prove; within one
    # second they have an incumbent (or, on a very loaded machine, none yet) — never a proof
    run = solve(hard_knapsack(), SolverOptions(name=name, time_limit_s=1.0))
    assert run.status != "optimal"
    assert run.stopped_by == "time_limit"
    if run.status == "feasible":
        assert run.mip_gap is not None and run.mip_gap > 0
        assert run.bound is not None and run.objective is not None and run.bound > run.objective
    else:
        assert run.status == "no_solution" and run.objective is None


def test_watchdog_kills_a_solver_that_ignores_its_limit(tmp_path):
    # a fake CBC that ignores -sec, with a grandchild, writing both pids
    fake = tmp_path / "cbc"
    fake.write_text(
        f"#!/bin/sh\nsleep 300 &\necho $! > {tmp_path}/child.pid\necho $$ > {tmp_path}/self.pid\nwait\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    t0 = time.perf_counter()
    run = solve(knapsack(), SolverOptions(time_limit_s=1.0, grace_s=1.0, executable=str(fake)))
    assert time.perf_counter() - t0 < 10
    assert run.status == "no_solution"
    assert run.stopped_by == "watchdog"
    for name in ("self.pid", "child.pid"):
        pid = int((tmp_path / name).read_text())
        # SIGKILL is asynchronous: give the kernel a moment to finish the process off
        deadline = time.monotonic() + 3.0
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid), f"{name} {pid} survived the watchdog"


def alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie waiting for its reaper is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_bad_options_name_the_key():
    with pytest.raises(ConfigError, match=r"solver\.name"):
        SolverOptions(name="gurobi")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="time_limit_s"):
        SolverOptions(time_limit_s=0)
    with pytest.raises(ConfigError, match="mip_gap"):
        SolverOptions(mip_gap=1.5)
