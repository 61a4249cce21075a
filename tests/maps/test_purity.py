"""maps/ is part of the pure core: no web framework, no environment variables."""

import ast
import subprocess
import sys
from pathlib import Path

MAPS = Path(__file__).resolve().parents[2] / "maps"


def test_maps_imports_no_web_framework():
    code = (
        "import sys, maps.web, maps.briefing, maps.charts, maps.basemaps, maps.offline, maps.results;"
        "print(','.join(m for m in ('fastapi', 'starlette', 'uvicorn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_maps_reads_no_environment_variables():
    for path in MAPS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                raise AssertionError(f"{path.name}:{node.lineno} reads the environment")
