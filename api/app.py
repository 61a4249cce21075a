"""The FastAPI application: ``create_app(settings)`` builds it, ``panhuo serve`` runs it.

A thin door: routes parse a request, ask the store or queue a job, and serialise the answer. The
heavy work (reading hostile files, analyses, solves, maps, briefings) runs in worker processes
(:mod:`api.jobs`, :mod:`api.worker`), so reads stay fast while solves run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from threading import Thread
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import __version__
from api.deps import principal
from api.errors import install_error_handlers
from api.jobs import JobRunner
from api.logs import configure_logging
from api.middleware import ConventionsMiddleware
from api.ratelimit import RateLimiter
from api.routes import ROUTERS
from api.settings import Settings
from api.store import Store, migrate
from api.store.db import check_local_filesystem
from api.tasks import TaskBuilder
from api.workbench import router as workbench_router
from api.workbench.briefing import router as workbench_briefing_router

DESCRIPTION = """
盘活 panhuo 服务：上传地块与栅格数据、运行闲置/低效用地分析与布局优化、保存与比较场景、下载地图与简报。

The panhuo service: upload layers, run analyses and plans as jobs, keep versioned scenarios, compare
runs, download maps and briefings. Every route but `/health` needs `Authorization: Bearer <token>`
(`panhuo token create`). Roles: **viewer** reads; **planner** also uploads, runs and deletes;
**admin** also manages tokens and reads the audit log. A token sees only its own workspace.
Errors are `{"error": {"code", "message", "correlation_id"}}`.
"""


def _warm_imports() -> None:
    """Import what the first workbench calls need (matplotlib for the indicator scores, the presets).

    Run in a background thread at start-up, so the first ``GET /jobs/{id}/indicator-scores`` does
    not pay for matplotlib's import (seconds on a busy machine); a failure here only means that the
    first call imports it instead.
    """
    try:
        import geo.rules.presets  # noqa: F401
        import maps.charts  # noqa: F401
    except Exception:  # the route imports it again and reports whatever is wrong
        logging.getLogger("panhuo.api").exception("could not pre-import maps.charts")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: read from the environment).

    The store is migrated to the newest schema, jobs a previous server left unfinished are
    marked failed, and the job runner's threads start with the application's lifespan.
    """
    settings = settings or Settings.from_env()
    configure_logging()
    settings.store.data_dir.mkdir(parents=True, exist_ok=True)
    if not settings.store.is_postgres:
        check_local_filesystem(settings.store.data_dir)
    store = Store(settings.store.sqlalchemy_url(), retry_s=settings.store.db_retry_s)
    migrate(store.engine)
    runner = JobRunner(settings, store, TaskBuilder(settings, store).handlers())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.reconcile()
        runner.start()
        Thread(target=_warm_imports, name="panhuo-warm-imports", daemon=True).start()
        try:
            yield
        finally:
            runner.stop()
            store.close()

    app = FastAPI(
        title="panhuo 盘活",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # contract §8: every route but /health needs a token — the API description included
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "datasets", "description": "上传与管理数据 uploads"},
            {"name": "analyses", "description": "闲置与低效用地分析 analyses"},
            {"name": "scenarios", "description": "场景（带版本）与运行 versioned scenarios and runs"},
            {"name": "jobs", "description": "作业状态、结果、地图与简报 jobs and their results"},
            {"name": "comparisons", "description": "方案比较 comparisons"},
            {"name": "admin", "description": "令牌与审计 tokens and the audit log"},
        ],
    )
    app.state.settings = settings
    app.state.store = store
    app.state.runner = runner
    app.state.rate_limiter = RateLimiter(settings.http.expensive_per_minute)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(workbench_briefing_router)
    app.include_router(workbench_router)  # the browser workbench at / (issue 13)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document(_who: Annotated[Any, Depends(principal)]) -> dict[str, Any]:
        """Return the OpenAPI description of every route (any role's token)."""
        return app.openapi()

    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.http.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Correlation-ID", "Retry-After"],
        )
    app.add_middleware(ConventionsMiddleware, settings=settings)
    return app
