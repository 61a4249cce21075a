"""The optimizer is a pure core: importing it pulls in no web framework."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_fastapi():
    code = (
        "import sys, optimizer.plan, optimizer.compare, optimizer.frontier, optimizer.diagnose; "
        "print('fastapi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
