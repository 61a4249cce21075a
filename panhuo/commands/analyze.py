"""``panhuo analyze``: idle and low-efficiency land, 亩均 grades and zone indicators of a parcel layer.

A thin door over :func:`geo.analysis.run_analysis` and :func:`maps.products.write_analysis` (contract §3:
the tables, the charts, and the ``--extras`` asked for).
The preset is loaded and validated first, so a bad preset is refused before anything is read.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from geo.errors import InputError

_RASTER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
#: layers at least this large get a progress bar even when stderr is not a terminal
LONG_RUN_PARCELS = 200_000


def parse_rasters(specs: list[str]) -> dict[str, Path]:
    """``NAME=PATH`` options → ``{name: path}``; names are letters, digits and ``_``; files must exist."""
    rasters: dict[str, Path] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        name = name.strip()
        if not sep or not path.strip():
            raise InputError(
                f"--raster {spec!r}: 应写作 NAME=PATH，例如 ndvi=data/ndvi.tif (expected NAME=PATH)"
            )
        if not _RASTER_NAME.match(name):
            raise InputError(
                f"--raster {spec!r}: 名称 {name!r} 只能含字母、数字和下划线且以字母开头 "
                "(name must be letters, digits and _ starting with a letter)"
            )
        if name in rasters:
            raise InputError(f"--raster {name}: 名称重复 (the name is given twice)")
        file = Path(path.strip())
        if not file.is_file():
            raise InputError(f"--raster {name}={file}: 栅格文件不存在 (raster file not found)")
        rasters[name] = file
    return rasters


def _mu(value: float) -> str:
    return f"{value:,.2f}"


def column_lines(columns: dict[str, Any]) -> list[str]:
    """Render the console lines on columns: the mapping used and the canonical columns absent.

    The rules left out for want of a column follow as the summary's ``rules_out_of_scope`` lines.
    """
    lines = []
    mapping = columns.get("mapping")
    if mapping:
        count = len(mapping.get("columns") or {})
        lines.append(
            f"  列映射 column mapping {mapping.get('source') or ''}：{count} 个字段，"
            f"land_use_scheme {mapping.get('land_use_scheme')}，"
            f"industry_scheme {mapping.get('industry_scheme')}"
        )
    missing = columns.get("missing") or []
    if missing:
        lines.append(
            f"  未找到的标准字段 canonical columns not found ({len(missing)}): " + "、".join(missing)
        )
    return lines


def summary_lines(result: Any, paths: dict[str, Path]) -> list[str]:
    """Render the console summary: counts, 亩 and fees in 万元, in Chinese."""
    from geo.vocab import IDLE_STATUS_LABELS_ZH as STATUS_LABELS_ZH
    from geo.vocab import ZONE_TYPE_ZH

    s = result.summary
    lines = [
        f"panhuo analyze: {s['parcels']} 宗地块，合计 {_mu(s['area_mu'])} 亩"
        f"（评价日 {s['as_of']}，规则 {s['preset']}{'，暂行' if s['preset_provisional'] else ''}，"
        f"亩均方案 {s['mujun_scheme']}）",
        f"  闲置土地 {s['idle']['count']} 宗 {_mu(s['idle']['area_mu'])} 亩，"
        f"应征土地闲置费 {_mu(s['idle']['fee_wan'])} 万元"
        + (f"（{s['idle']['fee_unknown']} 宗缺土地价款未计）" if s["idle"]["fee_unknown"] else ""),
    ]
    for status, item in s["idle_status"].items():
        if item["count"]:
            lines.append(
                f"    {STATUS_LABELS_ZH[status]} {status}: {item['count']} 宗 {_mu(item['area_mu'])} 亩"
            )
    low = s["low_efficiency"]
    lines.append(
        f"  低效用地 {low['true']['count']} 宗 {_mu(low['true']['area_mu'])} 亩；"
        f"非低效 {low['false']['count']} 宗；"
        f"无法判定 {low['null']['count'] - low['not_applicable']['count']} 宗"
        "（有规则未评价，见 low_eff_not_evaluated）；"
        f"不适用 {low['not_applicable']['count']} 宗（如未供地）"
    )
    fired = [f"{k} {v['count']}" for k, v in s["reasons"].items() if v["count"]]
    if fired:
        lines.append("    原因 reasons: " + "，".join(fired))
    lines += column_lines(s.get("columns") or {})
    for item in s.get("rules_out_of_scope", []):
        lines.append(f"  不在评价范围 out of scope: {item['rule']}（{item['why_zh']}）")
    classes = s["mujun_classes"]
    lines.append("  亩均效益分类 " + " / ".join(f"{k} {v}" for k, v in classes.items()))
    ind = result.indicators
    score = ind.get("intensity_score")
    lines.append(
        f"  开发区类型 {ZONE_TYPE_ZH.get(ind.get('zone_type') or '', '未能判定')}，"
        f"集约度分值 {'—' if score is None else f'{score:.2f}'}"
    )
    for note in s.get("raster_notes", []):
        lines.append(f"  遥感栅格 raster {note}")
    if s["data_issues"]:
        lines.append(f"  数据问题 {s['data_issues']} 条（见 {paths['data_issues_csv'].name}）")
    lines.append(f"结果 results: {paths['parcels_gpkg'].parent}")
    for key in (
        "parcels_gpkg",
        "parcels_csv",
        "report_xlsx",
        "indicators_json",
        "data_issues_csv",
        "status_png",
        "indicators_png",
        "map_html",
        "briefing_pdf",
        "parcels_geojson",
    ):
        if key not in paths:
            continue
        lines.append(f"  {paths[key]}")
    return lines


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the CLI."""

    @app.command("analyze")
    def analyze(
        parcels: Annotated[
            Path, typer.Argument(help="地块图层 parcel layer (GPKG, SHP/zip, GeoJSON, GeoParquet, FGB)")
        ],
        out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")],
        layer: Annotated[
            str | None, typer.Option("--layer", help="图层名 layer name (GeoPackage, zip)")
        ] = None,
        crs: Annotated[
            str | None, typer.Option("--crs", help="坐标系 EPSG code when the file has none, e.g. 4525")
        ] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="评价日期 YYYY-MM-DD (default: today)")
        ] = None,
        rules: Annotated[
            str,
            typer.Option(
                "--rules", help="规则预设 national | zhejiang-jinhua | guangxi-provisional | path.yaml"
            ),
        ] = "national",
        raster: Annotated[
            list[str] | None,
            typer.Option("--raster", help="遥感栅格 NAME=PATH, repeatable (ndvi=..., builtup=...)"),
        ] = None,
        columns: Annotated[
            Path | None,
            typer.Option(
                "--columns",
                help="列映射文件 column mapping MAP.yaml: columns, values, land_use_scheme, industry_scheme "
                "(draft: panhuo inspect --write-columns; docs/ingest.md)",
            ),
        ] = None,
        progress: Annotated[
            bool | None,
            typer.Option(
                "--progress/--no-progress", help="进度条 progress bar (default: on a terminal or long runs)"
            ),
        ] = None,
        extras: Annotated[
            str | None,
            typer.Option(
                "--extras",
                help="额外成果 also write, comma-separated: map (map.html), briefing (briefing.pdf), "
                "geojson (parcels.geojson) — what the service writes for every analysis",
            ),
        ] = None,
    ) -> None:
        """闲置与低效用地认定、亩均效益评价和开发区集约利用指标 Analyse a parcel layer (contract §3)."""
        from geo.analysis import parse_as_of, run_analysis
        from geo.columns import load_columns
        from geo.io import read_parcels
        from geo.rules.presets import load_preset
        from maps.products import Products, write_analysis

        wanted = Products.parse(extras, source="panhuo analyze")
        preset = load_preset(rules)
        mapping = load_columns(columns) if columns is not None else None
        rasters = parse_rasters(raster or [])
        day = parse_as_of(as_of)
        epsg: Any = None
        if crs is not None:
            text = crs.strip().upper().removeprefix("EPSG:")
            epsg = int(text) if text.isdigit() else crs
        gdf, report = read_parcels(parcels, layer=layer, crs=epsg, columns=mapping)
        show = progress if progress is not None else (sys.stderr.isatty() or len(gdf) >= LONG_RUN_PARCELS)
        bar = None
        if show:
            from tqdm import tqdm

            bar = tqdm(total=100, file=sys.stderr, desc="analyze", unit="%", leave=False)

        def tick(step: str, fraction: float) -> None:
            # the analysis takes the first 80 % of the bar, writing the files the rest
            if bar is not None:
                bar.set_postfix_str(step)
                bar.update(max(0, round(fraction * 80) - bar.n))

        try:
            result = run_analysis(gdf, as_of=day, rules=preset, rasters=rasters, progress=tick, ingest=report)
            tick("export", 1.0)
            paths, notes = write_analysis(result, out, wanted)
            if bar is not None:
                bar.update(100 - bar.n)
        finally:
            if bar is not None:
                bar.close()
        if report.crs_epsg or report.encoding:
            typer.echo(
                f"读取 read: {parcels}（{len(gdf)} 宗"
                + (f"，坐标系 EPSG:{report.crs_epsg}" if report.crs_epsg else "")
                + (f"，编码 {report.encoding}" if report.encoding else "")
                + "）"
            )
        for line in summary_lines(result, paths):
            typer.echo(line)
        for note in notes:
            typer.echo(f"  注意 {note}")
