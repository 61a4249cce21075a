"""Run HiGHS on an MPS file in a child process and write the answer as JSON.

Called by :mod:`optimizer.solvers` as ``python _highs_child.py MPS OUT TIME_LIMIT GAP THREADS`` so
that a HiGHS run, like a CBC run, lives in its own process group that a watchdog can kill.
The MPS file is always a minimisation (the caller negates a maximisation).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    """Solve ``argv[0]`` and write status, objective, bound, gap and nonzero values to ``argv[1]``."""
    import highspy

    mps, out, time_limit, gap, threads = argv[0], argv[1], float(argv[2]), float(argv[3]), int(argv[4])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("threads", threads)
    if time_limit > 0:
        h.setOptionValue("time_limit", time_limit)
    h.readModel(mps)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    answer: dict[str, object] = {
        "model_status": status,
        "has_solution": bool(has_solution),
        "objective": float(info.objective_function_value) if has_solution else None,
        "bound": float(info.mip_dual_bound),
        "mip_gap": float(info.mip_gap),
        "version": h.version(),
        "values": {},
    }
    if has_solution:
        names = h.getLp().col_names_
        values = h.getSolution().col_value
        answer["values"] = {n: float(v) for n, v in zip(names, values, strict=True) if abs(v) > 1e-9}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(answer, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
