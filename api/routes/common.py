"""What every router shares: documented error answers and turning a worker's error back into a class."""

from __future__ import annotations

from typing import Any

from api.errors import DISK_FULL_MESSAGE, DiskFullError, ErrorResponse, PayloadTooLargeError
from geo import errors as geo_errors
from geo.errors import InputError, PanhuoError

ERR_400 = {400: {"model": ErrorResponse, "description": "请求体无法解析 the body could not be parsed"}}
ERR_401 = {401: {"model": ErrorResponse, "description": "缺少或无效的令牌 missing, unknown or revoked token"}}
ERR_403 = {403: {"model": ErrorResponse, "description": "角色权限不足 the token's role may not do this"}}
ERR_404 = {
    404: {"model": ErrorResponse, "description": "不存在（或属于其他工作空间）not found in this workspace"}
}
ERR_409 = {409: {"model": ErrorResponse, "description": "状态冲突 the object's state does not allow this"}}
ERR_413 = {413: {"model": ErrorResponse, "description": "超过大小上限 over a size cap"}}
ERR_415 = {415: {"model": ErrorResponse, "description": "不支持的格式 unsupported format"}}
ERR_422 = {422: {"model": ErrorResponse, "description": "请求或数据无效 invalid request or data"}}
ERR_503 = {
    503: {
        "model": ErrorResponse,
        "description": "数据库暂时不可用（重启或切换中），见 Retry-After — the database is unreachable",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}
ERR_507 = {
    507: {"model": ErrorResponse, "description": "服务器磁盘已满，未保存任何内容 the server's disk is full"}
}
ERR_429 = {
    429: {
        "model": ErrorResponse,
        "description": "队列已满或操作过于频繁，见 Retry-After — queue full or rate limited",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}


def errors(*groups: dict[int, Any]) -> dict[int | str, dict[str, Any]]:
    """Merge documented error answers for a route (any route may meet a full disk or a lost database)."""
    out: dict[int | str, dict[str, Any]] = {}
    for group in (ERR_400, ERR_401, *groups, ERR_503, ERR_507):
        for status, answer in group.items():
            out[status] = answer
    return out


def check_layer(dataset: dict[str, Any], layer: str | None, key: str) -> None:
    """Refuse a ``layer`` that is not a layer of the dataset (from its ingest report): 422 naming ``key``.

    A layer name only ever selects one of the layers found when the dataset was uploaded, so a
    path, SQL or anything else in it never reaches GDAL.
    """
    if layer is None:
        return
    layers = [str(name) for name in (dataset.get("report") or {}).get("layers") or ()]
    if layer not in layers:
        raise InputError(
            f"{key}: 数据集 {dataset.get('name')} 中没有图层 {layer[:80]!r} — the dataset has no such layer; "
            f"图层 layers: {', '.join(layers) or '—'}"
        )


def _all_error_classes() -> dict[str, type[PanhuoError]]:
    found: dict[str, type[PanhuoError]] = {}
    for value in vars(geo_errors).values():
        if isinstance(value, type) and issubclass(value, PanhuoError):
            found.setdefault(value.code, value)
    found[PayloadTooLargeError.code] = PayloadTooLargeError
    return found


_BY_CODE = _all_error_classes()


def error_from_outcome(error: dict[str, Any]) -> PanhuoError:
    """Rebuild the domain error a worker reported (unknown codes: the file could not be read)."""
    code = str(error.get("code", ""))
    if code == "disk_full":
        return DiskFullError(DISK_FULL_MESSAGE)
    message = str(error.get("message", "")) or "数据无法读取 — the data could not be read"
    cls = _BY_CODE.get(code)
    if cls is None or not issubclass(cls, InputError):
        if code in ("time_limit", "resource_limit", "worker_crashed", "internal_error"):
            return InputError(f"文件无法安全读取（{code}）— the file could not be read within the limits")
        return (cls or InputError)(message)
    return cls(message)


def upload_columns(dataset: dict[str, Any]) -> dict[str, Any] | None:
    """Return the column mapping a dataset was uploaded with (§2.1), as a request would send it."""
    recorded = (dataset.get("report") or {}).get("column_mapping")
    if not recorded:
        return None
    return {k: v for k, v in recorded.items() if k != "source"}
