"""The planner's workbench: a browser page at ``/`` over the service's own API (issue 13).

The page is plain ES modules, a stylesheet and the vendored Leaflet of :mod:`maps` (no build step,
no CDN): this router serves those files and two small read-only routes the page needs and the
rest of the API did not offer:

* ``GET /me`` — the caller's name, role and workspace, so the page offers only the controls the
  token's role may use (the API refuses the others anyway);
* ``GET /presets`` — the bundled rule presets (for the preset picker);
* ``GET /jobs/{id}/indicator-scores`` — an analysis's zone indicators against the preset's ideal
  values (TD/T 1029 ideal-value method, :func:`maps.charts.indicator_scores`: the figures of
  ``indicators.png``);
* ``GET /workbench/labels.json`` — the Chinese labels and colours of statuses, reasons, actions,
  facility types and indicators (:mod:`maps.style`, :mod:`maps.web`), so page and maps agree.

Every page answer carries its own Content-Security-Policy: scripts and styles from this origin
only (no ``'unsafe-inline'``), images also from ``data:``/``blob:`` (Leaflet), ``blob:`` frames for
the briefing preview, no connection anywhere but this origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from api.deps import Caller, StoreDep
from api.routes.common import ERR_404, ERR_409, errors
from geo.errors import NotFoundError

STATIC = Path(__file__).resolve().parent / "static"
#: the vendored Leaflet and its view-sync plugin (maps/static), served as they are
VENDOR = {
    "leaflet": Path(__file__).resolve().parents[2] / "maps" / "static" / "leaflet-1.9.3",
    "leaflet-sync": Path(__file__).resolve().parents[2] / "maps" / "static" / "leaflet.sync-0.2.4",
}

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

router = APIRouter(tags=["workbench"])


def _serve(base: Path, relative: str) -> Response:
    """Return a file under ``base`` (nothing outside it, no hidden files), with the page's CSP."""
    target = (base / relative).resolve()
    if (
        not target.is_relative_to(base.resolve())
        or not target.is_file()
        or target.suffix not in _MEDIA
        or any(part.startswith(".") for part in Path(relative).parts)
    ):
        raise NotFoundError("没有这个文件 — no such workbench file")
    return FileResponse(
        target,
        media_type=_MEDIA[target.suffix],
        # revalidated (ETag) rather than re-sent: a new version of panhuo is picked up at once
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
    )


@router.get("/", include_in_schema=False)
def workbench_page() -> Response:
    """Return the workbench page (sign-in happens in the page; the API calls carry the token)."""
    return _serve(STATIC, "index.html")


@router.get("/workbench/vendor/{package}/{path:path}", include_in_schema=False)
def workbench_vendor(package: str, path: str) -> Response:
    """Return a file of the vendored Leaflet (``maps/static``)."""
    base = VENDOR.get(package)
    if base is None:
        raise NotFoundError("没有这个文件 — no such workbench file")
    return _serve(base, path)


class Me(BaseModel):
    """The caller as the page needs it."""

    name: str = Field(..., examples=["规划科 张工"])
    role: str = Field(..., examples=["planner"])
    workspace: str = Field(..., examples=["玉林高新区"])


@router.get("/me", response_model=Me, summary="当前令牌 who am I", tags=["admin"], responses=errors())
def who_am_i(who: Caller) -> Me:
    """Return the name, role and workspace of the calling token (any role)."""
    return Me(name=who.name, role=who.role, workspace=who.workspace)


class ScoreIdeal(BaseModel):
    """One zone indicator's ideal value in a preset (TD/T 1029 ideal-value method)."""

    ideal: float
    weight: float
    direction: str


class PresetOut(BaseModel):
    """A bundled rule preset."""

    name: str
    title: str
    provisional: bool
    scores: dict[str, dict[str, ScoreIdeal]] = Field(
        ..., description="zone type → indicator → ideal value, weight and direction"
    )


class PresetList(BaseModel):
    """The bundled rule presets."""

    items: list[PresetOut]


@router.get(
    "/presets",
    response_model=PresetList,
    summary="规则预设与指标理想值 rule presets and indicator ideal values",
    tags=["analyses"],
    responses=errors(),
)
def list_presets(_who: Caller) -> PresetList:
    """Return the bundled rule presets (name, title, provisional flag, indicator ideal values)."""
    from geo.rules.presets import available_presets, load_preset

    items = []
    for name in available_presets():
        rules = load_preset(name).rules
        scores: dict[str, Any] = {
            zone: {key: item.model_dump() for key, item in table.items()}
            for zone, table in rules.indicators.scores.items()
        }
        items.append(
            PresetOut(name=rules.name, title=rules.title, provisional=rules.provisional, scores=scores)
        )
    return PresetList(items=items)


class IndicatorScore(BaseModel):
    """One zone indicator of an analysis against its ideal value."""

    key: str
    label: str
    actual: float | None
    ideal: float | None
    score: float | None = Field(None, description="min(actual/ideal, 1)×100 (negative: ideal/actual)")


class IndicatorScores(BaseModel):
    """An analysis's zone indicators against the preset's ideal values."""

    preset: str | None
    zone_type: str | None
    items: list[IndicatorScore]


@router.get(
    "/jobs/{job_id}/indicator-scores",
    response_model=IndicatorScores,
    summary="指标与理想值 an analysis's indicators against their ideal values",
    tags=["jobs"],
    responses=errors(ERR_404, ERR_409),
)
def indicator_scores(job_id: str, who: Caller, store: StoreDep) -> IndicatorScores:
    """Score each zone indicator of a successful analysis against its preset's ideal value."""
    from api.errors import ConflictError
    from geo.rules.presets import load_preset
    from maps.charts import indicator_scores as scores_of

    job = store.get_job(who.workspace, job_id)
    if job is None:
        raise NotFoundError("作业不存在 — no such job in this workspace")
    if job["kind"] != "analysis" or job["status"] != "successful":
        raise ConflictError("不是已成功的分析作业 — not a successful analysis job")
    result = dict(job.get("result") or {})
    indicators = dict(result.get("indicators") or {})
    preset_name = result.get("preset") or "national"
    zone = indicators.get("zone_type")
    table = load_preset(str(preset_name)).rules.indicators.scores.get(zone) if zone else None
    ideal: dict[str, float] = {key: item.ideal for key, item in (table or {}).items()}
    frame = scores_of(indicators, ideal)
    items = [
        IndicatorScore(
            key=str(row.key),
            label=str(row.label),
            actual=_finite(row.actual),
            ideal=_finite(row.ideal),
            score=_finite(row.score),
        )
        for row in frame.itertuples()
    ]
    return IndicatorScores(preset=str(preset_name), zone_type=zone, items=items)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


@router.get("/workbench/labels.json", include_in_schema=False)
def workbench_labels() -> Response:
    """Return the labels and colours the maps use, for the page's legends and tables."""
    import json

    from maps import style
    from maps.web import INDICATOR_LABELS, ZONE_TYPES

    body = {
        "idle_status": style.IDLE_STATUS,
        "reasons": style.LOW_EFF_REASONS,
        "actions": style.ACTIONS,
        "facility_types": style.FACILITY_TYPES,
        "indicators": {k: v[0] for k, v in INDICATOR_LABELS.items()},
        "zone_types": ZONE_TYPES,
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Security-Policy": PAGE_CSP},
    )


@router.get("/workbench/font/NotoSansSC-Regular.otf", include_in_schema=False)
def workbench_font() -> Response:
    """Return Noto Sans SC (the font of maps and briefings, :mod:`maps.fonts`).

    The page names it last in its font stack, so a browser downloads it only when no installed
    font has the characters (an intranet PC without CJK fonts, headless Chromium on a server).
    """
    from maps.fonts import cjk_font_path

    return FileResponse(
        cjk_font_path(),
        media_type="font/otf",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "public, max-age=604800"},
    )


# last: the catch-all of the page's own files
@router.get("/workbench/{path:path}", include_in_schema=False)
def workbench_file(path: str) -> Response:
    """Return a script, stylesheet or image of the workbench."""
    return _serve(STATIC, path)
