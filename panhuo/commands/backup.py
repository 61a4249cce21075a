"""``panhuo backup`` / ``panhuo restore``: an online, consistent copy of a data directory, and back.

Thin door over :mod:`api.store.backup`: the service may keep running during ``backup`` (SQLite's
online backup API, or ``pg_dump`` for a PostgreSQL store); ``restore`` needs it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_DATA_DIR_HELP = "数据目录 (default: $PANHUO_DATA_DIR or ./panhuo-data)"


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the CLI."""

    @app.command("backup")
    def backup_command(
        out: Annotated[Path, typer.Argument(help="备份文件（.tar），不能已存在 the backup file to write")],
        data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
    ) -> None:
        """备份 Back up the data directory and its database while the service runs (consistent snapshot)."""
        from api.settings import Settings
        from api.store.backup import backup

        settings = Settings.from_env(data_dir=data_dir)
        url = settings.store.sqlalchemy_url() if settings.store.is_postgres else None
        done = backup(settings.store.data_dir, out, database_url=url)
        counts = done["counts"]
        typer.echo(
            f"已备份 backed up → {out} ({_mib(done['bytes'])}, {done['seconds']:.1f} s): "
            f"{counts['datasets']} 数据集 datasets, {counts['scenarios']} 场景 scenarios "
            f"({counts['scenario_versions']} 版本 versions), {counts['jobs']} 作业 jobs, "
            f"{done['files']} 文件 files; 模式版本 schema {done['schema_revision']}"
        )
        for name in done["missing"]:
            typer.echo(f"警告 warning: {name} 在备份时已被删除 — deleted while the backup ran", err=True)

    @app.command("restore")
    def restore_command(
        archive: Annotated[Path, typer.Argument(help="panhuo backup 写出的备份文件 the backup file")],
        data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
        force: Annotated[
            bool,
            typer.Option(
                "--force", help="数据目录非空时也恢复：原目录改名保留 keep a non-empty data dir aside"
            ),
        ] = False,
    ) -> None:
        """恢复 Restore a backup into the data directory (stop the service first)."""
        from api.settings import Settings
        from api.store.backup import restore

        settings = Settings.from_env(data_dir=data_dir)
        url = settings.store.sqlalchemy_url() if settings.store.is_postgres else None
        done = restore(archive, settings.store.data_dir, database_url=url, force=force)
        counts = done["counts"]
        kept = f"; 原目录保留在 previous data kept in {done['kept']}" if done["kept"] else ""
        typer.echo(
            f"已恢复 restored {archive.name} ({done['created_at']}) → {settings.store.data_dir} in "
            f"{done['seconds']:.1f} s: {counts['datasets']} 数据集, {counts['scenarios']} 场景, "
            f"{counts['jobs']} 作业; integrity_check {done['integrity']}{kept}"
        )
