"""``panhuo map``: the web map of an analysis, a plan or a raw parcel layer (contract.md §7)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from geo.errors import InputError, NotFoundError


def register(app: typer.Typer) -> None:
    """Add the ``map`` command to the CLI."""

    @app.command("map")
    def map_command(
        source: Annotated[
            Path,
            typer.Argument(
                help="分析输出目录、analyze 的 parcels.gpkg、方案输出目录，或原始地块图层 "
                "(analysis dir, parcels.gpkg, plan dir or a raw parcel layer)",
            ),
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="输出 HTML 文件 (output map.html)")],
        basemap: Annotated[str, typer.Option("--basemap", help="底图 none|tianditu|gaode|osm")] = "none",
        offline: Annotated[
            bool, typer.Option("--offline", help="内联全部脚本、样式和图标（内网离线可用）")
        ] = False,
        tianditu_key: Annotated[
            str | None, typer.Option("--tianditu-key", help="天地图密钥 tk（默认读环境变量 TIANDITU_KEY）")
        ] = None,
        imagery: Annotated[bool, typer.Option("--imagery", help="天地图影像底图（默认矢量）")] = False,
        layer: Annotated[
            str | None, typer.Option("--layer", help="原始图层的图层名 (layer of a raw file)")
        ] = None,
        crs: Annotated[str | None, typer.Option("--crs", help="图层缺少坐标系时指定，如 EPSG:4546")] = None,
        max_features: Annotated[int | None, typer.Option("--max-features", help="最多绘制的地块数")] = None,
        columns: Annotated[
            Path | None,
            typer.Option(
                "--columns",
                help="原始图层的列映射文件 column mapping MAP.yaml for a raw layer (docs/ingest.md)",
            ),
        ] = None,
    ) -> None:
        """生成网页地图 / write the web map (HTML) of an analysis, a plan or a parcel layer."""
        from geo.columns import load_columns
        from maps import results
        from maps.basemaps import get_basemap
        from maps.web import analysis_map, plan_map, save_map

        key = tianditu_key or os.environ.get("TIANDITU_KEY")
        mapping = load_columns(columns) if columns is not None else None
        # validate the basemap (and the key) before reading or writing anything
        get_basemap(basemap, tianditu_key=key, imagery=imagery)
        if not source.exists():
            raise NotFoundError(f"找不到输入 {source} (no such file or directory)")
        options: dict[str, Any] = {"basemap": basemap, "tianditu_key": key, "imagery": imagery}
        if mapping is not None and (
            results.is_plan_dir(source) or results.is_analysis_dir(source) or results.is_analysis_file(source)
        ):
            raise InputError(
                f"--columns: {source} 是分析或方案的输出，其字段已是标准字段 / is an analysis or plan output "
                "whose columns are canonical already; --columns applies to a raw parcel layer"
            )
        if results.is_plan_dir(source):
            plan = results.load_plan(source)
            m = plan_map(plan.layers, plan.plan, **options)
            what = f"方案 {plan.name}"
        elif results.is_analysis_dir(source) or results.is_analysis_file(source):
            analysis = results.load_analysis(source)
            m = analysis_map(analysis.parcels, analysis.indicators, max_features=max_features, **options)
            what = f"分析结果 {analysis.source}"
        else:
            parcels = results.read_parcel_layer(source, layer=layer, crs=crs, columns=mapping)
            m = analysis_map(
                parcels, None, max_features=max_features, title=f"地块图层：{source.name}", **options
            )
            what = f"地块图层 {source}"
        written = save_map(m, out, offline=offline)
        size_mb = written.stat().st_size / 1e6
        mode = "，离线 offline" if offline else ""
        typer.echo(f"地图已写入 map written: {written}（{size_mb:.1f} MB{mode}）← {what}")
