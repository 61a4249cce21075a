"""``panhuo token create``: make a bearer token; only the token is printed on stdout."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Role(StrEnum):
    """The roles a token can have."""

    viewer = "viewer"
    planner = "planner"
    admin = "admin"


def register(app: typer.Typer) -> None:
    """Add ``token`` (with ``create``) to the CLI."""
    token_app = typer.Typer(name="token", help="管理服务令牌 manage service tokens", no_args_is_help=True)

    @token_app.command("create")
    def create(
        name: Annotated[str, typer.Option("--name", help="令牌名称（使用者）who the token is for")],
        role: Annotated[
            Role, typer.Option("--role", help="viewer 只读 | planner 可上传与运行 | admin 可管理令牌")
        ],
        workspace: Annotated[str | None, typer.Option("--workspace", help="工作空间 (default: NAME)")] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option("--data-dir", help="数据目录 (default: $PANHUO_DATA_DIR or ./panhuo-data)"),
        ] = None,
    ) -> None:
        """创建令牌 Create a token and print it (it is stored only as a hash: keep it safe)."""
        from panhuo.commands.serve import require_server

        require_server("token create")
        from api.settings import Settings
        from api.store import Store, migrate

        settings = Settings.from_env(data_dir=data_dir)
        settings.store.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.store.sqlalchemy_url())
        try:
            migrate(store.engine)
            _row, secret = store.create_token(name, role.value, workspace or name)
        finally:
            store.close()
        typer.echo(secret)

    app.add_typer(token_app)
