"""The column mapping file of contract §2.1: a bureau's own column names, values and code lists.

A mapping says which column of *this* file holds which canonical column of :mod:`geo.schema`, how
its own values read as canonical ones, and under which code lists its land-use and industry codes
were written::

    columns:                      # canonical name: the column in this file
      agreed_start_date: 约定开工时
      supply_type: 供地方式
    values:                       # optional: canonical column -> {value in file: canonical value}
      supply_type: {市场化出让: 出让}
    land_use_scheme: auto         # auto | 2023 | gbt21010-2017 | gbt21010-2007 | sandiao
    industry_scheme: auto         # auto | gbt4754-2017 | gbt4754-2011 | gbt4754-2002

:func:`load_columns` reads the YAML (or :func:`parse_columns` a mapping sent as JSON) into a frozen
:class:`ColumnMapping`, validated with pydantic: unknown keys, canonical names that do not exist,
two canonical names mapped to one column, a value map for a canonical column that is not named in
``columns``, a target value the column cannot hold and a scheme name that does not exist are each a
:class:`~geo.errors.ConfigError` of one line naming the key and what would be right.
:meth:`ColumnMapping.check_file` then refuses a mapping that names a column the file does not have
(:func:`geo.io.read_parcels` calls it before anything else is read from the columns).

The mapping applies before alias matching (a mapped column is taken as it says, whatever its name
looks like) and its value maps apply before coercion (:mod:`geo.coerce` then reads the canonical
value). ``land_use_scheme`` and ``industry_scheme`` are handed to the code-list translation of
:mod:`geo.codes`. :meth:`ColumnMapping.to_dict` is what the outputs record (summary.json,
report.xlsx), so a result can be reproduced.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from geo.codes import INDUSTRY_SCHEMES, LAND_USE_SCHEMES
from geo.errors import ConfigError, NotFoundError, SchemaError
from geo.schema import CANONICAL_COLUMNS, FIELDS_BY_NAME

__all__ = [
    "ColumnMapping",
    "load_columns",
    "parse_columns",
]

#: the keys of a mapping file, in the order they are written
KEYS: tuple[str, ...] = ("columns", "values", "land_use_scheme", "industry_scheme")
#: the largest mapping file read (a mapping is a few hundred bytes; this refuses a mistaken file)
MAX_BYTES = 256 * 1024


class _MappingFile(BaseModel):
    """The document as written: shapes only; names are checked in :func:`parse_columns`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    land_use_scheme: str = "auto"
    industry_scheme: str = "auto"


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ColumnMapping:
    """A validated column mapping (contract §2.1); build it with :func:`parse_columns`.

    Attributes
    ----------
    columns
        canonical name → the column of the file that holds it.
    values
        canonical name → {value as written → canonical value}, applied before coercion.
    land_use_scheme, industry_scheme
        The code lists ``land_use``/``planned_use`` and ``industry_code`` were written in.
    source
        Where the mapping came from (a file name, or ``request``), for messages and the record.

    """

    columns: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    values: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _frozen({}))
    land_use_scheme: str = "auto"
    industry_scheme: str = "auto"
    source: str = ""

    @property
    def by_source(self) -> dict[str, str]:
        """Column of the file (normalised: stripped, case-folded) → canonical name."""
        return {_norm(column): canonical for canonical, column in self.columns.items()}

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as plain data, in the file's key order (what the outputs record)."""
        return {
            "source": self.source,
            "columns": dict(self.columns),
            "values": {k: dict(v) for k, v in self.values.items()},
            "land_use_scheme": self.land_use_scheme,
            "industry_scheme": self.industry_scheme,
        }

    def check_file(self, file_columns: Iterable[str], file: str) -> dict[str, str]:
        """Return {column as in the file → canonical} or refuse a column the file does not have.

        Columns are compared with surrounding spaces and case ignored, as aliases are (§2).
        """
        present = [str(c) for c in file_columns if str(c) != "geometry"]
        by_norm: dict[str, str] = {}
        for column in present:
            by_norm.setdefault(_norm(column), column)
        found: dict[str, str] = {}
        for canonical, column in self.columns.items():
            actual = by_norm.get(_norm(column))
            if actual is None:
                close = difflib.get_close_matches(column, present, n=1, cutoff=0.5)
                hint = f"；是不是 did you mean {close[0]!r}?" if close else ""
                shown = "、".join(present[:40]) or "（无 none）"
                raise SchemaError(
                    f"{self.source or '列映射'}: columns.{canonical}: 字段 {column!r} 不在 {file} 中 / "
                    f"column {column!r} is not in {file}{hint}; 文件中的字段 columns in the file: {shown}"
                )
            found[actual] = canonical
        return found

    def map_values(self, canonical: str, raw: pd.Series) -> tuple[pd.Series, dict[str, int]]:
        """Apply the value map of ``canonical`` to a raw column; return it and {value: times replaced}.

        A value matches a key when their text is equal with surrounding spaces ignored; a whole
        number stored as a number matches its integer text (``1.0`` matches ``"1"``).
        """
        table = self.values.get(canonical)
        if not table:
            return raw, {}
        text = _as_text(raw)
        keys = {k.strip(): v for k, v in table.items()}
        hit = text.isin(list(keys))
        if not hit.any():
            return raw, {}
        counts = {str(k): int(v) for k, v in text[hit].value_counts(sort=False).items()}
        out = raw.astype(object).copy()
        out[hit.to_numpy()] = text[hit].map(keys).to_numpy(dtype=object)
        return out, counts


def _norm(label: str) -> str:
    return str(label).strip().casefold()


def _as_text(raw: pd.Series) -> pd.Series:
    """Each value as the text a user would type for it (whole floats as integers; missing as None)."""

    def one(value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    return pd.Series([one(v) for v in raw.to_numpy(dtype=object)], index=raw.index, dtype=object)


def _explain(error: ValidationError, source: str) -> str:
    item = error.errors()[0]
    loc = ".".join(str(p) for p in item["loc"])
    if item["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(item["loc"][-1]), KEYS, n=1, cutoff=0.5)
        hint = f"；是不是 did you mean {close[0]!r}?" if close else ""
        return f"{source}: 未知的键 unknown key {loc!r}{hint}；允许的键 allowed keys: {', '.join(KEYS)}"
    want = {
        "columns": "canonical name: column in the file (text)",
        "values": "canonical name: {value in file: canonical value}",
    }.get(str(item["loc"][0]), "")
    return f"{source}: {loc or 'mapping'}: 格式不对 wrong shape (got {item.get('input')!r})" + (
        f"；应为 expected {want}" if want else ""
    )


def _unknown_canonical(key: str, name: str, source: str) -> ConfigError:
    close = difflib.get_close_matches(name, CANONICAL_COLUMNS, n=1, cutoff=0.6)
    hint = f"是不是 did you mean {close[0]!r}? " if close else ""
    return ConfigError(
        f"{source}: {key}.{name}: 不是标准字段名 not a canonical column; {hint}"
        f"标准字段 canonical columns: {', '.join(CANONICAL_COLUMNS)}"
    )


def _check_target(canonical: str, raw_value: str, target: str, source: str) -> None:
    """Refuse a value-map target the column cannot hold (read by geo.coerce as it would be)."""
    from geo.coerce import EXPECTED_ZH, coerce_column

    f = FIELDS_BY_NAME[canonical]
    if f.kind in ("text", "code"):
        return
    result = coerce_column(pd.Series([target], dtype=object), f)
    if bool(result.bad[0]) or pd.isna(result.values.iloc[0]):
        allowed = "/".join(sorted(set(f.values.values()))) if f.values else EXPECTED_ZH[f.kind]
        raise ConfigError(
            f"{source}: values.{canonical}.{raw_value}: {target!r} 不是 {canonical} 可取的值 / "
            f"not a value {canonical} can hold; 应为 expected {allowed}"
        )


def _text(value: Any) -> Any:
    """Return a YAML scalar as the text it was written as (``1`` → ``"1"``, ``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _scalars_as_text(document: dict[str, Any]) -> dict[str, Any]:
    """Unquoted numbers and booleans in ``columns`` and ``values`` read as the text written."""
    out = dict(document)
    if isinstance(out.get("columns"), dict):
        out["columns"] = {_text(k): _text(v) for k, v in out["columns"].items()}
    if isinstance(out.get("values"), dict):
        out["values"] = {
            _text(k): ({_text(a): _text(b) for a, b in v.items()} if isinstance(v, dict) else v)
            for k, v in out["values"].items()
        }
    for key in ("land_use_scheme", "industry_scheme"):
        if key in out:
            out[key] = _text(out[key])
    return out


def parse_columns(document: Any, source: str = "columns") -> ColumnMapping:
    """Validate a mapping document (the parsed YAML, or the service's ``"columns"`` JSON)."""
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            f"{source}: 列映射应为键值映射 a column mapping is a mapping with keys {', '.join(KEYS)}"
        )
    try:
        model = _MappingFile.model_validate(_scalars_as_text(document))
    except ValidationError as error:
        raise ConfigError(_explain(error, source)) from None
    for key, allowed in (("land_use_scheme", LAND_USE_SCHEMES), ("industry_scheme", INDUSTRY_SCHEMES)):
        if getattr(model, key) not in allowed:
            raise ConfigError(
                f"{source}: {key}: 未知的分类 unknown scheme {getattr(model, key)!r}；"
                f"可用 allowed: {' | '.join(allowed)}"
            )
    taken: dict[str, str] = {}
    for canonical, column in model.columns.items():
        if canonical not in FIELDS_BY_NAME:
            raise _unknown_canonical("columns", canonical, source)
        if not column.strip():
            raise ConfigError(f"{source}: columns.{canonical}: 字段名为空 empty column name")
        key = _norm(column)
        if key in taken:
            raise ConfigError(
                f"{source}: columns.{canonical} 与 columns.{taken[key]} 都指向字段 {column!r} / "
                f"two canonical columns name the same column {column!r}; one column holds one "
                "canonical column — keep the right one"
            )
        taken[key] = canonical
    for canonical, table in model.values.items():
        if canonical not in FIELDS_BY_NAME:
            raise _unknown_canonical("values", canonical, source)
        if canonical not in model.columns:
            raise ConfigError(
                f"{source}: values.{canonical}: {canonical} 没有在 columns 中映射 / the column is not "
                f"mapped; add columns.{canonical}: <column in the file>"
            )
        for raw_value, target in table.items():
            _check_target(canonical, raw_value, target, source)
    return ColumnMapping(
        columns=_frozen(model.columns),
        values=_frozen({k: _frozen(v) for k, v in model.values.items()}),
        land_use_scheme=model.land_use_scheme,
        industry_scheme=model.industry_scheme,
        source=source,
    )


def load_columns(path: str | Path) -> ColumnMapping:
    """Read and validate a mapping file (``--columns MAP.yaml``); errors name the key at fault."""
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"列映射文件不存在 column mapping file not found: {p}")
    if p.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{p.name}: 列映射文件过大 too large for a column mapping (> {MAX_BYTES} bytes)")
    try:
        document = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p.name}: 列映射文件应为 UTF-8 文本 the mapping file must be UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{p.name}: YAML 格式错误 does not parse{where}") from None
    return parse_columns(document, source=p.name)
