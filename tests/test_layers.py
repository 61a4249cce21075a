"""The floors of the house (docs/architecture.md): nothing imports upward, nothing goes round in a circle.

    geo → optimizer → maps (render) → maps.products → doors (panhuo CLI, api service)

Two views of the same rule: the source (every ``import`` statement, lazy ones inside functions
included, read with :mod:`ast`), and a subprocess that imports every module of a floor and looks
at ``sys.modules``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "optimizer", "maps", "api", "panhuo")

#: floor of each part of the project (a module's part is its longest listed prefix)
FLOOR = {"geo": 0, "optimizer": 1, "maps": 2, "maps.products": 3, "api": 4, "panhuo": 4}
#: imports a part may not make although the floor would allow them
EXTRA_FORBIDDEN = {"api": ("panhuo",)}
#: third-party packages a part must not import (the pure core draws nothing below maps)
SERVER = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "geoalchemy2", "multipart")
THIRD_PARTY_FORBIDDEN = {
    "geo": (*SERVER, "folium", "matplotlib"),
    "optimizer": (*SERVER, "folium", "matplotlib"),
    "maps": SERVER,
    "maps.products": SERVER,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def part_of(module: str) -> str:
    """The longest key of :data:`FLOOR` that is ``module`` or a package above it."""
    best = ""
    for key in FLOOR:
        if (module == key or module.startswith(key + ".")) and len(key) > len(best):
            best = key
    return best


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str) -> list[tuple[str, int]]:
    """Every module ``module`` imports (at the top or inside a function), with the line."""
    path = MODULES[module]
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
    return sorted(set(out), key=lambda item: (item[1], item[0]))


def _project(name: str) -> str | None:
    """The project module ``name`` refers to (itself or the package it is in), else None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


@pytest.mark.parametrize("part", sorted(FLOOR))
def test_no_upward_import(part):
    bad = []
    for module in MODULES:
        if part_of(module) != part:
            continue
        for name, line in imports_of(module):
            target = _project(name)
            if target is None:
                continue
            other = part_of(target)
            upward = FLOOR[other] > FLOOR[part]
            forbidden = any(target == f or target.startswith(f + ".") for f in EXTRA_FORBIDDEN.get(part, ()))
            if upward or forbidden:
                bad.append(f"{MODULES[module].relative_to(ROOT)}:{line} imports {target} ({other})")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("part", sorted(THIRD_PARTY_FORBIDDEN))
def test_no_forbidden_third_party_import(part):
    banned = THIRD_PARTY_FORBIDDEN[part]
    bad = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {name}"
        for module in MODULES
        if part_of(module) == part
        for name, line in imports_of(module)
        if name.split(".")[0] in banned
    ]
    assert not bad, "\n".join(bad)


def test_no_import_circle():
    graph = {m: sorted({t for n, _ in imports_of(m) if (t := _project(n)) and t != m}) for m in MODULES}
    # a package's __init__ importing its own modules is how a package re-exports; not a circle
    for m, targets in graph.items():
        if MODULES[m].name == "__init__.py":
            graph[m] = [t for t in targets if not t.startswith(m + ".")]
    circles = _strongly_connected(graph)
    assert not circles, "import circles: " + "; ".join(" ↔ ".join(c) for c in circles)


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm; the components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_checks_can_fail():
    # the checks above see an upward import and a circle when there is one
    assert part_of("maps.products") == "maps.products" and part_of("maps.web") == "maps"
    assert _strongly_connected({"a": ["b"], "b": ["a"], "c": ["a"]}) == [["a", "b"]]
    assert ("optimizer.plan", 1) not in imports_of("geo.errors")
    assert any(_project(n) == "optimizer.inputs" for n, _ in imports_of("optimizer.diagnose"))


#: what importing every module of a floor must leave out of ``sys.modules``
RUNTIME = {
    "geo": ("optimizer", "maps", "api", "panhuo", "fastapi", "matplotlib", "folium"),
    "optimizer": ("maps", "api", "panhuo", "fastapi", "matplotlib", "folium"),
    "maps": ("api", "panhuo", "fastapi", "sqlalchemy"),
    "api": ("panhuo",),
}


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(RUNTIME))
def test_importing_a_floor_loads_nothing_above_it(package):
    modules = sorted(
        m
        for m in MODULES
        if (m == package or m.startswith(package + "."))
        and not m.endswith("__main__")
        and ".migrations" not in m
        and m != "optimizer._highs_child"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(','.join(sorted({{k.split('.')[0] for k in sys.modules}} & set({RUNTIME[package]!r}))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
