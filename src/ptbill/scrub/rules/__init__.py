"""The scrub rules, one module per group. Importing this package registers them all, in the
catalog order below (the order of docs/rules.md and of a visit's findings)."""

from importlib import import_module

GROUPS = (
    "codes",
    "units",
    "mue",
    "ncci",
    "modifiers",
    "diagnosis",
    "evaluation",
    "plan_of_care",
    "progress_report",
    "authorization",
    "threshold",
    "assistants",
    "timely_filing",
    "providers",
    "patient",
    "documentation",
    "duplicates",
    "claim",
    "eligibility",
)

for _group in GROUPS:
    import_module(f"{__name__}.{_group}")
