"""``panhuo plan``: a revitalisation / facility plan from a scenario file (contract §6).

A thin door over :func:`optimizer.plan.run_plan` and :func:`maps.products.write_plan`; the
trade-off options run :mod:`optimizer.frontier` instead of a single plan (written by
:func:`maps.products.write_tradeoff`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.errors import ConfigError


def summary_lines(plan: dict, written: list[Path]) -> list[str]:
    """Return the console summary of one plan, in Chinese."""
    lines = [f"panhuo plan「{plan['name']}」: {plan['status_zh']} ({plan['status']})"]
    if plan.get("objective") is not None:
        gap = plan.get("mip_gap")
        lines.append(
            f"  目标 {plan['objective_name']} = {plan['objective']:,.4g}"
            + (f"，间隙 gap {gap:.3%}" if gap is not None else "")
        )
    if plan.get("coverage_ratio") is not None:
        lines.append(f"  需求覆盖率 coverage {plan['coverage_ratio']:.1%}")
        for t, c in plan.get("coverage_by_type", {}).items():
            if c["ratio"] is not None:
                lines.append(f"    {t}: {c['ratio']:.1%}（{c['covered']:,.0f} / {c['total']:,.0f}）")
    if plan.get("total_cost_wan") is not None:
        lines.append(f"  总费用 cost {plan['total_cost_wan']:,.1f} 万元")
    if plan.get("net_return_wan") is not None:
        lines.append(f"  净收益 net return {plan['net_return_wan']:,.1f} 万元")
    for act, v in sorted(plan.get("land_by_action", {}).items()):
        lines.append(f"  {act}: {v['count']} 宗 {v['area_mu']:,.2f} 亩")
    lines.append(
        f"  建模 build {plan['build_seconds']:.1f} s，求解 solve {plan['solve_seconds']:.1f} s"
        f"（{plan['solver']['name']}）"
    )
    for d in plan.get("diagnosis", []):
        lines.append(f"  诊断 {d['rule']}: {d['message']}")
    for w in plan.get("warnings", []):
        lines.append(f"  注意 {w}")
    lines += [f"  → {p}" for p in written]
    return lines


def frontier_lines(rows: list[dict]) -> list[str]:
    """Return the console summary of a frontier table, in Chinese."""
    from optimizer.frontier import TERMS

    a, b = str(rows[0]["pair"]).split(":")
    goal = "最大化 maximise" if TERMS[a][0] else "最小化 minimise"
    bound = "≥" if TERMS[b][0] else "≤"
    lines = [f"panhuo plan --frontier {a}:{b}: {goal} {a}，{b} {bound} ε（ε 约束法），{len(rows)} 个点"]
    for r in rows:
        value = r["objective"]
        text = "—" if value is None else f"{value:,.4g}"
        flag = "（被支配 dominated）" if r["dominated"] else ""
        lines.append(f"  ε={r['epsilon']:,.4g}  {a}={text}  {r['status']}{flag}")
    return lines


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the CLI."""

    @app.command("plan")
    def plan(
        scenario: Annotated[Path, typer.Argument(help="情景文件 scenario YAML")],
        out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")],
        solver: Annotated[str | None, typer.Option("--solver", help="求解器 cbc | highs")] = None,
        time_limit: Annotated[
            float | None, typer.Option("--time-limit", help="求解时限（秒） solver time limit, seconds")
        ] = None,
        frontier: Annotated[
            str | None,
            typer.Option(
                "--frontier",
                help="权衡前沿 ε-constraint frontier A:B (optimise A, bound B): coverage, cost, "
                "net_return (revitalise); coverage, cost, facilities (max_coverage)",
            ),
        ] = None,
        steps: Annotated[int, typer.Option("--steps", help="前沿点数 frontier points")] = 5,
        budget_sweep: Annotated[
            str | None,
            typer.Option(
                "--budget-sweep", help="预算扫描 budgets in 万元, comma-separated, e.g. 2000,5000,10000"
            ),
        ] = None,
        extras: Annotated[
            str | None,
            typer.Option(
                "--extras",
                help="额外成果 also write, comma-separated: briefing (briefing.pdf), geojson "
                "(plan.geojson) — what the service writes for every plan (map.html is always written)",
            ),
        ] = None,
    ) -> None:
        """盘活与公共设施布局优化 Plan revitalisation and public facilities from a scenario (contract §6)."""
        from maps.products import Products, write_plan
        from optimizer.plan import run_plan
        from optimizer.scenario import load_scenario

        if solver is not None and solver not in ("cbc", "highs"):
            raise ConfigError(f"--solver {solver!r}: 可选 allowed: cbc, highs")
        if time_limit is not None and not time_limit > 0:
            raise ConfigError(f"--time-limit {time_limit}: 必须大于 0 秒 must be > 0 seconds")
        wanted = Products.parse(extras, default=("map",), source="panhuo plan")
        sc, base = load_scenario(scenario)
        if frontier is not None or budget_sweep is not None:
            from maps.products import write_tradeoff
            from optimizer.frontier import budget_table, frontier_table

            if frontier is not None:
                table = frontier_table(sc, base, frontier, steps, solver=solver, time_limit_s=time_limit)
                name = "frontier_" + str(table[0]["pair"]).replace(":", "_")
                for line in frontier_lines(table):
                    typer.echo(line)
            else:
                try:
                    budgets = [float(b) for b in budget_sweep.split(",") if b.strip()]  # type: ignore[union-attr]
                except ValueError:
                    raise ConfigError(
                        f"--budget-sweep {budget_sweep!r}: 应为逗号分隔的数字 numbers"
                    ) from None
                table = budget_table(sc, base, budgets, solver=solver, time_limit_s=time_limit)
                name = "budget_sweep"
            for p in write_tradeoff(table, out, name):
                typer.echo(f"  → {p}")
            return
        result = run_plan(sc, base, solver=solver, time_limit_s=time_limit)
        written = write_plan(result, out, wanted)
        for line in summary_lines(result.plan, written):
            typer.echo(line)
        if "briefing_note" in result.plan:
            typer.echo(f"  注意 未生成简报 no briefing: {result.plan['briefing_note']}")
        if result.plan["status"] in ("infeasible", "no_solution"):
            raise typer.Exit(3)
