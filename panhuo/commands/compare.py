"""``panhuo compare``: run several scenarios and put them side by side (contract §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the CLI."""

    @app.command("compare")
    def compare(
        scenarios: Annotated[
            list[Path], typer.Argument(help="两个或以上情景文件 two or more scenario YAMLs")
        ],
        out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")],
        solver: Annotated[str | None, typer.Option("--solver", help="求解器 cbc | highs")] = None,
        time_limit: Annotated[
            float | None,
            typer.Option("--time-limit", help="每个情景的求解时限（秒） time limit per scenario"),
        ] = None,
    ) -> None:
        """方案比较 Run several scenarios; write compare.csv, compare.json and a comparison map."""
        from maps.products import write_comparison
        from optimizer.compare import run_comparison

        comparison = run_comparison(scenarios, solver=solver, time_limit_s=time_limit)
        written, lines = write_comparison(comparison, out)
        for line in lines:
            typer.echo(line)
        for p in written:
            typer.echo(f"  → {p}")
