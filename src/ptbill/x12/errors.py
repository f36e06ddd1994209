"""The one error the X12 readers raise: where in the file (segment number and id, element) and
what is wrong. Messages never echo names, member ids or birth dates (PHI)."""

from __future__ import annotations


class X12Error(Exception):
    def __init__(
        self,
        problem: str,
        *,
        segment_number: int | None = None,
        segment_id: str | None = None,
        element: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.fix = fix  # what to do, when it is not "get the whole file again"
        self.segment_number = segment_number
        self.segment_id = segment_id
        self.element = element
        super().__init__(self.render())

    def where(self) -> str:
        parts = []
        if self.segment_number is not None:
            seg = f"segment {self.segment_number}"
            if self.segment_id:
                seg += f" ({self.segment_id})"
            parts.append(seg)
        if self.element:
            parts.append(self.element)
        return ", ".join(parts)

    def render(self) -> str:
        where = self.where()
        return f"{where}: {self.problem}" if where else self.problem

    def located(self, segment_number: int, segment_id: str) -> X12Error:
        """This error, placed at a segment when the code that raised it did not know where."""
        if self.segment_number is None and segment_number > 0:
            # Only the id: a damaged segment's whole text could carry a name or member id.
            self.segment_number, self.segment_id = segment_number, segment_id[:3]
            self.args = (self.render(),)
        return self
