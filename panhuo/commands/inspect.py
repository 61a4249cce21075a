"""``panhuo inspect``: what ingest sees in a parcel layer, before any analysis.

A thin door over :func:`geo.io.inspect_path`. It prints the layers, the CRS and how it was found,
the text encoding, the columns matched to the canonical schema (``--columns MAP.yaml`` first), a
suggestion for every unmatched column, and every problem (duplicate or missing ids, repaired or
empty geometries, values that could not be read). ``--write-columns MAP.yaml`` writes a draft column
mapping from the matches and suggestions, for the user to check and pass to ``analyze --columns``.

A GeoPackage with several layers and no ``--layer`` is listed layer by layer (geometry type,
features, whether it can be a parcel layer) instead of refused. Exit status 0 when the file could
be read — problems are listed, not fatal — and a one-line reason with status 2 when it cannot (not
found, wrong format, ambiguous encoding, no CRS, a column mapping that does not fit the file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import InputError


def _layer_listing(path: Path, as_json: bool) -> bool:
    """Print the layers of a multi-layer GeoPackage; ``False`` when the file has one layer."""
    from geo.io import list_layers

    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    layers = list_layers(path)
    if len(layers) < 2:
        return False
    if as_json:
        payload = {
            "path": str(path),
            "layer": None,
            "layers": [
                {"name": x.name, "geometry_type": x.geometry_type, "features": x.features, "role": x.role}
                for x in layers
            ],
            "message": "several layers: choose the parcel layer with --layer",
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return True
    typer.echo(f"文件 File: {path}")
    typer.echo(f"文件内有 {len(layers)} 个图层 The file holds {len(layers)} layers:")
    width = max(len(x.name) for x in layers)
    for x in layers:
        typer.echo(
            f"  {x.name:<{width}}  {x.geometry_type:<16} {x.features:>7} 个要素 features  — {x.role_zh}"
        )
    parcels = [x.name for x in layers if x.role == "parcels"]
    hint = f"，如 e.g. --layer {parcels[0]}" if parcels else ""
    typer.echo(f"请用 --layer 选择地块图层后再检查 choose the parcel layer with --layer{hint}")
    return True


def register(app: typer.Typer) -> None:
    """Add the ``inspect`` command to the panhuo app."""

    @app.command("inspect")
    def inspect(
        path: Annotated[
            Path, typer.Argument(help="地块图层文件 parcel layer (.gpkg/.shp/.zip/.geojson/.parquet/.fgb)")
        ],
        layer: str | None = typer.Option(
            None, "--layer", help="图层名 layer name (GeoPackage, or a .shp in a zip)"
        ),
        crs: str | None = typer.Option(
            None,
            "--crs",
            help="坐标系 EPSG code to use instead of the file's, e.g. 4525 (zone-prefixed) or 4546",
        ),
        encoding: str | None = typer.Option(
            None,
            "--encoding",
            help="Shapefile 文字编码 text encoding when detection reports a conflict, e.g. GBK",
        ),
        columns: Annotated[
            Path | None,
            typer.Option(
                "--columns",
                help="列映射文件 column mapping MAP.yaml (columns, values, land_use_scheme, "
                "industry_scheme; docs/ingest.md)",
            ),
        ] = None,
        write_columns: Annotated[
            Path | None,
            typer.Option(
                "--write-columns",
                help="写出列映射草稿 write a draft column mapping (matches + suggestions) to edit, "
                "then pass it to analyze --columns",
            ),
        ] = None,
        as_json: bool = typer.Option(False, "--json", help="输出 JSON print the report as JSON"),
    ) -> None:
        """检查地块图层：坐标系、编码、字段匹配与建议、问题 / report what ingest finds in a parcel layer."""
        from geo.columns import load_columns
        from geo.io import inspect_path
        from geo.suggest import draft_mapping

        mapping = load_columns(columns) if columns is not None else None
        if write_columns is not None and write_columns.exists():
            raise InputError(
                f"--write-columns {write_columns}: 文件已存在，不覆盖 / the file exists and is not "
                "overwritten; choose another name or delete it first"
            )
        if layer is None and _layer_listing(path, as_json):
            if write_columns is not None:
                raise InputError(
                    f"{path.name}: 文件内有多个图层，写草稿前请用 --layer 选择地块图层 / "
                    "several layers: choose the parcel layer with --layer to write a draft"
                )
            return
        report = inspect_path(path, layer=layer, crs=crs, encoding=encoding, columns=mapping)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(report.to_text())
        if write_columns is not None:
            matched = {m.source: m.canonical for m in report.columns_matched}
            unreadable: dict[str, list[str]] = {}
            for u in report.unreadable:
                unreadable.setdefault(u.column, []).append(u.raw)
            text = draft_mapping(matched, report.suggestions, Path(report.path).name, unreadable)
            write_columns.parent.mkdir(parents=True, exist_ok=True)
            tmp = write_columns.with_name(write_columns.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(write_columns)
            typer.echo(
                f"列映射草稿已写入 draft mapping written: {write_columns}（请核对后用于 analyze --columns）",
                err=as_json,
            )
