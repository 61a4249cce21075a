"""The products floor: every file a run produces, written in one place for every door.

The floors of panhuo, in data-flow order (docs/architecture.md)::

    geo → optimizer → maps (render) → maps.products → doors (panhuo CLI, api service)

The analysis (:func:`geo.analysis.run_analysis`) and the optimizer (:func:`optimizer.plan.run_plan`,
:mod:`optimizer.frontier`, :mod:`optimizer.compare`) return typed values and write nothing; the
render modules (:mod:`maps.web`, :mod:`maps.charts`, :mod:`maps.briefing`) build maps and figures.
This module turns those values into files: the CLI and the service worker both call it, so the
same request gives the same set of files from either door.

Which optional files a request asks for is a :class:`Products` value: the CLI builds it from
``--extras``, the service asks for all of them (its routes serve ``map.html``, ``briefing.pdf``
and the GeoJSON layers).

Files (contract §3 and §6, plus panhuo's own):

* analysis: ``parcels.gpkg``, ``parcels.csv``, ``report.xlsx``, ``indicators.json``,
  ``data_issues.csv`` (:func:`geo.export.write_outputs`), ``status.png``, ``indicators.png``;
  extras ``map.html``, ``briefing.pdf``, ``parcels.geojson``;
* plan: ``plan.json``, ``plan.gpkg``, ``map.html`` (on by default for a plan); extras
  ``briefing.pdf``, ``plan.geojson``;
* trade-offs: ``<name>.csv`` and ``<name>.png`` (``frontier.csv`` for the coverage–cost frontier);
* comparisons: one plan folder per scenario, ``compare.csv``, ``compare.json``, ``map.html``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import ConfigError, InputError

#: the optional products a request may ask for, by the name ``--extras`` takes
EXTRAS = ("map", "briefing", "geojson")


@dataclass(frozen=True)
class Products:
    """Which optional files to write beside the tables (see the module docstring)."""

    web_map: bool = False
    briefing: bool = False
    geojson: bool = False
    #: who made the files (the briefing's footer)
    source: str = "panhuo"

    @classmethod
    def parse(cls, text: str | None, *, default: Iterable[str] = (), source: str = "panhuo") -> Products:
        """Return the products ``default`` plus the comma-separated names in ``text`` (``--extras``).

        >>> Products.parse("briefing, geojson", default=("map",))
        Products(web_map=True, briefing=True, geojson=True, source='panhuo')
        """
        names = set(default)
        for name in (text or "").split(","):
            name = name.strip()
            if not name:
                continue
            if name not in EXTRAS:
                raise ConfigError(
                    f"--extras {text!r}: 未知成果 unknown product {name!r}; 可选 allowed: {', '.join(EXTRAS)}"
                )
            names.add(name)
        return cls(
            web_map="map" in names, briefing="briefing" in names, geojson="geojson" in names, source=source
        )

    @classmethod
    def everything(cls, source: str = "panhuo") -> Products:
        """All optional products (what the service asks for)."""
        return cls(web_map=True, briefing=True, geojson=True, source=source)


# ------------------------------------------------------------------------------------ analysis


def write_analysis(
    result: Any, out: Path, products: Products = Products()
) -> tuple[dict[str, Path], list[str]]:
    """Write the files of one analysis; return them by key, and notes on what was left out.

    ``result`` is a :class:`geo.analysis.AnalysisResult`. The tables come first (contract §3),
    then the charts, then the extras the request asked for. A briefing with nothing to brief (no
    idle or low-efficiency parcel) is left out with a note; the analysis stands.
    """
    from geo.export import write_outputs

    out.mkdir(parents=True, exist_ok=True)
    paths = dict(write_outputs(result, out))
    paths.update(write_charts(result, out))
    notes: list[str] = []
    if products.geojson:
        paths["parcels_geojson"] = _geojson(result.parcels, out / "parcels.geojson")
    if products.web_map or products.briefing:
        from maps.results import load_analysis

        loaded = load_analysis(out)
        if products.web_map:
            from maps.web import analysis_map, save_map

            paths["map_html"] = save_map(
                analysis_map(loaded.parcels, loaded.indicators), out / "map.html", offline=True
            )
        if products.briefing:
            from maps.briefing import BriefingText, build_briefing

            try:
                paths["briefing_pdf"] = build_briefing(
                    out=out / "briefing.pdf", analysis=loaded, text=BriefingText(source=products.source)
                ).pdf
            except InputError as error:
                notes.append(str(error))
    return paths, notes


def write_charts(result: Any, out: Path) -> dict[str, Path]:
    """Write the charts people would rather look at than read, beside the tables.

    ``status.png``: parcels (宗) and area (亩) by idle status and by low-efficiency reason;
    ``indicators.png``: each zone indicator's standardised score against the preset's ideal value
    for the zone's type (TD/T 1029 ideal-value method). A chart with nothing to show is left out.
    """
    from maps.charts import indicator_profile, status_chart
    from maps.web import write_atomic

    written: dict[str, Path] = {}
    figures = {"status_png": ("status.png", lambda: status_chart(result.parcels))}
    zone_type = result.indicators.get("zone_type")
    scores = result.preset_used.rules.indicators.scores.get(zone_type) if zone_type else None
    if scores:
        ideal = {key: item.ideal for key, item in scores.items()}
        figures["indicators_png"] = ("indicators.png", lambda: indicator_profile(result.indicators, ideal))
    for key, (name, build) in figures.items():
        try:
            figure = build()
        except InputError:
            continue
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
        written[key] = write_atomic(out / name, buffer.getvalue())
    return written


def _geojson(frame: Any, path: Path) -> Path:
    """Write a layer as GeoJSON in WGS 84 (RFC 7946)."""
    frame.to_crs(4326).to_file(path, driver="GeoJSON")
    return path


# ------------------------------------------------------------------------------------ plans

#: the plan's layers written as GeoJSON (WGS 84) with the ``geojson`` extra: the candidates and their
#: actions, the facility sites, the demand points (covered or not, by which site) and the park's
#: other parcels (context) — what a browser map of the plan draws (the workbench does)
PLAN_GEOJSON = {
    "parcels": "plan.geojson",
    "sites": "plan_sites.geojson",
    "demand": "plan_demand.geojson",
    "context": "plan_context.geojson",
}


def write_plan(output: Any, out: Path, products: Products = Products(web_map=True)) -> list[Path]:
    """Write ``plan.json``, ``plan.gpkg`` and the map (by default) of one :class:`optimizer.plan.PlanOutput`.

    The layers and the map exist only for a plan with a solution; ``plan.json`` always. A
    briefing with nothing to brief is left out and said in ``output.plan["briefing_note"]`` (after
    ``plan.json`` is written, so the file's keys stay exactly those of :class:`PlanReport`).
    """
    out.mkdir(parents=True, exist_ok=True)
    written = [_plan_json(output.plan, out / "plan.json")]
    if not output.layers:
        return written
    gpkg = out / "plan.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    for name, layer in output.layers.items():
        layer.to_file(gpkg, layer=name, driver="GPKG")
    written.append(gpkg)
    if products.web_map:
        from maps.web import plan_map, save_map

        written.append(save_map(plan_map(output.layers, output.plan), out / "map.html", offline=True))
    if products.geojson:
        for name, filename in PLAN_GEOJSON.items():
            layer = output.layers.get(name)
            if layer is not None and layer.crs is not None:
                written.append(_geojson(layer, out / filename))
    if products.briefing:
        from maps.briefing import BriefingText, build_briefing
        from maps.results import load_plan

        try:
            written.append(
                build_briefing(
                    out=out / "briefing.pdf",
                    plans=[load_plan(out)],
                    text=BriefingText(source=products.source),
                ).pdf
            )
        except InputError as error:
            output.plan["briefing_note"] = str(error)
    return written


def _plan_json(plan: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(plan, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")
    return path


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


# ------------------------------------------------------------------------------------ trade-offs


def write_tradeoff(rows: list[dict], out: Path, name: str) -> list[Path]:
    """Write a frontier or sweep table as CSV (UTF-8 with BOM) and its chart as PNG.

    ``frontier_coverage_cost`` and ``budget_sweep`` are drawn by :func:`maps.charts.frontier_chart`
    / :func:`maps.charts.sweep_chart` (Chinese labels in the bundled font); the coverage–cost
    frontier is also written as ``frontier.csv`` (non-dominated points only), the name
    :mod:`maps.results` reads for the briefing. Other pairs get :func:`maps.charts.pair_chart`.
    """
    from maps.charts import frontier_chart, pair_chart, sweep_chart

    out.mkdir(parents=True, exist_ok=True)
    written = [_csv(rows, out / f"{name}.csv")]
    png = out / f"{name}.png"
    frame = pd.DataFrame(rows)
    if "dominated" in frame:
        frame = frame[~frame["dominated"].astype(bool)]
    if name == "budget_sweep":
        figure = sweep_chart(frame.astype({"objective": float, "coverage_ratio": float}))
        figure.savefig(png, dpi=120)
    elif name == "frontier_coverage_cost":
        frontier_chart(frame.astype({"coverage": float, "cost_wan": float})).savefig(png, dpi=120)
    else:
        pair_chart(frame).savefig(png)
    written.append(png)
    if name == "frontier_coverage_cost":
        written.append(_csv(frame.to_dict("records"), out / "frontier.csv"))
    return written


def _csv(rows: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


# ------------------------------------------------------------------------------------ comparisons


def write_comparison(comparison: Any, out: Path) -> tuple[list[Path], list[str]]:
    """Write an :class:`optimizer.compare.Comparison`: a plan folder per scenario, the table, the map.

    Returns the files and the console lines (notes on what was left out at the end).
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for slug, output in zip(comparison.slugs, comparison.outputs, strict=True):
        written += write_plan(output, out / slug, Products())
    csv_path = out / "compare.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(comparison.rows)
    written.append(csv_path)
    js = out / "compare.json"
    js.write_text(
        json.dumps(comparison.summary(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    written.append(js)
    lines = comparison.lines()
    solved = comparison.solved()
    if len(solved) >= 2:
        from maps.web import compare_map, save_map

        written.append(save_map(compare_map(solved), out / "map.html", offline=True))
    else:
        lines.append("  注意：可比较的有解方案少于两个，未生成比较地图 (fewer than two solved plans; no map)")
    return written, lines
