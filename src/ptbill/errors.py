"""User-facing errors: each names the file, the visit, the field, what is wrong and the fix.

The CLI prints these and exits 2; nothing is ever half-written when one is raised.
"""

from __future__ import annotations

from pydantic import ValidationError


class InputError(Exception):
    def __init__(
        self, file: str, visit_id: str | None, field: str | None, problem: str, fix: str
    ) -> None:
        self.file, self.visit_id, self.field = file, visit_id, field
        self.problem, self.fix = problem, fix
        super().__init__(self.render())

    def render(self) -> str:
        where = [self.file]
        if self.visit_id:
            where.append(f"visit {self.visit_id}")
        if self.field:
            where.append(self.field)
        return f"{': '.join(where)}: {self.problem}. Fix: {self.fix}"


def unreadable(path: str, error: OSError) -> InputError:
    """The InputError for a file that cannot be opened or read (missing, a folder, no access)."""
    if isinstance(error, FileNotFoundError):
        return InputError(path, None, None, "cannot read the file: no such file", "check the path")
    return InputError(
        path,
        None,
        None,
        f"cannot read the file ({error.strerror})",
        "check the path and its permissions",
    )


class InputErrors(Exception):
    """Several input errors found in one pass (all are reported, none is acted on)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.render() for e in errors))


def field_path(loc: tuple[int | str, ...]) -> str:
    """('services', 1, 'minutes') -> 'services[1].minutes' (1-based where people count)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_FIXES = {
    "extra_forbidden": "remove the key or check its spelling (custom data goes under 'extensions')",
    "missing": "add the field",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "literal_error": "use one of the allowed values",
    "string_pattern_mismatch": "use the documented format",
}


def describe_validation_error(e: ValidationError) -> tuple[str, str]:
    """(field path, problem) for the first error of a pydantic ValidationError."""
    err = e.errors(include_url=False)[0]
    return field_path(tuple(err["loc"])), err["msg"]


def validation_errors(e: ValidationError, file: str, visit_id: str | None) -> list[InputError]:
    out = []
    for err in e.errors(include_url=False):
        loc = tuple(err["loc"])
        problem = err["msg"]
        if err["type"] == "extra_forbidden":
            problem = f"unknown key {loc[-1]!r}"
        elif err["type"] == "string_pattern_mismatch":
            problem = f"{err['input']!r} is not in the expected format"
        out.append(
            InputError(
                file,
                visit_id,
                field_path(loc) or "(visit)",
                problem,
                _FIXES.get(err["type"], "correct the value (see `ptbill schema visit`)"),
            )
        )
    return out
