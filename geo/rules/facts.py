"""Parcel facts as plain arrays, and the data-quality checks that decide which facts can be used.

The rules never read a raw column: they ask :class:`Facts` for a column as a NumPy array in which
values that are absent, empty or set aside by a data check are ``NaN``/``NaT``/``None``, and for the
*state* of each value (present, column missing, value empty, value invalid) so that a rule that
cannot be evaluated says why, per parcel, instead of guessing.

:func:`check_data` finds the data-quality problems of issue 3 ("Bad input") — dates in the future or
before 1949-10-01, a start before the supply date, a suspension before the start, negative amounts,
areas larger than the parcel, unknown land-use codes, malformed industry codes — and returns them as
a ``data_issues`` table (parcel id, column, value, problem). Each problem is per parcel and never
fatal: the affected value is set aside and the rules that need it report ``not evaluated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from geo.ingest_report import ISSUE_COLUMNS
from geo.schema import FIELDS_BY_NAME, LABELS_ZH

__all__ = ["ISSUE_COLUMNS", "Facts", "check_data", "prefix_match"]

#: value states returned by :meth:`Facts.state`
OK, MISSING_COLUMN, EMPTY, INVALID = 0, 1, 2, 3


_NUMBER_COLUMNS = tuple(f.name for f in FIELDS_BY_NAME.values() if f.kind == "number")
#: recorded land areas that cannot exceed the parcel's area
_AREA_BOUND_COLUMNS = ("footprint_m2", "admin_area_m2", "green_area_m2")
#: dates of events that cannot lie after the as-of date
_PAST_EVENT_DATES = ("supply_date", "actual_start_date", "suspended_since")
_DATE_COLUMNS = tuple(f.name for f in FIELDS_BY_NAME.values() if f.kind == "date")


@lru_cache(maxsize=1)
def land_use_codes() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """Return the 用地用海分类 (2023) first-level codes and the detailed codes of classes 07–16."""
    data = yaml.safe_load((Path(__file__).parent / "presets" / "_landuse_2023.yaml").read_text("utf-8"))
    first = frozenset(str(c) for c in data["first_level"])
    detailed = {str(k): frozenset(str(c) for c in v) for k, v in data["detailed"].items()}
    return first, detailed


def _valid_land_use(codes: pd.Series) -> np.ndarray:
    """Mark where a land-use code is a known 2023 code (evaluated on the unique codes only)."""
    first, detailed = land_use_codes()
    uniques = pd.unique(codes.dropna())
    verdict = {}
    for code in uniques:
        text = str(code)
        head = text[:2]
        if len(text) < 2 or len(text) % 2 or not text.isdigit() or head not in first:
            verdict[code] = False
        elif len(text) == 2 or head not in detailed:
            verdict[code] = True
        else:
            verdict[code] = text in detailed[head]
    known = codes.map(verdict)
    return np.where(known.notna().to_numpy(), known.to_numpy(dtype=object), True).astype(bool)


@dataclass(frozen=True)
class Facts:
    """The parcel columns the rules read, as aligned arrays, with the state of every value.

    Attributes
    ----------
    frame
        Canonical columns after the data checks (invalid values replaced by missing), plus
        ``area_m2`` and ``area_mu`` computed from the geometry.
    invalid
        Column → boolean mask of the values set aside by :func:`check_data`.
    as_of
        The evaluation date (``datetime64[D]``).

    """

    frame: pd.DataFrame
    invalid: Mapping[str, np.ndarray]
    as_of: np.datetime64
    _cache: dict[tuple[str, str], pd.Series] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of parcels."""
        return len(self.frame)

    def has(self, column: str) -> bool:
        """Whether the column is present in the layer."""
        return column in self.frame.columns

    def num(self, column: str) -> np.ndarray:
        """Return a numeric column as float64; NaN where absent, empty or invalid."""
        if not self.has(column):
            return np.full(self.n, np.nan)
        return pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    def date(self, column: str) -> np.ndarray:
        """Return a date column as ``datetime64[D]``; NaT where absent, empty or invalid."""
        if not self.has(column):
            return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[D]")
        values = pd.to_datetime(self.frame[column], errors="coerce")
        return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")

    def flag(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Return a boolean column as ``(value, known)``; value is False where unknown."""
        if not self.has(column):
            false = np.zeros(self.n, dtype=bool)
            return false, false.copy()
        values = self.frame[column].astype("boolean")
        known = values.notna().to_numpy(dtype=bool)
        return values.fillna(False).to_numpy(dtype=bool), known

    def text(self, column: str) -> pd.Series:
        """Return a text/code column as an object Series of ``str`` or ``None`` (index 0..n-1)."""
        cached = self._cache.get(("text", column))
        if cached is not None:
            return cached
        if not self.has(column):
            out = pd.Series([None] * self.n, dtype=object)
        else:
            values = self.frame[column].reset_index(drop=True).astype("string").str.strip()
            values = values.mask(values == "")
            out = values.astype(object).where(values.notna(), None)
        self._cache[("text", column)] = out
        return out

    def state(self, column: str) -> np.ndarray:
        """Per parcel: :data:`OK`, :data:`MISSING_COLUMN`, :data:`EMPTY` or :data:`INVALID`."""
        if not self.has(column):
            return np.full(self.n, MISSING_COLUMN, dtype=np.int8)
        out = np.where(self.frame[column].isna().to_numpy(dtype=bool), EMPTY, OK).astype(np.int8)
        bad = self.invalid.get(column)
        if bad is not None:
            out[bad] = INVALID
        return out

    def starts_with(self, column: str, prefixes: list[str] | tuple[str, ...] | None) -> np.ndarray:
        """Mark where a code column starts with one of the prefixes (``None`` = any value)."""
        if prefixes is None:
            return np.ones(self.n, dtype=bool)
        return prefix_match(self.text(column), prefixes)


def prefix_match(codes: pd.Series, prefixes: list[str] | tuple[str, ...]) -> np.ndarray:
    """Mark where a code starts with one of the prefixes; decided once per distinct code."""
    if not len(prefixes):
        return np.zeros(len(codes), dtype=bool)
    index, uniques = pd.factorize(codes)
    hits = np.array([str(u).startswith(tuple(prefixes)) for u in uniques], dtype=bool)
    return np.where(index >= 0, hits[np.maximum(index, 0)] if len(hits) else False, False)


def _fmt_values(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d")
    return values.astype(str)


def check_data(
    frame: pd.DataFrame,
    area_m2: np.ndarray,
    latest: np.datetime64,
    *,
    area_tolerance: float,
    earliest_date: str,
    developed_is_land: bool,
    known_invalid: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], pd.DataFrame]:
    """Find data-quality problems, set the faulty values aside, and list them.

    Parameters
    ----------
    frame
        Canonical parcel columns (the input is not modified).
    area_m2
        Parcel areas from the geometry.
    latest
        The latest day an event can have happened: the run date (or the as-of date if later). A
        supply, start or suspension dated after it is in the future of the run, impossible; one
        dated after the as-of date only (a past evaluation) is not a data problem — the rules read
        it as "not yet happened on that day" (contract §3).
    area_tolerance
        Share by which a recorded land area may exceed the geometry's area.
    earliest_date
        Dates before this are implausible.
    developed_is_land
        ``developed_area_m2`` is a land area (bounded by the parcel) rather than a floor area.
    known_invalid
        Column → mask of values already known to be unreadable (from the ingest report): they are
        invalid, not empty, for the rules, and already listed, so they are not listed again.

    Returns
    -------
    cleaned, invalid, issues
        A copy with faulty values replaced by missing; column → mask of those values; and the
        ``data_issues`` table with columns ``parcel_id, column, value, problem``.

    """
    issues = _Issues(frame, known_invalid)
    _check_amounts(issues, frame, area_m2, area_tolerance=area_tolerance, developed_is_land=developed_is_land)
    _check_dates(issues, frame, latest, earliest_date)
    _check_codes(issues, frame)
    _check_production_year(issues, frame, latest)
    cleaned = frame.copy()
    for column, mask in issues.invalid.items():
        cleaned.loc[cleaned.index[mask], column] = None
    return cleaned, issues.invalid, issues.table()


class _Issues:
    """The problems found so far: column → mask of values set aside, and the ``data_issues`` rows."""

    def __init__(self, frame: pd.DataFrame, known_invalid: Mapping[str, np.ndarray] | None) -> None:
        self.frame = frame
        self.ids = frame["parcel_id"].astype(str).reset_index(drop=True)
        self.invalid: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=bool).copy() for k, v in (known_invalid or {}).items()
        }
        self.found: list[pd.DataFrame] = []

    def flag(self, column: str, mask: np.ndarray, problem: str) -> None:
        """Set the values of ``column`` at ``mask`` aside and list them with ``problem``."""
        if not mask.any():
            return
        self.invalid[column] = self.invalid.get(column, np.zeros(len(self.frame), dtype=bool)) | mask
        values = _fmt_values(self.frame[column].reset_index(drop=True)[mask])
        self.found.append(
            pd.DataFrame(
                {
                    "parcel_id": self.ids[mask].to_numpy(),
                    "column": column,
                    "value": values.to_numpy(),
                    "problem": problem,
                }
            )
        )

    def table(self) -> pd.DataFrame:
        """Return the ``data_issues`` rows in the order they were found."""
        if self.found:
            return pd.concat(self.found, ignore_index=True)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})


def _check_amounts(
    issues: _Issues,
    frame: pd.DataFrame,
    area_m2: np.ndarray,
    *,
    area_tolerance: float,
    developed_is_land: bool,
) -> None:
    """Flag negative amounts, and recorded land areas larger than the parcel."""
    for column in _NUMBER_COLUMNS:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            label = LABELS_ZH[column]
            issues.flag(column, values < 0, f"{label}为负数，不可能 (negative value is impossible)")
            bounded = column in _AREA_BOUND_COLUMNS or (column == "developed_area_m2" and developed_is_land)
            if bounded:
                over = (values > area_m2 * (1 + area_tolerance)) & ~(values < 0)
                issues.flag(column, over, f"{label}大于地块面积，不可能 (larger than the parcel's area)")


def _check_dates(issues: _Issues, frame: pd.DataFrame, latest: np.datetime64, earliest_date: str) -> None:
    """Flag implausibly early dates, events in the future of the run, and events out of order."""
    earliest = np.datetime64(earliest_date, "D")
    dates = {}
    for column in _DATE_COLUMNS:
        if column in frame.columns:
            values = (
                pd.to_datetime(frame[column], errors="coerce")
                .to_numpy(dtype="datetime64[ns]")
                .astype("datetime64[D]")
            )
            dates[column] = values
            label = LABELS_ZH[column]
            issues.flag(
                column, values < earliest, f"{label}早于{earliest_date}，不合理 (implausibly early date)"
            )
            if column in _PAST_EVENT_DATES:
                issues.flag(
                    column,
                    values > latest,
                    f"{label}晚于运行日{latest}，为未来日期，不可能 (date lies in the future of the run)",
                )
    if "actual_start_date" in dates and "supply_date" in dates:
        before = dates["actual_start_date"] < dates["supply_date"]
        issues.flag("actual_start_date", before, "实际动工日期早于供地日期 (start before supply)")
    if "suspended_since" in dates and "actual_start_date" in dates:
        before = dates["suspended_since"] < dates["actual_start_date"]
        issues.flag("suspended_since", before, "停工日期早于实际动工日期 (suspended before the start)")


def _check_codes(issues: _Issues, frame: pd.DataFrame) -> None:
    """Flag land-use codes outside the 2023 用地用海 list and industry codes that are not two digits."""
    for column in ("land_use", "planned_use"):
        if column in frame.columns:
            codes = frame[column].astype(object).reset_index(drop=True)
            codes = codes.where(codes.notna(), None)
            bad = ~_valid_land_use(codes)
            issues.flag(
                column,
                bad,
                f"{LABELS_ZH[column]}不是《用地用海分类指南》(2023)代码 (unknown land-use code)",
            )
    if "industry_code" in frame.columns:
        codes = frame["industry_code"].astype(object).reset_index(drop=True)
        text = codes.where(codes.notna(), None).astype("string")
        ok = text.str.fullmatch(r"\d{2}", na=True).to_numpy(dtype=bool)
        issues.flag(
            "industry_code", ~ok, "行业代码应为 GB/T 4754 两位数字代码 (industry code must be two digits)"
        )


def _check_production_year(issues: _Issues, frame: pd.DataFrame, latest: np.datetime64) -> None:
    """Flag a production year before 1949 or after the run's year."""
    if "production_year" in frame.columns:
        years = pd.to_numeric(frame["production_year"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        latest_year = int(str(latest)[:4])
        issues.flag(
            "production_year",
            (years > latest_year) | (years < 1949),
            f"投产年份不在1949–{latest_year}之间 (production year out of range)",
        )
