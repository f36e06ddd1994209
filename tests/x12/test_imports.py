"""The x12 package imports without a cycle (design.md: a cycle of imports is a bug), counting the
imports made only for type checking, which would become real ones the day they are needed."""

from __future__ import annotations

import ast
from pathlib import Path

import ptbill.x12

PACKAGE = Path(ptbill.x12.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Each module of ptbill.x12 (not the package's own __init__) and the ones it imports."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        if path.stem == "__init__":
            continue
        found = edges.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("ptbill.x12."):
                    found.add(node.module.removeprefix("ptbill.x12.").split(".")[0])
                elif node.module == "ptbill.x12":
                    found.update(alias.name for alias in node.names)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
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


def test_the_checker_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_of_the_x12_package_imports_itself_back():
    edges = _imports()
    assert {"read_835", "remittance", "balance"} <= set(edges)
    assert "read_835" not in edges["balance"]
    assert _cycle(edges) is None
