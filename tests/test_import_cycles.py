"""No module of ptbill imports itself back, through any chain of imports (design.md: a cycle
of imports is a bug), counting the imports made inside functions and under TYPE_CHECKING."""

from __future__ import annotations

from tests.import_graph import find_cycle, graph, imports_in

SOURCE = """
from __future__ import annotations
from typing import TYPE_CHECKING
import ptbill.errors
from ptbill.ledger import models as m
from . import refs
from .states import State

if TYPE_CHECKING:
    from ptbill.remit.post import RemittancePoster

def later():
    from ptbill.x12.read_835 import read_835
"""


def test_the_checker_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_kind_of_import_counts() -> None:
    assert imports_in("ptbill.ledger.acks", SOURCE) == {
        "ptbill.errors",
        "ptbill.ledger.models",  # `from package import module`
        "ptbill.ledger.refs",  # relative
        "ptbill.ledger.states",
        "ptbill.remit.post",  # for the type checker only
        "ptbill.x12.read_835",  # inside a function
    }


def test_no_module_of_ptbill_imports_itself_back() -> None:
    assert find_cycle(graph()) is None
