"""The ``panhuo`` command line: a thin door over the core (``geo``, ``optimizer``, ``maps``).

Each command lives in its own module under :mod:`panhuo.commands` and registers itself on the
shared Typer app. Domain errors (:class:`geo.errors.PanhuoError`) end the program with a one-line
reason on stderr and exit status 2; anything unexpected is reported on one line too (exit 70), with
the traceback only when ``PANHUO_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from geo.errors import PanhuoError

#: command modules, in the order ``--help`` lists them
COMMAND_MODULES: tuple[str, ...] = (
    # the order of the work: read, analyse, plan, compare, show, brief, serve
    "panhuo.commands.inspect",
    "panhuo.commands.analyze",
    "panhuo.commands.plan",
    "panhuo.commands.compare",
    "panhuo.commands.map",
    "panhuo.commands.brief",
    "panhuo.commands.serve",
    "panhuo.commands.token",
    "panhuo.commands.backup",
)

app = typer.Typer(
    name="panhuo",
    help=(
        "盘活 panhuo — 开发区存量土地盘活规划：闲置与低效用地认定、集约利用指标、"
        "再开发与公共设施布局优化、地图与一事一议简报。"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """盘活 panhuo: land-revitalisation planner for high-tech development zones."""
    if version:
        from panhuo import __version__

        typer.echo(f"panhuo {__version__}")
        raise typer.Exit(0)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn every error into a one-line reason and a non-zero exit status."""
    try:
        app(args=argv, prog_name="panhuo", standalone_mode=True)
    except PanhuoError as error:
        typer.echo(f"panhuo: 错误 error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("panhuo: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # no traceback reaches a user unless asked for
        if os.environ.get("PANHUO_DEBUG") == "1":
            raise
        from api.errors import DISK_FULL_MESSAGE, is_disk_full

        if is_disk_full(error):
            typer.echo(f"panhuo: 错误 error: {DISK_FULL_MESSAGE}", err=True)
            sys.exit(2)
        typer.echo(
            f"panhuo: internal error ({type(error).__name__}): {error}. "
            "Set PANHUO_DEBUG=1 to see the traceback and please report it.",
            err=True,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
