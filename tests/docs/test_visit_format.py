"""docs/visit-format.md and `ptbill schema visit`: the examples on the page are the files in
examples/, every field of the schema is described, and the page's field tables name them all."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ptbill.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "visit-format.md"
EXAMPLES = ROOT / "examples"
EMBEDDED = re.compile(r"<!-- example: (examples/[\w.-]+) -->\n```json\n(.*?)```", re.DOTALL)


def _schema() -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["schema", "visit"], obj={})
    assert r.exit_code == 0, r.output
    schema: dict[str, Any] = json.loads(r.stdout)
    return schema


def _objects(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every object of the schema with properties, by name: the $defs and the visit itself."""
    out = {name: d for name, d in schema.get("$defs", {}).items() if "properties" in d}
    out["Visit"] = schema
    return out


def test_every_example_file_is_on_the_page_word_for_word() -> None:
    page = PAGE.read_text(encoding="utf-8")
    embedded = EMBEDDED.findall(page)
    names = [name for name, _ in embedded]
    assert len(names) == len(set(names)), "an example is shown twice"
    files = sorted(f"examples/{p.name}" for p in EXAMPLES.glob("*.json"))
    assert sorted(names) == files
    for name, text in embedded:
        assert text == (ROOT / name).read_text(encoding="utf-8"), f"{name} differs from the page"


def test_the_page_has_the_complete_visit_and_one_example_per_feature() -> None:
    names = {name for name, _ in EMBEDDED.findall(PAGE.read_text(encoding="utf-8"))}
    for feature in ("complete", "evaluation", "cq", "kx", "authorization", "distinct"):
        assert f"examples/visit-{feature}.json" in names


def test_every_schema_property_has_a_description() -> None:
    missing = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if not str(prop.get("description", "")).strip():
                    missing.append(f"{where}.{name}")
                walk(prop, f"{where}.{name}")
            for key in ("items", "anyOf", "allOf", "oneOf", "$defs", "additionalProperties"):
                child = node.get(key)
                if isinstance(child, list):
                    for i, c in enumerate(child):
                        walk(c, f"{where}[{i}]")
                elif isinstance(child, dict) and key == "$defs":
                    for name, c in child.items():
                        walk(c, name)
                elif isinstance(child, dict):
                    walk(child, where)

    schema = _schema()
    walk(schema, "Visit")
    assert not missing, f"properties without a description: {missing}"
    assert len(_objects(schema)) >= 14  # the walk saw every object


def test_the_field_tables_name_every_property() -> None:
    page = PAGE.read_text(encoding="utf-8")
    fields = page.split("## The fields", 1)[1].split("## One example per feature", 1)[0]
    rows = [line for line in fields.splitlines() if line.startswith("| ")]
    missing = []
    for name, obj in _objects(_schema()).items():
        for prop in obj["properties"]:
            if name in ("Visit", "Service"):
                # the two big objects have tables of their own, one field a row
                heading = "### Visit" if name == "Visit" else "### Service"
                table = fields.split(heading, 1)[1].split("###", 1)[0]
                found = f"| `{prop}` |" in table
            else:
                found = any(
                    row.startswith(f"| {name} |") and f"`{prop}`" in row.split("|")[2]
                    for row in rows
                )
            if not found:
                missing.append(f"{name}.{prop}")
    assert not missing, f"docs/visit-format.md does not list: {missing}"
