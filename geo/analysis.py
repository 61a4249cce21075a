"""The analysis orchestrator: rules, 亩均 grading and zone indicators for a parcel layer.

:func:`run_analysis` is the one entry point the CLI (``panhuo analyze``), the API service and the
optimizer call. It loads and validates the rules preset first (a bad preset is refused before
anything runs), joins the zonal statistics of any rasters, runs the data-quality checks, then the
idle-land rules, the low-efficiency rules, the 亩均效益 grading and the zone indicators — all column
arithmetic — and returns a frozen :class:`AnalysisResult`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import CRSError, InputError, SchemaError
from geo.indicators import ZoneIndicators, compute_indicators
from geo.ingest_report import ISSUE_COLUMNS, IngestReport
from geo.rules.facts import Facts, check_data
from geo.rules.idle import STATUSES, evaluate_idle, idle_out_of_scope
from geo.rules.low_efficiency import derived_metrics, evaluate_low_efficiency, threshold_texts
from geo.rules.mujun import grade_mujun
from geo.rules.presets import REASON_CODES, Preset, load_preset
from geo.schema import CANONICAL_COLUMNS
from geo.units import M2_PER_MU
from geo.vocab import IDLE_CLASSES

#: computed per-parcel columns, in output order (contract §3 first, then panhuo's own)
RESULT_COLUMNS: tuple[str, ...] = (
    "area_m2",
    "area_mu",
    "far",
    "building_coef",
    "admin_ratio",
    "green_ratio",
    "invest_intensity",
    "tax_per_mu",
    "idle_status",
    "idle_basis",
    "idle_fee_wan",
    "low_efficiency",
    "low_eff_reasons",
    "mujun_score",
    "mujun_class",
    "low_eff_not_evaluated",
    "mujun_group",
    "far_min",
    "zone_category",
    "supply_category",
)

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis run produced.

    Attributes
    ----------
    parcels
        Every input parcel with its original attributes and the computed columns
        (:data:`RESULT_COLUMNS`, plus ``rs_<name>_*`` for each raster).
    indicators
        The zone indicators with exactly the keys of contract §5.
    preset
        The rules preset used (with its provenance and the 亩均 scheme); None for a result read
        back from an output directory (:func:`maps.results.load_analysis`): a preset may have been a
        rules document that cannot be reopened, and ``summary`` keeps its name, title and rule tests.
    data_issues
        Data-quality findings: ``parcel_id, column, value, problem``.
    summary
        Counts, areas (亩) and fees by idle status, reason and class.
    indicator_details
        The working behind the indicators (category areas, standardised scores, gaps).
    as_of
        The evaluation date.
    source
        The output directory the result was read from (None for a fresh run).

    """

    parcels: gpd.GeoDataFrame
    indicators: dict[str, Any]
    preset: Preset | None
    data_issues: pd.DataFrame
    summary: dict[str, Any]
    indicator_details: dict[str, Any] = field(default_factory=dict)
    as_of: dt.date = field(default_factory=dt.date.today)
    source: Path | None = None

    @property
    def preset_used(self) -> Preset:
        """The preset the result was made with (writing the analysis's files needs it).

        Raises
        ------
        InputError
            For a result read back from files, which carries no preset.

        """
        if self.preset is None:
            raise InputError(
                f"分析结果 {self.source} 读自输出目录，不含规则预设，无法重新写出分析文件 "
                "(a result read back from files carries no preset; run the analysis again)"
            )
        return self.preset


def parse_as_of(value: str | dt.date | dt.datetime | None) -> dt.date:
    """Return the evaluation date from ``YYYY-MM-DD`` text or a date; ``None`` means today."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(
            f"--as-of {value!r}: 评价日期应为 YYYY-MM-DD 格式的有效日期 (expected a valid date)"
        ) from None


def _validate_layer(parcels: gpd.GeoDataFrame) -> None:
    if not isinstance(parcels, gpd.GeoDataFrame):
        raise SchemaError("parcels: 需要 GeoDataFrame (expected a GeoDataFrame with a geometry column)")
    if "parcel_id" not in parcels.columns:
        raise SchemaError("parcels: 缺少必需列 parcel_id（地块编号）(required column parcel_id is missing)")
    if parcels.crs is None:
        raise CRSError("parcels: 图层没有坐标系，无法计算面积 (layer has no CRS; areas cannot be computed)")
    if not parcels.crs.is_projected:
        raise CRSError(
            f"parcels: 坐标系 {parcels.crs.to_string()} 不是投影坐标系，面积须在米制投影下计算 "
            "(areas need a projected metric CRS, e.g. CGCS2000 3-degree Gauss–Krüger)"
        )
    ids = parcels["parcel_id"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(blank.to_numpy())[:5])
        raise SchemaError(
            f"parcel_id: {int(blank.sum())} 个地块缺少地块编号 (missing parcel ids at rows {rows})"
        )
    duplicated = ids.astype(str)[ids.astype(str).duplicated()]
    if len(duplicated):
        sample = ", ".join(pd.unique(duplicated)[:5])
        raise SchemaError(f"parcel_id: 地块编号重复 (duplicate parcel ids): {sample}")


def _zonal(parcels: gpd.GeoDataFrame, rasters: Mapping[str, str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Zonal statistics of every raster, and the notes each run left (reprojection, parcels outside…)."""
    from geo.zonal import zonal_stats

    frames = []
    notes: list[str] = []
    for name, path in rasters.items():
        frame = zonal_stats(parcels, path, name)
        notes += [f"{name}: {note}" for note in frame.attrs.get("notes", [])]
        frames.append(frame.reset_index(drop=True))
    if not frames:
        return pd.DataFrame(index=range(len(parcels))), notes
    joined = pd.concat(frames, axis=1)
    joined.attrs = {}
    return joined, notes


#: kinds of data_issues rows, counted in the summary: values ingest could not read, geometries
#: repaired, values read from ledger spellings or other code lists, and the data checks' findings
ISSUE_KINDS: tuple[str, ...] = ("unreadable", "geometry", "reading", "check")


def _unreadable_masks(rows: pd.DataFrame, parcel_ids: pd.Series) -> dict[str, np.ndarray]:
    """Column → mask of the parcels whose value ingest could not read."""
    unreadable = rows[rows["kind"] == "unreadable"]
    ids = parcel_ids.astype(str).to_numpy()
    return {
        str(column): np.isin(ids, group["parcel_id"].astype(str).to_numpy())
        for column, group in unreadable.groupby("column", sort=False)
    }


def _summary(frame: pd.DataFrame, preset: Preset, as_of: dt.date, issues: pd.DataFrame) -> dict[str, Any]:
    mu = frame["area_mu"]
    by_status = {
        status: {
            "count": int((frame["idle_status"] == status).sum()),
            "area_mu": float(mu[frame["idle_status"] == status].sum()),
        }
        for status in STATUSES
    }
    # count per distinct reason string (few), then split those
    grouped = frame.groupby(frame["low_eff_reasons"].fillna(""), sort=False)["area_mu"].agg(["count", "sum"])
    tally: dict[str, list[float]] = {}
    for text, row in grouped.iterrows():
        for token in str(text).split(";"):
            if token:
                item = tally.setdefault(token, [0, 0.0])
                item[0] += int(row["count"])
                item[1] += float(row["sum"])
    by_reason = {}
    for token in [*REASON_CODES, *sorted(t for t in tally if t.startswith("exempt:"))]:
        count, area = tally.get(token, [0, 0.0])
        by_reason[token] = {"count": int(count), "area_mu": float(area)}
    low = frame["low_efficiency"]
    no_rule = low.isna() & (frame["low_eff_not_evaluated"].fillna("") == "")
    idle_mask = frame["idle_status"].isin(IDLE_CLASSES)
    classes = frame["mujun_class"].value_counts().to_dict()
    return {
        "as_of": as_of.isoformat(),
        "preset": preset.name,
        "preset_title": preset.rules.title,
        "preset_provisional": preset.rules.provisional,
        "mujun_scheme": preset.mujun.name,
        "parcels": len(frame),
        "area_mu": float(mu.sum()),
        "idle": {
            "count": int(idle_mask.sum()),
            "area_mu": float(mu[idle_mask].sum()),
            "fee_wan": float(np.nansum(frame["idle_fee_wan"].to_numpy(dtype="float64"))),
            "fee_unknown": int(((frame["idle_status"] == "idle") & frame["idle_fee_wan"].isna()).sum()),
        },
        "idle_status": by_status,
        "low_efficiency": {
            "true": {"count": int((low == True).sum()), "area_mu": float(mu[low == True].sum())},  # noqa: E712
            "false": {"count": int((low == False).sum()), "area_mu": float(mu[low == False].sum())},  # noqa: E712
            "null": {"count": int(low.isna().sum()), "area_mu": float(mu[low.isna()].sum())},
            # null because no rule applies (e.g. unsupplied land), not because a fact is missing
            "not_applicable": {"count": int(no_rule.sum()), "area_mu": float(mu[no_rule].sum())},
        },
        "reasons": by_reason,
        "mujun_classes": {k: int(classes.get(k, 0)) for k in ("A", "B", "C", "D")},
        "data_issues": len(issues),
    }


def _columns_record(columns: Any, ingest: IngestReport | None) -> dict[str, Any]:
    """Record the columns a run used (contract §2.1): the mapping, the matches, the columns absent.

    The rules left out for want of a column are ``rules_out_of_scope`` beside it in the summary.
    """
    present = [str(c) for c in columns]
    return {
        "mapping": ingest.column_mapping if ingest is not None else None,
        "matched": [
            {"column": m.source, "canonical": m.canonical, "how": m.how}
            for m in (ingest.columns_matched if ingest is not None else ())
        ],
        "values_mapped": [
            {"column": v.column, "value": v.raw, "read_as": v.canonical, "count": v.count}
            for v in (ingest.values_mapped if ingest is not None else ())
        ],
        "missing": [c for c in CANONICAL_COLUMNS if c not in present],
    }


def run_analysis(
    parcels: gpd.GeoDataFrame,
    *,
    as_of: str | dt.date | None = None,
    rules: str | Path | Preset = "national",
    rasters: Mapping[str, str | Path] | None = None,
    progress: Progress | None = None,
    ingest: IngestReport | None = None,
    run_date: str | dt.date | None = None,
) -> AnalysisResult:
    """Analyse a parcel layer: idle status, low efficiency, 亩均 grade, zone indicators.

    Parameters
    ----------
    parcels
        Canonical parcel columns (any subset; ``parcel_id`` and geometry required) in a projected
        metric CRS, as :func:`geo.io.read_parcels` returns them. Not modified.
    as_of
        Evaluation date (``YYYY-MM-DD`` or a date); default today. Makes every run reproducible.
    rules
        A preset name, a YAML file path, or a loaded :class:`~geo.rules.presets.Preset`.
    rasters
        ``{name: path}``; each raster's zonal statistics become ``rs_<name>_*`` columns.
    progress
        Called as ``progress(step, fraction_done)`` between the steps.
    ingest
        The :class:`~geo.ingest_report.IngestReport` of the read that produced ``parcels``. Its
        unreadable values are *invalid* for the rules (an unreadable ``actual_start_date`` means
        the start is unknown, not "not started"), and they, the repaired geometries and the values
        read from ledger spellings become rows of ``data_issues`` (contract §2.1). Without it a
        value that ingest could not read is indistinguishable from an empty one. The column
        mapping it used and how each column was matched are recorded in the summary
        (``columns``), so a result can be reproduced.
    run_date
        The day of the run (default today). An event dated after ``as_of`` but not after the run
        date had not happened yet on the as-of day (contract §3, said in ``idle_basis``); one dated
        after the run date is impossible and a data issue.

    Raises
    ------
    ConfigError
        The preset is invalid (raised before any other work).
    SchemaError, CRSError, InputError, RasterError
        The layer or a raster cannot be analysed as given.

    """
    preset = load_preset(rules)
    day = parse_as_of(as_of)
    today = parse_as_of(run_date)
    _validate_layer(parcels)
    report = progress or (lambda step, fraction: None)

    frame = pd.DataFrame(parcels.drop(columns=parcels.geometry.name)).reset_index(drop=True)
    frame = frame.drop(columns=[c for c in frame.columns if c in RESULT_COLUMNS or c.startswith("rs_")])
    area_m2 = parcels.geometry.area.to_numpy(dtype="float64")
    area_m2 = np.where(np.isfinite(area_m2), area_m2, np.nan)
    t = np.datetime64(day.isoformat(), "D")

    report("zonal", 0.05)
    zonal, raster_notes = _zonal(parcels, rasters) if rasters else (pd.DataFrame(index=range(len(frame))), [])
    report("checks", 0.30)
    ingest_rows = (
        ingest.data_issues() if ingest is not None else pd.DataFrame(columns=[*ISSUE_COLUMNS, "kind"])
    )
    cleaned, invalid, issues = check_data(
        frame,
        area_m2,
        np.datetime64(max(today, day).isoformat(), "D"),
        area_tolerance=preset.rules.data_checks.area_tolerance,
        earliest_date=preset.rules.data_checks.earliest_date,
        developed_is_land=preset.rules.idle.stalled_area_basis == "land",
        known_invalid=_unreadable_masks(ingest_rows, frame["parcel_id"]),
    )
    cleaned["area_m2"] = area_m2
    cleaned["area_mu"] = area_m2 / M2_PER_MU
    for column in zonal.columns:
        cleaned[column] = zonal[column].to_numpy()
    facts = Facts(frame=cleaned, invalid=invalid, as_of=t)
    if preset.rules.idle.stalled_area_basis == "floor" and not facts.has("planned_floor_area_m2"):
        raise SchemaError(
            f"--rules {preset.name}: idle.stalled_area_basis: floor 按规划总建筑面积计算开发比例，"
            "但图层没有 planned_floor_area_m2（规划总建筑面积、设计建筑面积）列 "
            "(the floor basis needs the planned total floor area column; "
            "give it or use stalled_area_basis: land)"
        )

    report("idle", 0.40)
    idle = evaluate_idle(facts, preset.rules.idle)
    report("low_efficiency", 0.55)
    metrics = derived_metrics(facts, preset)
    low = evaluate_low_efficiency(facts, preset, metrics, idle["idle_status"])
    report("mujun", 0.75)
    mujun = grade_mujun(facts, preset.mujun, preset.rules)
    report("indicators", 0.85)
    zone: ZoneIndicators = compute_indicators(facts, preset.rules, idle["idle_status"], low.far_min)

    computed = pd.concat(
        [
            pd.DataFrame({"area_m2": area_m2, "area_mu": area_m2 / M2_PER_MU}),
            metrics,
            idle,
            low.frame,
            mujun,
            pd.DataFrame({"far_min": low.far_min}),
            zone.categories[["zone_category", "supply_category"]],
        ],
        axis=1,
    )
    computed = computed[list(RESULT_COLUMNS)]
    out = pd.concat([frame, computed, zonal.reset_index(drop=True)], axis=1)
    out.index = parcels.index
    result_gdf = gpd.GeoDataFrame(out, geometry=parcels.geometry.to_numpy(), crs=parcels.crs)
    result_gdf = (
        result_gdf.rename_geometry(parcels.geometry.name)
        if parcels.geometry.name != "geometry"
        else result_gdf
    )

    all_issues = pd.concat(
        [
            ingest_rows.astype(object),
            issues.assign(kind="check"),
            low.issues.assign(kind="check"),
        ],
        ignore_index=True,
    )
    kinds = all_issues["kind"].value_counts()
    all_issues = all_issues[list(ISSUE_COLUMNS)]
    summary = _summary(out.reset_index(drop=True), preset, day, all_issues)
    summary["data_issues_by_kind"] = {k: int(kinds.get(k, 0)) for k in ISSUE_KINDS}
    summary["rule_tests"] = threshold_texts(preset)
    summary["tax_averages"] = low.tax_averages
    summary["exemptions"] = {
        name: {"label_zh": e.label_zh or name, "discretionary": e.discretionary}
        for name, e in preset.rules.low_efficiency.exemptions.items()
        if e.enabled
    }
    summary["raster_notes"] = raster_notes
    summary["run_date"] = today.isoformat()
    summary["rules_out_of_scope"] = [*idle_out_of_scope(facts), *low.out_of_scope]
    summary["columns"] = _columns_record(frame.columns, ingest)
    report("done", 1.0)
    return AnalysisResult(
        parcels=result_gdf,
        indicators=zone.indicators,
        preset=preset,
        data_issues=all_issues.reset_index(drop=True),
        summary=summary,
        indicator_details=zone.details,
        as_of=day,
    )
