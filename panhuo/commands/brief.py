"""``panhuo brief``: the 一事一议 briefing (PDF, optional PNG pages) of an analysis or a plan (§7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the ``brief`` command to the CLI."""

    @app.command(
        "brief",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
    )
    def brief_command(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("--out", "-o", help="输出 PDF (output briefing.pdf)")],
        analysis: Annotated[
            Path | None, typer.Option("--analysis", metavar="DIR", help="panhuo analyze 的输出目录")
        ] = None,
        plan: Annotated[
            list[Path] | None,
            typer.Option("--plan", metavar="DIR", help="panhuo plan 的输出目录（可重复，每个方案一页）"),
        ] = None,
        parcels: Annotated[
            list[str] | None,
            typer.Option(
                "--parcels",
                metavar="ID",
                help="要简报的地块编号：--parcels A B C 或 --parcels A,B（默认：闲置土地，再低效用地）",
            ),
        ] = None,
        group: Annotated[
            list[str] | None,
            typer.Option(
                "--group",
                metavar="idle|low",
                help="不给 --parcels 时简报的地块组：idle（闲置）、low（低效），可重复；默认两组",
            ),
        ] = None,
        png: Annotated[bool, typer.Option("--png", help="同时输出每页 PNG（<名>-1.png …）")] = False,
        paper: Annotated[str, typer.Option("--paper", help="纸张 A4 或 A3")] = "A4",
        title: Annotated[str | None, typer.Option("--title", help="标题（默认 一事一议 地块简报）")] = None,
        source: Annotated[str | None, typer.Option("--source", help="数据来源说明（默认为输入目录）")] = None,
        date: Annotated[str | None, typer.Option("--date", help="简报日期 YYYY-MM-DD（默认今天）")] = None,
    ) -> None:
        """生成一事一议简报 / write the briefing PDF of an analysis or a plan."""
        from maps import results
        from maps.briefing import BriefingText, build_briefing

        # `--parcels A B C`: click takes A, the rest arrive as extra arguments
        extra = list(ctx.args)
        if extra and not parcels:
            raise InputError(f"无法识别的参数 unexpected arguments: {' '.join(extra)}")
        ids = [p.strip() for item in [*(parcels or []), *extra] for p in item.split(",") if p.strip()]
        if parcels is not None and not ids:
            raise InputError("--parcels 没有给出地块编号 (empty selection)")
        if (analysis is None) == (not plan):
            raise InputError(
                "请只给出 --analysis DIR 或 --plan DIR 之一 (give exactly one of --analysis or --plan)"
            )
        day = None
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError as error:
                raise InputError(f"--date {date!r} 不是 YYYY-MM-DD 日期") from error
        if analysis is not None:
            written = build_briefing(
                out=out,
                analysis=results.load_analysis(analysis),
                parcel_ids=ids or None,
                groups=tuple(group) if group else ("idle", "low"),
                png=png,
                paper=paper,
                text=BriefingText(title=title, source=source, date=day),
            )
        else:
            if ids:
                raise InputError("--parcels 只用于 --analysis 简报 (--parcels applies to analysis briefings)")
            written = build_briefing(
                out=out,
                plans=[results.load_plan(p) for p in plan or []],
                png=png,
                paper=paper,
                text=BriefingText(title=title, source=source, date=day),
            )
        typer.echo(f"简报已写入 briefing written: {written.pdf}（{written.pages} 页）")
        for page in written.pngs:
            typer.echo(f"  PNG: {page}")
