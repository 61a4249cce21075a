"""The core installs and runs without the ``server`` extra (pyproject ``[project.optional-dependencies]``).

A fresh venv per test would take minutes, so a subprocess blocks the service's packages instead:
any import of them fails as if they were not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "geoalchemy2", "multipart",
          "pydantic_settings")  # fmt: skip

BLOCK = textwrap.dedent(
    f"""
    import sys
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {SERVER!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, Blocker())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )


def test_the_blocker_blocks():
    done = _run("import fastapi")
    assert done.returncode != 0 and "No module named 'fastapi'" in done.stderr


@pytest.mark.slow
def test_core_packages_import_and_the_cli_runs_without_the_server_extra(tmp_path):
    done = _run(
        f"""
        import importlib, pkgutil
        import geo, optimizer, maps
        for package in (geo, optimizer, maps):
            for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if info.name != "optimizer._highs_child":
                    importlib.import_module(info.name)
        from panhuo.cli import main
        for argv in (["--help"], ["plan", "--help"], ["analyze", "--help"]):
            try:
                main(argv)
            except SystemExit as done:
                assert done.code in (0, None), (argv, done.code)
        try:
            main(["serve", "--data-dir", {str(tmp_path)!r}])
        except SystemExit as done:
            assert done.code == 2, done.code
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
    # the refusal is one line naming the extra
    assert "pip install 'panhuo[server]'" in done.stderr and "Traceback" not in done.stderr
