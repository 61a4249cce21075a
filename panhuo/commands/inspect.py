"""``panhuo inspect``: what ingest sees in a parcel layer, before any analysis.

A thin door over :func:`geo.io.inspect_path`. It prints the layers, the CRS and how it was found,
the text encoding, the columns matched to the canonical schema and every problem (duplicate or
missing ids, repaired or empty geometries, values that could not be read). Exit status 0 when the
file could be read — problems are listed, not fatal — and a one-line reason with a non-zero status
when it cannot (not found, wrong format, ambiguous encoding, no CRS, several layers and none
chosen).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


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
        as_json: bool = typer.Option(False, "--json", help="输出 JSON print the report as JSON"),
    ) -> None:
        """检查地块图层：图层、坐标系、编码、字段匹配与问题 / report what ingest finds in a parcel layer."""
        from geo.io import inspect_path

        report = inspect_path(path, layer=layer, crs=crs, encoding=encoding)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(report.to_text())
