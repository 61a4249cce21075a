"""The job worker: ``python -m api.worker SPEC.json`` runs one job in its own process.

The runner (:mod:`api.jobs`) starts this module in a new session (its own process group) with an
address-space cap (``RLIMIT_AS``), a wall-clock limit enforced from outside, and a GDAL
environment that allows no network, no plugins and none of the drivers that read other files or
URLs (``GDAL_SKIP``, hardening.md notes 1.12). The environment is set by the parent *before* this
interpreter starts, so it is in force before rasterio or pyogrio load GDAL.

The worker talks back through files in its job directory only:

* ``progress.json`` — ``{"progress": 0-100, "message": "..."}``, replaced atomically;
* ``outcome.json`` — ``{"status": "successful", "result": {...}}`` or
  ``{"status": "failed", "error": {"code", "message"}}``.

A watchdog thread kills the whole process group (the solver included) if the parent dies, so a
server killed with ``kill -9`` leaves no orphan ``cbc`` behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from api.jobspec import AnalysisInputs, BriefingInputs, DatasetInput, JobSpec, PlanJobInputs
from geo.errors import PanhuoError

#: what a failure under the address-space cap looks like (a MemoryError, or a library that could
#: not be mapped or allocate while importing)
MEMORY_MARKERS = (
    "MemoryError",
    "Cannot allocate memory",
    "failed to map segment",
    "std::bad_alloc",
    "out of memory",
)
RESOURCE_LIMIT = {"code": "resource_limit", "message": "作业超出内存上限 — the job exceeded its memory cap"}
DISK_FULL = {
    "code": "disk_full",
    "message": "服务器磁盘空间已满，作业未能写出结果；释放空间后请重新运行 — the server's disk is full",
}
#: the exit status of a worker that could not even write its outcome because the disk is full
DISK_FULL_EXIT = 28
_NO_SPACE_TEXT = ("No space left on device", "database or disk is full", "Disk quota exceeded")


def no_space(error: BaseException, details: str = "") -> bool:
    """Whether ``error`` (or its cause, or the traceback of a library that lost it) means "disk full"."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (28, 122):  # ENOSPC, EDQUOT
            return True
        current = current.__cause__ or current.__context__
    return any(text in details or text in str(error) for text in _NO_SPACE_TEXT)


class Job:
    """The running job as the handlers see it: its spec, directory and progress reporting."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.dir = Path(spec.job_dir or ".")
        self.params: dict[str, Any] = dict(spec.params)
        self.limits: dict[str, Any] = dict(spec.limits)

    @property
    def out(self) -> Path:
        """The job's result directory (created)."""
        out = Path(self.spec.out_dir or self.dir / "out")
        out.mkdir(parents=True, exist_ok=True)
        return out

    def progress(
        self, percent: int, message: str, phase: str | None = None, layer: str | None = None
    ) -> None:
        """Publish progress (0–100) and a short message for ``GET /jobs/{id}``.

        ``phase`` names a step with a time limit of its own (``metadata``: see
        :func:`read_metadata`); ``since`` is when it began, on the system-wide monotonic clock the
        runner reads too.
        """
        payload: dict[str, Any] = {"progress": int(percent), "message": message[:300]}
        if phase:
            payload.update(phase=phase, since=time.monotonic(), layer=layer)
        _write_json(self.dir / "progress.json", payload)

    def scrub(self, text: str) -> str:
        """Remove server paths from a message before it can reach a client."""
        for root in sorted({str(self.dir), str(self.dir.parent), *self.spec.scrub}, key=len, reverse=True):
            if root:
                text = text.replace(root + os.sep, "").replace(root, "")
        return text


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def descendant_groups(root: int) -> set[int]:
    """Return the process groups of every descendant of ``root`` (from ``/proc``; Linux).

    The optimizer starts its solver in a process group of its own (so its watchdog can kill it),
    so killing the worker's group alone would leave a ``cbc`` behind: whoever kills a worker
    kills these groups too.
    """
    children: dict[int, list[int]] = {}
    groups: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        pid, ppid, pgrp = int(entry), int(fields[1]), int(fields[2])
        children.setdefault(ppid, []).append(pid)
        groups[pid] = pgrp
    found: set[int] = set()
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.add(groups[pid])
        stack.extend(children.get(pid, []))
    return found


def _parent_watchdog(parent: int) -> None:
    # if the server dies, take the solver's group and then our own down with us
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            own = os.getpgrp()
            for group in descendant_groups(os.getpid()) - {own}:
                with contextlib.suppress(OSError):
                    os.killpg(group, signal.SIGKILL)
            os.killpg(own, signal.SIGKILL)


# ------------------------------------------------------------------ helpers
def plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars unwrapped, NaN/inf → None, dates → ISO strings."""
    import math

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_limits(limits: dict[str, Any]) -> Any:
    """Return the service's upload caps as :class:`geo.formats.ReadLimits`."""
    from geo.formats import ReadLimits

    return ReadLimits(
        max_zip_entries=int(limits.get("zip_max_entries", 64)),
        max_zip_bytes=int(limits.get("zip_max_expanded_mb", 2048)) * 1024 * 1024,
        max_zip_ratio=float(limits.get("zip_max_ratio", 200)),
        max_layers=int(limits.get("max_layers", 64)),
        max_geojson_bytes=int(limits.get("max_upload_mb", 512)) * 1024 * 1024,
        max_vertices_per_feature=int(limits.get("max_vertices_per_feature", 250_000)),
        max_vertices_per_layer=int(limits.get("max_vertices_per_layer", 50_000_000)),
    )


def raster_limits(limits: dict[str, Any]) -> Any:
    """Return the service's raster caps as :class:`geo.raster_io.RasterLimits`."""
    from geo.raster_io import RasterLimits

    side = int(limits.get("raster_max_side", 50_000))
    block = int(limits.get("raster_max_block", 8192))
    return RasterLimits(
        max_width=side,
        max_height=side,
        max_pixels=int(limits.get("raster_max_pixels", 10**9)),
        max_bands=int(limits.get("raster_max_bands", 32)),
        max_block_pixels=block * block,
    )


def _table_name(kind: str, job_id: str) -> str:
    return f"{kind}_" + re.sub(r"[^a-z0-9]", "_", job_id.lower())


def to_postgis(job: Job, frame: Any, kind: str) -> str | None:
    """Write a result layer as a PostGIS table ``panhuo_results.<kind>_<job>`` (PostgreSQL store only)."""
    url = job.spec.postgis_url
    if not url:
        return None
    import sqlalchemy as sa

    table = _table_name(kind, str(job.spec.job_id or "job"))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        frame.to_postgis(table, engine, schema="panhuo_results", if_exists="replace", index=False)
    finally:
        engine.dispose()
    return f"panhuo_results.{table}"


# ------------------------------------------------------------------ ingest and inspection
def inspect_raster(job: Job, path: Path) -> dict[str, Any]:
    """Open a GeoTIFF through :func:`geo.raster_io.open_raster` (caps checked before any pixel)."""
    from geo.raster_io import open_raster, read_error

    with open_raster(path, limits=raster_limits(job.limits)) as src:
        # a truncated or corrupt file is found by decoding the first and the last block of band 1
        # (each bounded by the block cap), not later in an analysis
        block_h, block_w = src.block_shapes[0]
        last_row, last_col = (src.height - 1) // block_h, (src.width - 1) // block_w
        try:
            src.read(1, window=src.block_window(1, 0, 0))
            src.read(1, window=src.block_window(1, last_row, last_col))
        except Exception as error:
            raise read_error(path.name, error) from None  # names the file only
        return {
            "ok": src.crs is not None,
            "width": src.width,
            "height": src.height,
            "bands": src.count,
            "dtype": src.dtypes[0] if src.count else None,
            "crs": src.crs.to_string() if src.crs else None,
            "bounds": list(src.bounds),
            "nodata": src.nodata,
            "block_shapes": [list(b) for b in src.block_shapes[:8]],
        }


def layer_names(job: Job, path: Path) -> list[str | None]:
    """Return the layers of a GeoPackage (capped, hardening A11); ``[None]`` for single-layer formats."""
    if path.suffix.lower() != ".gpkg":
        return [None]
    import pyogrio

    from geo.errors import InputError, UnsupportedFormatError
    from geo.io import gdal_options

    try:
        with gdal_options():  # an uploaded file: the same GDAL hardening as the ingest's reads
            layers = pyogrio.list_layers(path)
    except Exception as error:
        raise UnsupportedFormatError(
            f"{path.name}: 无法读取 GeoPackage 的图层列表 — not a readable GeoPackage"
        ) from error
    cap = int(job.limits.get("max_layers", 64))
    if len(layers) > cap:
        raise InputError(f"{path.name}: 图层过多（{len(layers)} > {cap}）/ too many layers")
    names: list[str | None] = [str(name) for name, geometry in layers if geometry is not None]
    return names or [None]


def _mapping(job: Job) -> Any:
    """Return the request's column mapping (§2.1), validated again here; ``None`` without one."""
    from geo.columns import parse_columns

    document = job.params.get("columns")
    return None if document is None else parse_columns(document, source="columns")


def inspect_vector(job: Job, path: Path, crs: int | None) -> dict[str, Any]:
    """Return the ingest report of each layer, without the server's path.

    One layer: its :func:`geo.io.inspect_path` report (with a suggestion for every unmatched column).
    Several (a GeoPackage with parcels, demand, roads …): each layer is recognised by its geometry —
    points and lines (demand, facilities, roads) get the plain :func:`geo.io.inspect_layer` report,
    not a parcel layer's, and so does a polygon layer without a parcel id (zoning, exclusion zones)
    when another layer has one. The answer is the first parcel layer's report plus
    ``layer_reports`` by name, each with its ``role``; ``ok`` only when every layer is. A layer
    without features is refused (an empty layer is never stored).

    The request's column mapping applies to the parcel layers; a parcel layer of a several-layer
    file that lacks a column it names is reported without it (``column_mapping_note``), and when no
    layer has them the mapping's own error refuses the upload.
    """
    from geo.errors import GeometryError, SchemaError
    from geo.io import inspect_layer, inspect_path, layer_role, list_layers

    limits = read_limits(job.limits)
    mapping = _mapping(job)
    names = layer_names(job, path)
    enc = job.params.get("encoding")
    kinds = {x.name: x for x in list_layers(path, limits=limits)} if path.suffix.lower() == ".gpkg" else {}
    reports: dict[str | None, dict[str, Any]] = {}
    refused: SchemaError | None = None
    for name in names:
        info = kinds.get(name) if name is not None else None
        shown = name or path.name
        if info is not None and info.features == 0:
            raise GeometryError(
                f"图层 {shown} 没有任何要素 — layer {shown!r} is empty (0 features); remove it"
            )
        role = layer_role(info.geometry_type) if info is not None else "parcels"
        note = ""
        if role == "parcels":
            try:
                found = inspect_path(path, layer=name, crs=crs, limits=limits, columns=mapping, encoding=enc)
            except SchemaError as error:
                if mapping is None or len(names) == 1:
                    raise
                refused = refused or error
                note = job.scrub(str(error))
                found = inspect_path(path, layer=name, crs=crs, limits=limits, encoding=enc)
        else:
            found = inspect_layer(path, layer=name, crs=crs, limits=limits, encoding=enc)
        if found.feature_count == 0:
            raise GeometryError(
                f"图层 {shown} 没有任何要素 — layer {shown!r} is empty (0 features); remove it"
            )
        report = found.to_dict()
        report["path"] = path.name
        report["role"] = role
        if note:
            report["column_mapping_note"] = note
        reports[name] = dict(plain(report))
    with_ids = [n for n, r in reports.items() if r["role"] == "parcels" and not _lacks_id(r)]
    if with_ids:
        for name, report in reports.items():
            if report["role"] == "parcels" and name not in with_ids:
                plain_report = inspect_layer(path, layer=name, crs=crs, limits=limits, encoding=enc).to_dict()
                plain_report.update(path=path.name, role="polygons")
                reports[name] = dict(plain(plain_report))
    if (
        mapping is not None
        and refused is not None
        and not any(r.get("column_mapping") for r in reports.values())
    ):
        raise refused
    first_name = with_ids[0] if with_ids else names[0]
    first = dict(reports[first_name])
    if len(names) > 1:
        first["layer_reports"] = {str(k): v for k, v in reports.items()}
        first["ok"] = all(r.get("ok") for r in reports.values())
    return first


def _lacks_id(report: dict[str, Any]) -> bool:
    return any(p.get("code") == "missing_id_column" for p in report.get("problems", []))


def write_exports(job: Job, path: Path, crs: int | None, export_dir: Path) -> list[str]:
    """Write ``export.gpkg`` (each layer, metric CRS) and, for one layer, ``export.geojson`` (WGS 84)."""
    from geo.io import read_layer

    names = layer_names(job, path)
    gpkg = export_dir / "export.gpkg"
    written = [gpkg.name]
    for name in names:
        frame, _report = read_layer(
            path,
            layer=name,
            crs=crs,
            drop_empty=True,
            limits=read_limits(job.limits),
            encoding=job.params.get("encoding"),
        )
        frame.to_file(gpkg, layer=name or "data", driver="GPKG")
        if len(names) == 1 and frame.crs is not None:
            frame.to_crs(4326).to_file(export_dir / "export.geojson", driver="GeoJSON")
            written.append("export.geojson")
    return written


def read_metadata(job: Job, path: Path) -> None:
    """Open every layer of a GeoPackage once and count its features, under the metadata time limit (A11).

    A GeoPackage layer can be an SQL view, and a recursive view never ends: counting its rows
    (``SELECT COUNT(*)``, what GDAL does here) costs as much as one pass over the layer. Each layer
    is announced as phase ``metadata`` before it is counted, and the runner kills the worker when
    one phase lasts longer than ``metadata_time_limit_s`` (a few seconds) — so such a file is
    refused in seconds instead of holding an ingest slot for the whole ingest limit.
    """
    import pyogrio

    from geo.errors import UnsupportedFormatError
    from geo.io import _GPKG_OPEN_OPTIONS, gdal_options  # the same options as the full read

    for name in layer_names(job, path):
        shown = name or "（唯一图层 the only layer）"
        job.progress(10, "读取元数据 reading metadata", phase="metadata", layer=shown)
        try:
            with gdal_options():  # an uploaded file: the same GDAL hardening as the ingest's reads
                pyogrio.read_info(path, layer=name, force_feature_count=True, **_GPKG_OPEN_OPTIONS)
        except Exception as error:
            raise UnsupportedFormatError(f"图层 {shown} 无法打开 — the layer could not be opened") from error


def _ingest(job: Job) -> dict[str, Any]:
    inputs = job.spec.inputs
    assert isinstance(inputs, DatasetInput)
    path = Path(inputs.path)
    crs = job.params.get("crs")
    job.progress(10, "读取元数据 reading metadata")
    if inputs.kind == "raster":
        report = inspect_raster(job, path)
    else:
        if path.suffix.lower() == ".gpkg":
            read_metadata(job, path)
            job.progress(20, "检查图层 checking the layers")
        report = inspect_vector(job, path, crs)
        if job.params.get("encoding") is None:
            from geo.encoding import encoding_candidates

            candidates = encoding_candidates(path)
            if candidates:  # a guess: the user confirms or picks another reading (hardening A14)
                report["encoding_candidates"] = candidates
        export_dir = inputs.export_dir
        if export_dir:
            job.progress(60, "生成 GeoJSON/GeoPackage 导出 writing exports")
            try:
                report["exports"] = write_exports(job, path, crs, Path(export_dir))
            except PanhuoError as error:
                report["exports"] = []
                report["exports_refused"] = job.scrub(str(error))
    report["kind"] = inputs.kind
    report["upload_format"] = inputs.format
    job.progress(100, "完成 done")
    return report


# ------------------------------------------------------------------ analysis
def _analysis(job: Job) -> dict[str, Any]:
    """Contract §3 into ``out/``, then the web map and the briefing of the result."""
    from geo.analysis import run_analysis
    from geo.io import read_parcels
    from geo.rules.presets import load_preset

    out = job.out
    inputs = job.spec.inputs
    assert isinstance(inputs, AnalysisInputs)
    # a preset name or a JSON document, never a file (checked at submission; again here for jobs
    # stored before that check)
    preset = load_preset(job.params.get("rules") or "national", files=False)
    job.progress(5, "读取地块 reading parcels")
    parcels, report = read_parcels(
        inputs.parcels.path,
        layer=job.params.get("layer"),
        crs=job.params.get("crs"),
        limits=read_limits(job.limits),
        columns=_mapping(job),
    )

    def tick(step: str, fraction: float) -> None:
        job.progress(10 + int(60 * fraction), f"分析 analysing: {step}")

    result = run_analysis(
        parcels,
        as_of=job.params.get("as_of"),
        rules=preset,
        rasters=dict(inputs.rasters) or None,
        progress=tick,
        ingest=report,
    )
    job.progress(72, "写出成果 writing products")
    from maps.products import Products, write_analysis

    _paths, notes = write_analysis(result, out, Products.everything(source="panhuo 服务"))
    job.progress(90, "图层导出 layer exports")
    table = to_postgis(job, result.parcels, "analysis")
    briefing_note = job.scrub("; ".join(notes)) if notes else None
    ingest = report.to_dict()
    ingest["path"] = Path(str(ingest.get("path", ""))).name
    return dict(
        plain(
            {
                "summary": result.summary,
                "indicators": result.indicators,
                "as_of": result.as_of,
                "preset": getattr(result.preset, "name", None),
                "ingest": ingest,
                "postgis_tables": [table] if table else [],
                "briefing_note": briefing_note,
                "files": sorted(p.name for p in out.iterdir() if p.is_file()),
            }
        )
    )


# ------------------------------------------------------------------ plan
def _plan(job: Job) -> dict[str, Any]:
    """Contract §6: run one scenario version; ``plan.json``, ``plan.gpkg``, the map and the briefing."""
    from geo.rules.presets import load_preset
    from maps.products import Products, write_plan
    from optimizer.plan import run_plan
    from optimizer.scenario import parse_scenario

    out = job.out
    inputs = job.spec.inputs
    assert isinstance(inputs, PlanJobInputs)
    scenario = parse_scenario(inputs.scenario, source="scenario")
    # the rules are a preset name or a JSON document, never a file: checked when the scenario is
    # saved, and here again for versions stored before that check
    preset = load_preset(scenario.rules, files=False)

    def tick(step: str, fraction: float) -> None:
        job.progress(5 + int(80 * fraction), f"规划 planning: {step}")

    job.progress(2, "读取图层 reading layers")
    output = run_plan(scenario, job.dir, progress=tick, preset=preset)
    job.progress(88, "写出成果 writing products")
    write_plan(output, out, Products.everything(source="panhuo 服务"))
    plan = output.plan
    if "briefing_note" in plan:
        plan["briefing_note"] = job.scrub(str(plan["briefing_note"]))
    if job.params.get("frontier"):
        _frontier(job, scenario, plan, out)
    tables = []
    for name, layer in output.layers.items():
        table = to_postgis(job, layer, f"plan_{name}")
        if table:
            tables.append(table)
    plan["postgis_tables"] = tables
    return dict(plain(plan))


def _frontier(job: Job, scenario: Any, plan: dict[str, Any], out: Path) -> None:
    """Add the trade-off frontier asked for to the plan (``panhuo plan --frontier``; its files too).

    A frontier that cannot be computed (e.g. the scenario itself infeasible) leaves the plan
    standing and says why in ``frontier_note``.
    """
    from geo.errors import ConfigError
    from maps.products import write_tradeoff
    from optimizer.frontier import frontier_table

    pair, steps = str(job.params["frontier"]), int(job.params.get("steps", 5))
    job.progress(90, f"权衡前沿 frontier {pair}")
    try:
        rows = frontier_table(scenario, job.dir, pair, steps)
    except ConfigError as error:
        plan["frontier_note"] = job.scrub(str(error))
        return
    write_tradeoff(rows, out, "frontier_" + pair.replace(":", "_"))
    plan["frontier"] = plain(rows)


def _briefing(job: Job) -> dict[str, Any]:
    """Brief the selected parcels of an analysis (the workbench's ``POST /jobs/{id}/briefings``)."""
    from api.workbench.parcel_briefing import build_parcel_briefing

    job.progress(10, "简报 briefing")
    inputs = job.spec.inputs
    assert isinstance(inputs, BriefingInputs)
    return build_parcel_briefing(inputs.model_dump(), job.params)


HANDLERS: dict[str, Any] = {
    "ingest": _ingest,
    "inspect": _ingest,
    "analysis": _analysis,
    "plan": _plan,
    "briefing": _briefing,
}


def run(spec_path: Path) -> int:
    """Run the job described by ``spec_path``; always leave an ``outcome.json``."""
    spec = JobSpec.read(spec_path)
    job = Job(spec)
    threading.Thread(
        target=_parent_watchdog, args=(int(spec.parent_pid or os.getppid()),), daemon=True
    ).start()
    outcome: dict[str, Any]
    try:
        handler = HANDLERS[spec.kind]
        outcome = {"status": "successful", "result": handler(job)}
    except MemoryError:
        outcome = {
            "status": "failed",
            "error": {
                "code": "resource_limit",
                "message": "作业超出内存上限 — the job exceeded its memory cap",
            },
        }
    except PanhuoError as error:
        outcome = {"status": "failed", "error": {"code": error.code, "message": job.scrub(str(error))}}
    except Exception as error:
        # details stay on the server (job log); the client gets a generic code
        details = traceback.format_exc()
        with contextlib.suppress(OSError):
            sys.stderr.write(details)
        if no_space(error, details):
            return _write_outcome(job, {"status": "failed", "error": DISK_FULL})
        if any(marker in details for marker in MEMORY_MARKERS):
            outcome = {"status": "failed", "error": RESOURCE_LIMIT}
            _write_json(job.dir / "outcome.json", outcome)
            return 1
        outcome = {
            "status": "failed",
            "error": {"code": "internal_error", "message": "作业内部错误 internal error"},
        }
    return _write_outcome(job, outcome)


def _write_outcome(job: Job, outcome: dict[str, Any]) -> int:
    try:
        _write_json(job.dir / "outcome.json", outcome)
    except OSError as error:
        if no_space(error):
            return DISK_FULL_EXIT  # the runner reads the exit status instead
        raise
    return 0 if outcome["status"] == "successful" else 1


def main() -> None:
    """Entry point of ``python -m api.worker SPEC.json``."""
    try:
        code = run(Path(sys.argv[1]))
    except MemoryError:
        code = 3
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
