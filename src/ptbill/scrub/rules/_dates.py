"""Date arithmetic shared by the rules."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


@lru_cache(maxsize=4096)  # a run has few distinct dates; a timedelta costs more than a rule
def days_after(day: dt.date, days: int) -> dt.date:
    """The date `days` days after `day`."""
    return day + dt.timedelta(days=days)
