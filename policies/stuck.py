"""Stuck documents: how long a document has waited in its stage and whether it is near or past
its stage allowance (issue 5, the office monitor).

Sources: the allowances themselves are local choices with no national limit (policies/profiles.py;
domain §5.1, §9.8). Working days are counted on the 调休 calendar, the entry day being day zero
and the deadline the end (24:00 Asia/Shanghai) of the Nth working day after it (domain §8.1;
民法典 arts. 201, 203 by analogy), exactly as `policies.deadlines.stage_deadline` stores it. Hour
allowances are elapsed clock time (domain §8.1; 民法典 art. 201 ¶2). The "near" share is a local
choice: no source sets a warning threshold (default 80 %); it is measured in the allowance's unit
(working days used of the working days allowed), as the window alerts measure theirs.

The monitor must list stuck documents among a million without computing every deadline, so this
module also turns (as_of, allowance) into an entry-time cutoff: whether a document is overdue (or
near) only grows with how early it entered, so "entered before the cutoff" is the whole test and
can run on an index of entry times.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from policies.calendar import (
    Age,
    WorkingDayCalendar,
    add_clock_hours,
    end_of_day,
    local_date,
    require_aware,
)
from policies.units import ClockHours, WorkingDays
from policies.windows import WindowUnit, share_elapsed

Allowance = WorkingDays | ClockHours

# Local choice (no source sets one): warn when 80 % of a stage allowance has elapsed.
DEFAULT_NEAR_SHARE = 0.8
_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_SOURCE = "local stage allowance (profiles.py; domain §5.1, §9.8; no national limit)"


class StuckLevel(StrEnum):
    """How far a document is into its stage allowance."""

    NEAR = "near"  # the near share of the allowance has elapsed (local choice)
    OVERDUE = "overdue"  # the allowance's deadline has passed


def check_near_share(share: float) -> float:
    """The near share if it lies strictly between 0 and 1, else ValueError naming the rule."""
    if not 0 < share < 1:
        raise ValueError(
            f"near share must be above 0 and below 1 (e.g. 0.8 = warn at 80 % of the stage "
            f"allowance, {_SOURCE}); got {share}"
        )
    return share


def allowance_due(
    entered_at: datetime, allowance: Allowance, calendar: WorkingDayCalendar
) -> tuple[datetime, bool]:
    """When a document that entered its stage at entered_at is overdue there, and whether the
    calendar had to guess (provisional); same counting as `stage_deadline`."""
    if isinstance(allowance, ClockHours):
        return add_clock_hours(entered_at, allowance), False
    return _deadline_end(local_date(entered_at), allowance.days, calendar)


@lru_cache(maxsize=8192)
def _deadline_end(day: date, days: int, calendar: WorkingDayCalendar) -> tuple[datetime, bool]:
    # Memo of the calendar walk: the monitor asks for the same few entry dates again and again.
    return calendar.deadline_end(day, days)


def stuck_level(
    entered_at: datetime,
    due_at: datetime,
    as_of: datetime,
    near_share: float,
    allowance: Allowance,
    calendar: WorkingDayCalendar,
) -> StuckLevel | None:
    """OVERDUE once as_of is past due_at; NEAR once the near share of the allowance is used, in
    the allowance's own unit (working days on the 调休 calendar, or clock hours: the same measure
    as the window alerts, policies.windows.share_elapsed); None while comfortably inside."""
    check_near_share(near_share)
    if as_of > due_at:
        return StuckLevel.OVERDUE
    if share_elapsed(entered_at, due_at, as_of, _unit(allowance), calendar) >= near_share:
        return StuckLevel.NEAR
    return None


def _unit(allowance: Allowance) -> WindowUnit:
    return WindowUnit.CLOCK if isinstance(allowance, ClockHours) else WindowUnit.WORKING_DAYS


def age_in_working_days(entered_at: datetime, as_of: datetime, calendar: WorkingDayCalendar) -> Age:
    """Working days strictly after the entry date up to and including as_of's date (Asia/Shanghai):
    the entry day is day zero, so a document on the Nth working day of an N-day allowance has age
    N and is overdue from day N + 1 (domain §8.1); provisional if it counted a year not loaded."""
    return calendar.working_days_between(local_date(entered_at), local_date(as_of))


def ages_in_working_days(
    entries: Sequence[datetime], as_of: datetime, calendar: WorkingDayCalendar
) -> list[Age]:
    """`age_in_working_days` of many entries at once, walking the calendar a single time (the
    monitor's page of rows): equal to calling it for each entry."""
    if not entries:
        return []
    end = local_date(as_of)
    starts = [local_date(entry) for entry in entries]
    first = min(starts)
    # counted[d] = working days strictly after d up to and including end.
    counted: dict[date, int] = {}
    total, day = 0, end
    while day >= first:
        counted[day] = total
        total += calendar.is_working(day).working
        day -= _ONE_DAY
    return [
        Age(
            counted.get(start, 0),
            start < end and calendar.provisional_between(start + _ONE_DAY, end),
        )
        for start in starts
    ]


def age_in_hours(entered_at: datetime, as_of: datetime) -> float:
    """Elapsed clock hours in the stage (hour allowances, domain §8.1); never negative."""
    require_aware(entered_at)
    require_aware(as_of)
    return max((as_of - entered_at).total_seconds() / 3600, 0.0)


def overdue_before(as_of: datetime, allowance: Allowance, calendar: WorkingDayCalendar) -> datetime:
    """The entry instant before which a document is overdue at as_of: entered_at < cutoff ⇔
    allowance_due(entered_at) < as_of (the due date never moves back when entry moves later)."""
    require_aware(as_of)
    if isinstance(allowance, ClockHours):
        return as_of - timedelta(hours=allowance.hours)
    day = local_date(as_of)
    while _due_for_entry_on(day, allowance, calendar) >= as_of:
        day -= _ONE_DAY
    return end_of_day(day)


def _due_for_entry_on(day: date, allowance: WorkingDays, calendar: WorkingDayCalendar) -> datetime:
    return _deadline_end(day, allowance.days, calendar)[0]


def near_before(
    as_of: datetime, allowance: Allowance, calendar: WorkingDayCalendar, near_share: float
) -> datetime:
    """The entry instant before which a document has used at least the near share of its
    allowance at as_of (overdue ones included): entered_at < cutoff ⇔ stuck_level is not None.
    The share used only shrinks as entry moves later (less time behind it, a due date no
    earlier), so one cutoff exists; in working days it is a day boundary, since the share
    depends on the entry date only."""
    require_aware(as_of)
    share = check_near_share(near_share)
    if isinstance(allowance, ClockHours):
        return as_of - timedelta(hours=allowance.hours * share) + _ONE_MICROSECOND
    day = local_date(as_of)
    while True:
        start = end_of_day(day - _ONE_DAY)  # 00:00 of the entry day: its date is what counts
        due = _due_for_entry_on(day, allowance, calendar)
        if due < as_of or share_elapsed(start, due, as_of, WindowUnit.WORKING_DAYS, calendar) >= (
            share
        ):
            return end_of_day(day)
        day -= _ONE_DAY
