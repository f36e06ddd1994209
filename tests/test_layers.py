"""The charter's import rules, checked on the source: the core reads no environment, and the
claim pipeline sits outside the three steps it composes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "ptbill"
# Below the edges (cli, web): the core, the reference readers, the configuration, the
# workflow. Settings from the environment are resolved at the edges and passed down.
BELOW_THE_EDGES = (
    "domain",
    "intake",
    "coding",
    "scrub",
    "pricing",
    "x12",
    "reference",
    "config",
    "ledger",
    "remit",
    "reports",
    "payer_sim",
    "claim_pipeline.py",
)


def _modules(*parts: str) -> list[Path]:
    out: list[Path] = []
    for part in parts:
        path = SRC / part
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", _modules(*BELOW_THE_EDGES), ids=lambda p: str(p.relative_to(SRC)))
def test_no_environment_below_the_edges(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            pytest.fail(f"{path.name}:{node.lineno} reads the environment")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            assert not {"environ", "getenv"} & {a.name for a in node.names}


@pytest.mark.parametrize("path", _modules("coding", "scrub", "pricing"), ids=lambda p: p.name)
def test_the_steps_do_not_import_the_pipeline_that_composes_them(path: Path) -> None:
    assert "ptbill.claim_pipeline" not in _imports(path)
