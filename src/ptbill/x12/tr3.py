"""Transaction structures as data, and a checker that holds an interchange against them.

No independent validator ptbill can use knows the 5010 270, 271 and 276 (pyx12 ships only
their 4010 maps), so their TR3 structures are written down once, as data (ptbill.x12.tr3_guides):
loops with their repeat counts, segments with their usage (R required, S situational) and
maximum use, and per segment the elements that are required, situational or not used and the
codes the guide allows. `check` walks an interchange through that structure the way a
validator does and returns every departure, each naming the segment number and the loop.

An element spec is a space-separated list of tokens: `01` required, `?03` situational,
`-06` not used, each optionally followed by `=A|B` (the codes allowed). A segment is
recognised by its id and the codes of its required coded elements (HL03, NM101, REF01 ...), so
a loop starts where its first segment with those codes appears.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import split_text

UNBOUNDED = 0  # a repeat or maximum use of ">1"


@dataclass(frozen=True, slots=True)
class Element:
    position: int
    usage: str  # R, S or N
    codes: frozenset[str] = frozenset()


def _elements(spec: str) -> tuple[Element, ...]:
    out = []
    for token in spec.split():
        usage = "R"
        if token[0] in "?-":
            usage, token = ("S" if token[0] == "?" else "N"), token[1:]
        position, _, codes = token.partition("=")
        out.append(
            Element(int(position), usage, frozenset(codes.split("|")) if codes else frozenset())
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Seg:
    """One segment of a guide: id, usage, maximum use, name, elements (see the module doc)."""

    id: str
    usage: str
    max_use: int
    name: str
    spec: str = ""
    elements: tuple[Element, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", _elements(self.spec))

    def matches(self, e: list[str]) -> bool:
        if e[0] != self.id:
            return False
        for el in self.elements:
            if el.usage == "R" and el.codes:
                value = e[el.position] if el.position < len(e) else ""
                if value.split(":")[0] not in el.codes and value not in el.codes:
                    return False
        return True


@dataclass(frozen=True, slots=True)
class Loop:
    id: str
    name: str
    usage: str
    repeat: int  # UNBOUNDED for >1
    children: tuple[Seg | Loop, ...]

    @property
    def first(self) -> Seg:
        head = self.children[0]
        assert isinstance(head, Seg), f"loop {self.id} must start with a segment"
        return head


@dataclass(frozen=True, slots=True)
class Guide:
    """One implementation guide: the transaction set, its version and its structure (the
    header segments after ST, then the detail loops)."""

    transaction: str  # ST01
    version: str  # GS08 and ST03
    functional_id: str  # GS01
    name: str
    body: Loop  # a pseudo-loop holding the header segments and the top-level loops


@dataclass(slots=True)
class _Open:
    loop: Loop
    index: int = -1  # the child last matched
    used: dict[int, int] = field(default_factory=dict)  # child index -> times used
    hl: str | None = None  # HL01 of this loop's HL, if it has one


class _Walker:
    """Walks the segments of one transaction set through a guide."""

    def __init__(self, guide: Guide, st_number: int, errors: list[str]) -> None:
        self.guide, self.errors = guide, errors
        self.stack = [_Open(guide.body)]
        self.number = st_number
        self.hl_count = 0

    def error(self, message: str, seg_id: str = "") -> None:
        where = f"segment {self.number}" + (f" ({seg_id})" if seg_id else "")
        loop = self.stack[-1].loop.id
        self.errors.append(f"{where} in {loop}: {message}")

    def feed(self, e: list[str], number: int) -> None:
        self.number = number
        for depth in range(len(self.stack) - 1, -1, -1):
            found = self._find(self.stack[depth], e)
            if found is None:
                continue
            index, child = found
            for _ in range(len(self.stack) - 1 - depth):
                self._close(self.stack.pop())
            top = self.stack[-1]
            self._skipped(top, index)
            top.index = index
            top.used[index] = top.used.get(index, 0) + 1
            limit = child.repeat if isinstance(child, Loop) else child.max_use
            if limit != UNBOUNDED and top.used[index] > limit:
                what = f"loop {child.id}" if isinstance(child, Loop) else e[0]
                self.error(f"{what} repeats more than the {limit} time(s) the guide allows", e[0])
            if isinstance(child, Loop):
                opened = _Open(child, index=0, used={0: 1})
                self.stack.append(opened)
                self._segment(child.first, e, opened)
            else:
                self._segment(child, e, top)
            return
        self.error("segment not expected here (out of order, or not in this guide)", e[0])

    def _find(self, top: _Open, e: list[str]) -> tuple[int, Seg | Loop] | None:
        """The child of `top` this segment is: at or after the last one matched (segments
        keep their order). A loop's own first segment is never a child of that loop: it
        starts the next instance, found from the parent."""
        children = top.loop.children
        first = 0 if top is self.stack[0] else 1
        for index in range(max(top.index, first), len(children)):
            child = children[index]
            head = child if isinstance(child, Seg) else child.first
            if head.matches(e):
                return index, child
        return None

    def _skipped(self, top: _Open, index: int) -> None:
        for i in range(top.index + 1, index):
            self._missing(top, i)

    def _missing(self, top: _Open, i: int) -> None:
        child = top.loop.children[i]
        if child.usage == "R" and not top.used.get(i):
            what = f"loop {child.id} ({child.name})" if isinstance(child, Loop) else child.id
            self.error(f"required {what} is missing", child.id if isinstance(child, Seg) else "")

    def _close(self, top: _Open) -> None:
        for i in range(top.index + 1, len(top.loop.children)):
            self._missing(top, i)

    def finish(self, number: int) -> None:
        self.number = number
        while len(self.stack) > 1:
            self._close(self.stack.pop())
        self._close(self.stack[0])

    def _segment(self, seg: Seg, e: list[str], where: _Open) -> None:
        """The elements of one segment, and the HL numbering."""
        defined = {el.position: el for el in seg.elements}
        last = max(defined, default=0)
        if seg.spec and len(e) - 1 > last:
            extra = [i for i in range(last + 1, len(e)) if e[i]]
            if extra:
                self.error(f"{e[0]}{extra[0]:02d} is not an element of {seg.name}", e[0])
        for el in seg.elements:
            value = e[el.position] if el.position < len(e) else ""
            name = f"{e[0]}{el.position:02d}"
            if el.usage == "R" and not value:
                self.error(f"required {name} is missing ({seg.name})", e[0])
            elif el.usage == "N" and value:
                self.error(f"{name} is not used in {seg.name}", e[0])
            elif value and el.codes and value not in el.codes:
                head = value.split(":")[0]
                if head not in el.codes:
                    self.error(f"{name} is not one of the codes the guide allows here", e[0])
        if e[0] == "HL":
            self._hl(e, where)

    def _hl(self, e: list[str], where: _Open) -> None:
        self.hl_count += 1
        hl01 = e[1] if len(e) > 1 else ""
        if hl01 != str(self.hl_count):
            self.error(f"HL01 should be {self.hl_count} (HL numbers count up from 1)", "HL")
        where.hl = hl01
        parent = next((o.hl for o in reversed(self.stack[:-1]) if o.hl is not None), None)
        hl02 = e[2] if len(e) > 2 else ""
        if (parent or "") != hl02:
            self.error(f"HL02 should name the parent level HL {parent or '(none)'}", "HL")


def check(text: str, guide: Guide) -> list[str]:
    """Every departure of an X12 interchange from `guide` (an empty list: it conforms)."""
    errors: list[str] = []
    try:
        segments = split_text(text)
    except X12Error as exc:
        return [str(exc)]
    walker: _Walker | None = None
    for number, e in enumerate(segments, start=1):
        sid = e[0]
        if sid == "GS":
            if e[1:2] != [guide.functional_id] or e[8:9] != [guide.version]:
                errors.append(
                    f"segment {number} (GS): GS01/GS08 should be {guide.functional_id} / "
                    f"{guide.version}"
                )
        elif sid == "ST":
            if e[1:2] != [guide.transaction] or e[3:4] != [guide.version]:
                errors.append(
                    f"segment {number} (ST): ST01/ST03 should be {guide.transaction} / "
                    f"{guide.version}"
                )
            walker = _Walker(guide, number, errors)
        elif sid == "SE":
            if walker is not None:
                walker.finish(number)
            walker = None
        elif walker is not None:
            walker.feed(e, number)
        elif sid not in ("ISA", "GE", "IEA"):
            errors.append(f"segment {number} ({sid}): outside a transaction set")
    return errors


def walk(guide: Guide) -> Iterator[tuple[int, Seg | Loop]]:
    """Every loop and segment of a guide with its depth (for documentation and tests)."""

    def inner(loop: Loop, depth: int) -> Iterator[tuple[int, Seg | Loop]]:
        for child in loop.children:
            yield depth, child
            if isinstance(child, Loop):
                yield from inner(child, depth + 1)

    return inner(guide.body, 0)


def loops(guide: Guide) -> Sequence[str]:
    return [c.id for _, c in walk(guide) if isinstance(c, Loop)]
