"""``panhuo serve``: run the web service (contract §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.errors import ConfigError


def require_server(command: str) -> None:
    """Refuse ``command`` in one line when the ``server`` extra is not installed (a core-only install)."""
    try:
        import alembic  # noqa: F401
        import fastapi  # noqa: F401
        import multipart  # noqa: F401
        import pydantic_settings  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise ConfigError(
            f"panhuo {command} 需要服务端依赖 needs the service's dependencies (missing {error.name}): "
            "pip install 'panhuo[server]'"
        ) from None


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="监听地址 address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口 port")] = 8000,
        data_dir: Annotated[
            Path | None,
            typer.Option(
                "--data-dir",
                help="数据目录：内置 SQLite 库、上传与结果 (default: $PANHUO_DATA_DIR or ./panhuo-data)",
            ),
        ] = None,
    ) -> None:
        """启动服务 Start the service (PANHUO_DATABASE_URL=postgresql://... selects PostgreSQL/PostGIS)."""
        require_server("serve")
        import uvicorn

        from api.app import create_app
        from api.settings import Settings
        from api.store.backup import hold_data_dir

        settings = Settings.from_env(data_dir=data_dir)
        # the lock tells `panhuo restore` (and a second server) that this data directory is in use
        with hold_data_dir(settings.store.data_dir):
            application = create_app(settings)
            uvicorn.run(
                application,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                server_header=False,
                proxy_headers=False,
                timeout_graceful_shutdown=10,
            )
