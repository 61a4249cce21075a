"""The service's routers, one module per resource."""

from api.routes import analyses, comparisons, datasets, health, jobs, scenarios, tokens

ROUTERS = (
    health.router,
    datasets.router,
    analyses.router,
    scenarios.router,
    jobs.router,
    comparisons.router,
    tokens.router,
)

__all__ = ["ROUTERS"]
