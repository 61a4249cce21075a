"""Read what ``panhuo analyze`` and ``panhuo plan`` wrote, for maps and briefings (contract.md §3, §6).

* an analysis directory: ``parcels.gpkg`` (layer ``parcels``) and ``indicators.json``;
* a plan directory: ``plan.json`` and ``plan.gpkg`` (layers ``parcels``/``candidates``, ``sites``,
  ``demand`` and, when the optimizer writes it, ``context``: all the park's parcels, drawn grey beneath
  the plan; optional ``frontier.csv`` and ``budget_sweep.csv`` for the charts). Without a ``context``
  layer, the park's parcel layer named in ``plan.json`` (``parcels_path``, optional ``parcels_layer``)
  is read instead when that file exists; otherwise the maps show the plan's own parcels only;
* a ``parcels.gpkg`` written by analyze, or a raw parcel layer (read with :func:`geo.io.read_parcels`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.errors import CRSError, InputError, NotFoundError
from geo.io import gdal_options

if TYPE_CHECKING:
    from geo.analysis import AnalysisResult

#: plan.gpkg layer name → role in :func:`maps.web.plan_map`
PLAN_LAYER_ROLES = {
    "parcels": "parcels",
    "candidates": "parcels",
    "plan": "parcels",
    "sites": "sites",
    "facilities": "sites",
    "demand": "demand",
    "context": "context",
    "park": "context",
}


@dataclass
class PlanResult:
    """The layers and ``plan.json`` of one plan run."""

    layers: dict[str, gpd.GeoDataFrame]
    plan: dict[str, Any]
    source: Path
    charts: dict[str, Path] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's name, or the directory's."""
        return str(self.plan.get("name") or self.source.name)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path} 不是有效的 JSON (is not valid JSON): {error}") from error
    if not isinstance(data, dict):
        raise InputError(f"{path} 应为 JSON 对象 (must hold a JSON object)")
    return data


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    if gdf.crs is None:
        raise CRSError(f"{path} 图层 {layer} 没有坐标系 (layer {layer!r} has no CRS)")
    return gdf


def is_analysis_dir(path: Path) -> bool:
    """Tell whether ``path`` is a directory holding an analysis ``parcels.gpkg``."""
    return path.is_dir() and (path / "parcels.gpkg").is_file()


def is_plan_dir(path: Path) -> bool:
    """Tell whether ``path`` is a directory holding a ``plan.json``."""
    return path.is_dir() and (path / "plan.json").is_file()


@gdal_options()  # result directories are whatever path the user names: read them hardened
def is_analysis_file(path: Path) -> bool:
    """Tell whether ``path`` is an analyze ``parcels.gpkg`` (layer ``parcels`` with ``idle_status``)."""
    if not (path.is_file() and path.suffix.lower() == ".gpkg"):
        return False
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        if "parcels" not in layers:
            return False
        fields = pyogrio.read_info(path, layer="parcels")["fields"]
    except pyogrio.errors.DataSourceError:
        return False
    return "idle_status" in set(fields)


@gdal_options()
def load_analysis(directory: str | Path) -> AnalysisResult:
    """Read an analysis output directory (or an analyze ``parcels.gpkg`` file) back into its result.

    The :class:`geo.analysis.AnalysisResult` read back has ``source`` set and no ``preset`` (the
    summary keeps its name, title and rule tests); ``summary`` is ``summary.json`` without its
    ``indicator_details``, which become the result's own; ``data_issues`` come from ``data_issues.csv``
    (empty when absent); ``as_of`` is the summary's (today when absent).

    Raises
    ------
    NotFoundError
        The directory has no ``parcels.gpkg``.

    """
    path = Path(directory)
    gpkg = path if path.suffix.lower() == ".gpkg" else path / "parcels.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(
            f"{path} 中没有 parcels.gpkg (no parcels.gpkg: is this a `panhuo analyze --out` directory?)"
        )
    layers = [name for name, _ in pyogrio.list_layers(gpkg)]
    layer = "parcels" if "parcels" in layers else layers[0]
    parcels = _read_layer(gpkg, layer)
    indicators_path = gpkg.parent / "indicators.json"
    indicators = _read_json(indicators_path) if indicators_path.is_file() else {}
    summary_path = gpkg.parent / "summary.json"
    summary = _read_json(summary_path) if summary_path.is_file() else {}
    details = summary.pop("indicator_details", None)
    from geo.analysis import AnalysisResult  # the rules stack, only when an analysis is read

    return AnalysisResult(
        parcels=parcels,
        indicators=indicators,
        preset=None,
        data_issues=_read_issues(gpkg.parent / "data_issues.csv"),
        summary=summary,
        indicator_details=details if isinstance(details, dict) else {},
        as_of=_as_of(summary.get("as_of")),
        source=gpkg.parent,
    )


def _read_issues(path: Path) -> pd.DataFrame:
    """Read ``data_issues.csv`` (Chinese headers) back with the column names of :data:`ISSUE_COLUMNS`."""
    from geo.export import ISSUE_HEADERS_ZH
    from geo.ingest_report import ISSUE_COLUMNS

    if not path.is_file():
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    issues = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return issues.rename(columns={zh: key for key, zh in ISSUE_HEADERS_ZH.items()})


def _as_of(value: object) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date.today()


@gdal_options()
def load_plan(directory: str | Path) -> PlanResult:
    """Read a plan output directory: ``plan.json`` and the layers of ``plan.gpkg``.

    Raises
    ------
    NotFoundError
        The directory has no ``plan.json``.

    """
    path = Path(directory)
    plan_json = path / "plan.json"
    if not plan_json.is_file():
        raise NotFoundError(
            f"{path} 中没有 plan.json (no plan.json: is this a `panhuo plan --out` directory?)"
        )
    plan = _read_json(plan_json)
    layers: dict[str, gpd.GeoDataFrame] = {}
    gpkg = path / "plan.gpkg"
    if gpkg.is_file():
        names = [name for name, _ in pyogrio.list_layers(gpkg)]
        for name in names:
            role = PLAN_LAYER_ROLES.get(name.lower())
            if role is None and len(names) == 1:
                role = "parcels"
            if role is not None and role not in layers:
                layers[role] = _read_layer(gpkg, name)
    if "context" not in layers:
        park = _park_layer(plan, path)
        if park is not None:
            layers["context"] = park
    charts = {
        key: path / filename
        for key, filename in (("frontier", "frontier.csv"), ("sweep", "budget_sweep.csv"))
        if (path / filename).is_file()
    }
    return PlanResult(layers, plan, path, charts)


def _park_layer(plan: dict[str, Any], directory: Path) -> gpd.GeoDataFrame | None:
    """Read the scenario's parcel layer named in ``plan.json`` (``parcels_path``, relative to the plan dir).

    Returns None when ``plan.json`` names none or the file is no longer there: the context is drawn
    only from real data, never guessed.
    """
    name = plan.get("parcels_path")
    if not isinstance(name, str) or not name:
        return None
    source = Path(name) if Path(name).is_absolute() else directory / name
    if not source.exists():
        return None
    layer = plan.get("parcels_layer")
    return read_parcel_layer(source, layer=layer if isinstance(layer, str) and layer else None)


def read_parcel_layer(
    path: str | Path, *, layer: str | None = None, crs: str | None = None, columns: Any = None
) -> gpd.GeoDataFrame:
    """Read a raw parcel layer through the project's ingest (:func:`geo.io.read_parcels`).

    ``columns`` is a :class:`geo.columns.ColumnMapping` (contract §2.1), applied as in ``analyze``.
    """
    from geo.io import read_parcels

    gdf, _report = read_parcels(str(path), layer=layer, crs=crs, columns=columns)
    return gdf
