"""The worker side of ``POST /jobs/{id}/briefings`` (run by ``python -m api.worker``, kind ``briefing``).

Kept apart from the route so the worker imports nothing of the web layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_parcel_briefing(inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Worker side: :func:`maps.briefing.build_briefing` for the parcels asked for (unknown ids: 422)."""
    from maps.briefing import BriefingText, build_briefing
    from maps.results import load_analysis

    out = Path(inputs["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    build_briefing(
        out=out,
        analysis=load_analysis(inputs["analysis_dir"]),
        parcel_ids=list(params["parcels"]),
        text=BriefingText(source="panhuo 服务"),
    )
    return {"pages_pdf": out.name, "parcels": len(params["parcels"])}
