"""Who imports whom in src/ptbill, read from the source (nothing is imported): every import
statement counts, at the top of a module, inside a function, or under `if TYPE_CHECKING:` (an
import made only for the type checker becomes a real one the day it is needed)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"
PACKAGE = SRC / "ptbill"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of ptbill (packages by their __init__), but the Alembic migration scripts,
    which Alembic loads by path."""
    return {
        module_name(p): p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in p.relative_to(PACKAGE).parts
    }


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module of a `from ... import` (relative ones resolved)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports(name: str) -> frozenset[str]:
    """The ptbill modules `name` imports."""
    return imports_in(name, modules()[name].read_text(encoding="utf-8"))


def imports_in(name: str, source: str) -> frozenset[str]:
    """The ptbill modules the `source` of module `name` imports: `from a.b import c` counts
    a.b.c when c is a module, else a.b."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            source_module = _resolve(name, node)
            for alias in node.names:
                child = f"{source_module}.{alias.name}"
                if child in known:
                    found.add(child)
                elif source_module in known:
                    found.add(source_module)
    found.discard(name)
    return frozenset(found)


def graph() -> dict[str, frozenset[str]]:
    return {name: imports(name) for name in modules()}


def find_cycle(edges: dict[str, frozenset[str]] | dict[str, set[str]]) -> list[str] | None:
    """One cycle of `edges` (its modules in order, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done or module not in edges:
            return None
        for imported in sorted(edges[module]):
            if cycle := visit(imported, [*path, module]):
                return cycle
        done.add(module)
        return None

    for module in sorted(edges):
        if cycle := visit(module, []):
            return cycle
    return None
