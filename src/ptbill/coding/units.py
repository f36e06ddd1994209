"""Minutes to units: the CMS total-time method and the AMA (CPT) per-code method.

billing-rules.md §1-§2. Pure arithmetic on integers; the engine adds the explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

UNIT_MINUTES = 15


def midpoint_units(minutes: int, unit: int = UNIT_MINUTES) -> int:
    """Units of a time-based code under the CPT time rule (U-11, U-30): a unit is reached once
    its midpoint is passed, so 8 minutes make the first 15-minute unit, 23 the second..."""
    midpoint = unit // 2 + 1
    if minutes < midpoint:
        return 0
    return (minutes + unit - midpoint) // unit


class Allocation(NamedTuple):  # made once a visit: a named tuple is cheaper than a dataclass
    total_minutes: int
    total_units: int
    units: tuple[int, ...]
    # Codes that got a unit beyond their full 15-minute blocks from the day's pooled leftovers.
    extra: tuple[bool, ...]


def allocate_total_time(minutes: list[int], priority: list[int] | None = None) -> Allocation:
    """CMS total-time method (U-10..U-19).

    The day's total decides how many units (U-10/U-11). Every code keeps its full 15-minute
    units (U-13); the remaining units go one each to the codes with the most leftover minutes
    (U-16). Equal leftovers go to the lower `priority` value (by default the code listed first,
    U-18). No code can take more than one extra unit (U-16 step 5).
    """
    total_minutes = sum(minutes)
    total = midpoint_units(total_minutes)
    units = [m // UNIT_MINUTES for m in minutes]
    extra = [False] * len(minutes)
    remaining = total - sum(units)
    if remaining:
        rank = priority if priority is not None else range(len(minutes))
        # Codes with leftover minutes as (-leftover, priority, index): the most leftover first.
        leftovers = [
            (-(m % UNIT_MINUTES), rank[i], i) for i, m in enumerate(minutes) if m % UNIT_MINUTES
        ]
        for _, _, i in sorted(leftovers)[:remaining]:
            units[i] += 1
            extra[i] = True
    return Allocation(total_minutes, total, tuple(units), tuple(extra))


def allocate_per_code(minutes: list[int]) -> Allocation:
    """AMA/CPT method (U-30, U-31): each code's own minutes decide its units; nothing pooled."""
    units = tuple(midpoint_units(m) for m in minutes)
    return Allocation(sum(minutes), sum(units), units, (False,) * len(minutes))


@dataclass(frozen=True, slots=True)
class TimeFamily:
    """A code pair with its own time structure: a first unit of `first_minutes` and an add-on
    for each further `addon_minutes` (CPT descriptors of 97129/97130, 97550/97551, 97545/97546).
    """

    base: str
    addon: str
    first_minutes: int
    addon_minutes: int

    def units(self, minutes: int) -> tuple[int, int]:
        """(base units, add-on units) by the CPT midpoint rule applied to each unit."""
        if minutes < self.first_minutes // 2 + 1:
            return 0, 0
        return 1, midpoint_units(minutes - self.first_minutes, self.addon_minutes)


FAMILIES = {
    f.base: f
    for f in (
        TimeFamily("97129", "97130", 15, 15),
        TimeFamily("97550", "97551", 30, 15),
        TimeFamily("97545", "97546", 120, 60),
    )
}
FAMILY_OF = {code: f for f in FAMILIES.values() for code in (f.base, f.addon)}
