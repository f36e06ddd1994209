"""The charter's import rules, checked on the source: imports point inward, from the edges to
the workflow to the core to reference data and the domain (docs/architecture.md), never back;
the core reads no environment; the claim pipeline sits outside the three steps it composes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.import_graph import imports, modules

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
    "denials",
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


# docs/architecture.md: each top-level package (or module) of ptbill and its layer; a module may
# import its own layer and those below, never one above.
LAYERS = {
    "domain": ("ptbill", "ptbill.domain", "ptbill.errors", "ptbill.bulk"),
    "reference": ("ptbill.reference", "ptbill.config"),
    "core": (
        "ptbill.coding",
        "ptbill.scrub",
        "ptbill.pricing",
        "ptbill.x12",
        "ptbill.denials",
        "ptbill.claim_pipeline",
    ),
    "workflow": (
        "ptbill.ledger",
        "ptbill.remit",
        "ptbill.reports",
        "ptbill.exchange",
        "ptbill.intake",
        "ptbill.payer_sim",
    ),
    "edges": ("ptbill.cli", "ptbill.web", "ptbill.demo", "ptbill.__main__"),
}
ORDER = list(LAYERS)
# Imports that point outward and stay for a stated reason, as (importer, imported). None today:
# add one only with the reason beside it, and remove it when the move is made.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def layer_of(module: str) -> str:
    """The layer of a ptbill module: that of the longest package (or module) name it is in."""
    found = [
        (len(name), layer)
        for layer, names in LAYERS.items()
        for name in names
        if module == name or module.startswith(name + ".")
    ]
    if not found:
        raise AssertionError(f"{module} is in no layer: add its package to LAYERS (and docs)")
    return max(found)[1]


def test_every_module_has_a_layer() -> None:
    for module in modules():
        layer_of(module)
    assert layer_of("ptbill.ledger.importer") == "workflow"
    assert layer_of("ptbill") == "domain"


def test_the_check_catches_an_outward_import() -> None:
    assert _outward("ptbill.x12.read_835", {"ptbill.ledger.models", "ptbill.x12.values"}) == [
        "ptbill.ledger.models (workflow)"
    ]


def _outward(module: str, imported: set[str] | frozenset[str]) -> list[str]:
    own = ORDER.index(layer_of(module))
    return sorted(
        f"{name} ({layer_of(name)})"
        for name in imported
        if ORDER.index(layer_of(name)) > own and (module, name) not in ALLOWED
    )


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_inward(module: str) -> None:
    outward = _outward(module, imports(module))
    assert not outward, f"{module} ({layer_of(module)}) imports a higher layer: {outward}"
