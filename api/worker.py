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

import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from geo.errors import InputError, PanhuoError, RasterError, UnsupportedFormatError

_ALLOWED_RASTER_DRIVERS = ["GTiff"]


class Job:
    """The running job as the handlers see it: its spec, directory and progress reporting."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.dir = Path(spec["job_dir"])
        self.params: dict[str, Any] = spec.get("params", {})
        self.limits: dict[str, Any] = spec.get("limits", {})

    def progress(self, percent: int, message: str) -> None:
        """Publish progress (0–100) and a short message for ``GET /jobs/{id}``."""
        _write_json(self.dir / "progress.json", {"progress": int(percent), "message": message[:300]})

    def scrub(self, text: str) -> str:
        """Remove server paths from a message before it can reach a client."""
        for root in sorted(
            {str(self.dir), str(self.dir.parent), *self.spec.get("scrub", [])}, key=len, reverse=True
        ):
            if root:
                text = text.replace(root + os.sep, "").replace(root, "")
        return text


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _parent_watchdog(parent: int) -> None:
    # if the server dies, take the whole group (solver children included) down with us
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os.killpg(os.getpgrp(), signal.SIGKILL)


# ------------------------------------------------------------------ inspection (the GDAL gate)
def inspect_vector(path: Path, limits: dict[str, Any]) -> dict[str, Any]:
    """Open a vector file with pyogrio (metadata only) and apply the layer cap.

    Returns the layer list and, for the first layer, its feature count, geometry type, CRS,
    fields and bounds. Refuses a layer set without geometry (a GeoParquet without ``geo``
    metadata, A13) and more than ``max_layers`` layers (A11).
    """
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as error:  # GDAL's reason names our own path only; the message is ours
        raise UnsupportedFormatError(
            "文件无法作为矢量数据读取（已损坏或格式不符）— the file cannot be read"
        ) from error
    max_layers = int(limits.get("max_layers", 64))
    if len(layers) > max_layers:
        raise InputError(f"图层过多（{len(layers)} 个，上限 {max_layers}）— too many layers in the file")
    out_layers = []
    for name, geom_type in layers:
        if geom_type is None:
            continue
        out_layers.append({"name": str(name)[:200], "geometry_type": str(geom_type)})
    if not out_layers:
        raise InputError(
            "文件中没有带几何的图层（GeoParquet 需要 geo 元数据）— no layer with geometry in the file"
        )
    first = out_layers[0]["name"]
    try:
        info = pyogrio.read_info(path, layer=first, force_feature_count=True, force_total_bounds=True)
    except Exception as error:
        raise UnsupportedFormatError("图层无法读取（已损坏）— the layer cannot be read") from error
    bounds = info.get("total_bounds")
    return {
        "layers": out_layers,
        "layer": first,
        "features": int(info.get("features") or 0),
        "geometry_type": info.get("geometry_type"),
        "crs": info.get("crs"),
        "encoding": info.get("encoding"),
        "fields": [str(f) for f in info.get("fields", [])][:500],
        "bounds": [float(b) for b in bounds] if bounds is not None else None,
    }


def inspect_raster(path: Path, limits: dict[str, Any]) -> dict[str, Any]:
    """Open a GeoTIFF (GTiff driver only) and apply the dimension, band and block caps (A8).

    Only the header is read; no pixel is decoded.
    """
    import rasterio

    try:
        src = rasterio.open(path, driver=_ALLOWED_RASTER_DRIVERS)
    except Exception as error:
        raise UnsupportedFormatError(
            "文件无法作为 GeoTIFF 读取（已损坏或格式不符）— not a readable GeoTIFF"
        ) from error
    with src:
        side = int(limits.get("raster_max_side", 50_000))
        if (
            src.width > side
            or src.height > side
            or src.width * src.height > int(limits.get("raster_max_pixels", 10**9))
        ):
            raise RasterError(f"栅格尺寸 {src.width}×{src.height} 超过上限 — raster dimensions over the cap")
        if src.count > int(limits.get("raster_max_bands", 32)):
            raise RasterError(f"栅格波段数 {src.count} 超过上限 — too many bands")
        block = int(limits.get("raster_max_block", 8192))
        for bh, bw in src.block_shapes:
            if bh > block or bw > block:
                raise RasterError(f"栅格分块 {bw}×{bh} 超过上限 — raster tile dimensions over the cap")
        return {
            "width": src.width,
            "height": src.height,
            "bands": src.count,
            "dtype": src.dtypes[0] if src.count else None,
            "crs": src.crs.to_string() if src.crs else None,
            "bounds": list(src.bounds),
            "nodata": src.nodata,
        }


def _inspect(job: Job) -> dict[str, Any]:
    path = Path(job.spec["inputs"]["path"])
    kind = job.spec["inputs"]["kind"]
    job.progress(10, "读取元数据 reading metadata")
    report = inspect_raster(path, job.limits) if kind == "raster" else inspect_vector(path, job.limits)
    report["kind"] = kind
    report["format"] = job.spec["inputs"].get("format")
    job.progress(100, "完成 done")
    return report


HANDLERS: dict[str, Any] = {
    "ingest": _inspect,
    "inspect": _inspect,
}


def run(spec_path: Path) -> int:
    """Run the job described by ``spec_path``; always leave an ``outcome.json``."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    job = Job(spec)
    threading.Thread(target=_parent_watchdog, args=(int(spec["parent_pid"]),), daemon=True).start()
    outcome: dict[str, Any]
    try:
        handler = HANDLERS[spec["kind"]]
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
    except Exception:
        # details stay on the server (job log); the client gets a generic code
        traceback.print_exc(file=sys.stderr)
        outcome = {
            "status": "failed",
            "error": {"code": "internal_error", "message": "作业内部错误 internal error"},
        }
    _write_json(job.dir / "outcome.json", outcome)
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
