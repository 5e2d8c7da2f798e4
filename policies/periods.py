"""Calendar periods in months and years (民法典 arts. 201–203, by analogy; domain §8.1).

A period of N months or years ends on the corresponding day of the last month; where that month
has no corresponding day (29 Feb in a common year, 31 in a short month), on the month's last day
(民法典 art. 202).
"""

from __future__ import annotations

import calendar as _gregorian
from datetime import date


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` months after start; the month's last day if it has none."""
    if months < 0:
        raise ValueError(f"months must not be negative: {months}")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last_day = _gregorian.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    """The corresponding day `years` years after start (29 Feb → 28 Feb in a common year)."""
    return add_months(start, 12 * years)
