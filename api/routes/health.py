"""``GET /health``: liveness, without a token."""

from __future__ import annotations

from fastapi import APIRouter

from api import __version__
from api.deps import StoreDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="健康检查 liveness (no token needed)")
def health(store: StoreDep) -> Health:
    """Answer ``ok`` and which metadata store is in use."""
    return Health(store="postgresql" if store.is_postgres else "sqlite", version=__version__)
