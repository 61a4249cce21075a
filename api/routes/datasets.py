"""``/datasets``: upload (streamed, checked, validated in a worker), list, fetch, delete."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile

from api.deps import Caller, Expensive, Planner, RunnerDep, SettingsDep, StoreDep
from api.errors import ConflictError
from api.jobspec import DatasetInput, JobSpec
from api.routes.common import (
    ERR_403,
    ERR_404,
    ERR_409,
    ERR_413,
    ERR_415,
    ERR_422,
    ERR_429,
    error_from_outcome,
    errors,
    upload_columns,
)
from api.schemas import DatasetCreated, DatasetList, DatasetOut, JobCreated
from api.store import new_id
from api.uploads import FORMATS, StoredUpload, accept_upload, labelled_links, receive_upload
from geo.encoding import CHOICES, normalise_codec
from geo.errors import InputError, NotFoundError

log = logging.getLogger("panhuo.api")
router = APIRouter(prefix="/datasets", tags=["datasets"])

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "zip 压缩的 Shapefile、GeoPackage、GeoJSON、GeoParquet、"
                            "FlatGeobuf 或 GeoTIFF",
                        },
                        "name": {"type": "string", "maxLength": 200, "description": "显示名称 display name"},
                        "crs": {
                            "type": "integer",
                            "minimum": 2000,
                            "maximum": 999999,
                            "description": "EPSG 代码，仅当图层缺少坐标系时给出 (e.g. 4524)",
                        },
                        "encoding": {
                            "type": "string",
                            "enum": ["GBK", "GB18030", "Big5", "UTF-8"],
                            "description": "Shapefile 文字编码，用于确认或更正有歧义的编码 "
                            "the DBF text encoding, to confirm or fix an ambiguous one (e.g. GBK)",
                        },
                        "columns": {
                            "type": "string",
                            "maxLength": 65536,
                            "description": "列映射 column mapping as JSON text (contract §2.1): "
                            '{"columns": {"agreed_start_date": "约定开工时"}, "values": {...}, '
                            '"land_use_scheme": "auto", "industry_scheme": "auto"}',
                        },
                    },
                },
                "encoding": {"file": {"contentType": "application/octet-stream"}},
            }
        },
    }
}


def _dataset_dir(settings: Any, dataset_id: str) -> Path:
    return Path(settings.store.data_dir) / "datasets" / dataset_id


def _out(row: dict[str, Any]) -> DatasetOut:
    return DatasetOut(**{k: row[k] for k in DatasetOut.model_fields})


def ingest_spec(
    stored_path: Path, stored: StoredUpload, settings: Any, dataset_dir: Path, params: dict[str, Any]
) -> JobSpec:
    """Return the worker spec that validates an upload and writes its GeoJSON/GeoPackage exports.

    ``params`` holds the upload's own fields: ``crs``, ``columns`` and (when given) ``encoding``.
    """
    return JobSpec(
        kind="ingest",
        inputs=DatasetInput(
            path=str(stored_path), kind=stored.kind, format=stored.format, export_dir=str(dataset_dir)
        ),
        params=params,
        limits=settings.uploads.model_dump(),
        scrub=[str(settings.store.data_dir.resolve()), str(dataset_dir), str(stored_path.parent)],
    )


def _columns_field(value: Any) -> dict[str, Any] | None:
    """Read the multipart ``columns`` field: a column mapping as JSON text, validated (§2.1)."""
    import json

    from geo.columns import parse_columns

    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError("columns 应为 JSON 文本 — the columns field is JSON text, not a file")
    try:
        document = json.loads(value)
    except ValueError:
        raise InputError("columns 不是有效的 JSON — the columns field is not valid JSON") from None
    parse_columns(document, source="columns")
    return dict(document)


#: the codecs an upload may name (``encoding`` field, any spelling :func:`geo.encoding.normalise_codec`
#: reads) → the label passed on and reported
ENCODINGS: dict[str, str] = {str(normalise_codec(label)): label for label in CHOICES}


def _encoding_field(value: Any) -> str | None:
    """Read the multipart ``encoding`` field: one of :data:`ENCODINGS`, in any spelling of it."""
    if value is None or value == "":
        return None
    wanted = "、".join(ENCODINGS.values())
    problem = (
        f"encoding 应为 {wanted} 之一（Shapefile 的文字编码）— the encoding field must be one of "
        f"{', '.join(ENCODINGS.values())}"
    )
    if not isinstance(value, str) or len(value) > 40:
        raise InputError(problem)
    name = normalise_codec(value)
    if name is None:
        shown = value.strip()[:40]
        raise InputError(f"{problem}; {shown!r} 不是已知的编码 is not a known encoding")
    if name not in ENCODINGS:
        raise InputError(f"{problem}; 不接受 not accepted: {value.strip()[:40]!r}")
    return ENCODINGS[name]


def _crs_field(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip().isdigit() or not 2000 <= int(value) <= 999999:
        raise InputError("crs 应为 EPSG 代码（整数，如 4524）— crs must be an EPSG code such as 4524")
    return int(value)


@router.post(
    "",
    status_code=201,
    response_model=DatasetCreated,
    summary="上传数据集 upload a layer",
    openapi_extra=_UPLOAD_BODY,
    responses=errors(ERR_403, ERR_413, ERR_415, ERR_422, ERR_429),
)
async def upload_dataset(
    request: Request, who: Expensive, store: StoreDep, runner: RunnerDep, settings: SettingsDep
) -> DatasetCreated:
    """Upload one layer (multipart field ``file``); it is checked and validated before it is kept.

    The body is streamed to disk under a size cap; the format is decided from the content; a zip
    is judged before extraction; GDAL opens the file only in an isolated worker with the
    raster/layer caps. The answer holds the ingest report.
    """
    dataset_id = new_id()
    target = _dataset_dir(settings, dataset_id)
    try:
        form = await receive_upload(request, target, settings.uploads)
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("缺少文件字段 file — the multipart field `file` is required")
            label_field = form.get("name")
            crs = _crs_field(form.get("crs"))
            columns = _columns_field(form.get("columns"))
            encoding = _encoding_field(form.get("encoding"))
        finally:
            await form.close()
        stored = await run_in_threadpool(
            accept_upload, target / "upload.bin", upload.filename, target, settings.uploads
        )
        if encoding is not None and stored.format == "shapefile_zip":
            # the choice is stored with the data: every later read (analysis, plan, re-inspection)
            # decides the encoding by this .cpg, and the user's own .cpg, when wrong, is replaced
            (target / "data.cpg").write_text(encoding, encoding="ascii")
        label = label_field.strip()[:200] if isinstance(label_field, str) and label_field.strip() else None
        # the worker reads the file under the user's own name, so its messages name it (item 9)
        shown = labelled_links(stored.path, label or stored.original_name, target / ".ingest" / "input")
        params: dict[str, Any] = {"crs": crs, "columns": columns}
        if encoding is not None:
            params["encoding"] = encoding
        spec = ingest_spec(shown, stored, settings, target, params)
        outcome = await run_in_threadpool(
            runner.run_now, spec, target / ".ingest", who.workspace, who.token_id
        )
        if outcome["status"] != "successful":
            raise error_from_outcome(outcome.get("error") or {})
        report = outcome["result"]
        store.add_dataset(
            {
                "id": dataset_id,
                "workspace": who.workspace,
                "name": label or stored.original_name,
                "format": stored.format,
                "kind": stored.kind,
                "size_bytes": stored.size_bytes,
                "path": str(stored.path.relative_to(settings.store.data_dir)),
                "report": report,
                "created_by": who.name,
            }
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        try:
            store.audit(who, "dataset.upload", "dataset", dataset_id, outcome="refused")
        except Exception:  # a full disk refuses the audit row too: the refusal itself must reach the client
            log.exception("could not audit a refused upload")
        raise
    store.audit(who, "dataset.upload", "dataset", dataset_id)
    return DatasetCreated(id=dataset_id, report=report)


@router.get("", response_model=DatasetList, summary="列出数据集 list datasets", responses=errors())
def list_datasets(who: Caller, store: StoreDep) -> DatasetList:
    """Return the workspace's datasets, newest first."""
    return DatasetList(items=[_out(r) for r in store.list_datasets(who.workspace)])


def _get(store: Any, who: Any, dataset_id: str) -> dict[str, Any]:
    row = store.get_dataset(who.workspace, dataset_id)
    if row is None:
        raise NotFoundError("数据集不存在 — no such dataset in this workspace")
    return dict(row)


@router.get(
    "/{dataset_id}",
    response_model=DatasetOut,
    summary="数据集详情与入库报告 a dataset",
    responses=errors(ERR_404),
)
def get_dataset(dataset_id: str, who: Caller, store: StoreDep) -> DatasetOut:
    """Return a dataset's metadata and its ingest report."""
    return _out(_get(store, who, dataset_id))


_MEDIA = {
    "geojson": ("application/geo+json", "export.geojson"),
    "gpkg": ("application/geopackage+sqlite3", "export.gpkg"),
    "geotiff": ("image/tiff", "data.tif"),
}


@router.get(
    "/{dataset_id}/data",
    summary="下载数据 fetch as GeoJSON / GeoPackage (GeoTIFF for rasters)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/geo+json": {}, "application/geopackage+sqlite3": {}, "image/tiff": {}},
            "description": "the layer (GeoJSON in WGS 84 / EPSG:4326; GeoPackage in the layer's own CRS)",
        },
        **errors(ERR_404, ERR_409, ERR_422),
    },
)
def fetch_dataset(
    dataset_id: str,
    who: Caller,
    store: StoreDep,
    settings: SettingsDep,
    format: Literal["geojson", "gpkg", "geotiff"] = "geojson",
) -> Response:
    """Return the dataset's data, in the format asked for."""
    row = _get(store, who, dataset_id)
    if (row["kind"] == "raster") != (format == "geotiff"):
        raise InputError(f"此数据集不能导出为 {format} — this dataset cannot be fetched as {format}")
    media, filename = _MEDIA[format]
    path = _dataset_dir(settings, dataset_id) / filename
    if not path.is_file():
        raise ConflictError(
            "此数据集没有该格式的导出（如 GeoJSON 需要坐标系）— no such export for this dataset"
        )
    store.audit(who, "dataset.export", "dataset", dataset_id)
    return FileResponse(
        path,
        media_type=media,
        filename=f"{dataset_id}.{filename.rsplit('.', 1)[1]}",
        content_disposition_type="attachment",
    )


@router.delete(
    "/{dataset_id}",
    status_code=204,
    summary="删除数据集 delete a dataset",
    responses=errors(ERR_403, ERR_404, ERR_409),
)
def delete_dataset(dataset_id: str, who: Planner, store: StoreDep, settings: SettingsDep) -> Response:
    """Delete a dataset and its files (refused while a job reads it)."""
    _get(store, who, dataset_id)
    if store.datasets_in_use(who.workspace, dataset_id):
        raise ConflictError("有作业正在使用此数据集 — a pending or running job uses this dataset")
    store.delete_dataset(who.workspace, dataset_id)
    shutil.rmtree(_dataset_dir(settings, dataset_id), ignore_errors=True)
    store.audit(who, "dataset.delete", "dataset", dataset_id)
    return Response(status_code=204)


__all__ = ["FORMATS", "router"]


@router.post(
    "/{dataset_id}/inspections",
    status_code=202,
    response_model=JobCreated,
    summary="重新检查数据集 re-inspect a dataset (job)",
    responses=errors(ERR_403, ERR_404, ERR_429),
)
def inspect_dataset(dataset_id: str, who: Expensive, store: StoreDep, runner: RunnerDep) -> JobCreated:
    """Queue a worker job that opens the dataset again and rebuilds its report."""
    row = _get(store, who, dataset_id)
    columns = upload_columns(row)
    job = runner.submit(
        {
            "workspace": who.workspace,
            "kind": "inspect",
            "dataset_id": dataset_id,
            "params": {"columns": columns} if columns else {},
            "created_by": who.name,
        },
        owner=who.token_id,
    )
    store.audit(who, "job.run", "job", job["id"])
    return JobCreated(job_id=job["id"])
