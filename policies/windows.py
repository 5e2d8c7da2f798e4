"""How much of a window has elapsed, in the window's own unit, and which alert thresholds it has
crossed (domain §10 rules 12, 13; §11 windows #1–#3). Also when a filed document is due for
re-review (条例 art. 18; #19) and when a secrecy period ends (保密法 2024 arts. 20, 24; #17).

A working-day window (条例 art. 26: 20 WD; seeds 002 §二(十三), 004 §二(五): 3 WD) is measured
in working days of the 调休 calendar: the trigger day is day zero, rest days add nothing, and a
working day adds the share of it already passed in Asia/Shanghai; so half of a 20 WD window is
10 working days, however many weekends and holidays lie between. A clock-hour window (seed 000
§三(二十二): 2 hours) is measured in elapsed time. `policies.deadlines.fraction_elapsed` measures
every window in clock time; it is kept for clock windows, and `share_elapsed` replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from policies.calendar import (
    SHANGHAI,
    WorkingDayCalendar,
    local_date,
    require_aware,
)
from policies.classification import Classification
from policies.deadlines import (
    Deadline,
    DeadlineKind,
    nondisclosure_review_deadline,
    secrecy_expiry_deadline,
)
from policies.profiles import InterpretationMode, PolicyProfile

OVERDUE = 1.0  # the whole window is spent: always alerted (domain §10 rule 13 "and 100%")
DEFAULT_SHARES = (0.5,)  # domain §10 rule 13: "escalating alerts (e.g. at 50% and 100%)"
_ONE_DAY = timedelta(days=1)

# The windows the office is alerted about (domain §10 rules 12, 13).
WATCHED_KINDS = (
    DeadlineKind.PUBLICATION_LOCAL,  # #1 seed 000 §三(二十二): 2 clock hours after 印发
    DeadlineKind.PUBLICATION_CEILING,  # #2 条例 art. 26: 20 WD from formation or change
    DeadlineKind.INTERPRETATION,  # #3 seeds 002 §二(十三), 004 §二(五): 3 WD; #4 seed 000
)


class WindowUnit(StrEnum):
    """What a window is counted in (domain §8.1: hour windows ignore the working calendar)."""

    CLOCK = "clock"
    WORKING_DAYS = "working_days"


def window_unit(kind: DeadlineKind, profile: PolicyProfile) -> WindowUnit:
    """The unit a watched window is counted in under profile."""
    if kind is DeadlineKind.PUBLICATION_LOCAL:
        return WindowUnit.CLOCK  # seed 000 §三(二十二): 印发之后的2小时内
    if kind is DeadlineKind.PUBLICATION_CEILING:
        return WindowUnit.WORKING_DAYS  # 条例 art. 26: 20个工作日内
    if kind is DeadlineKind.INTERPRETATION:
        if profile.interpretation_mode is InterpretationMode.TOGETHER:
            return WindowUnit.CLOCK  # seed 000 §三(十八): with the document, a zero-length window
        return WindowUnit.WORKING_DAYS  # seeds 002, 004: 文件公开3个工作日内
    raise ValueError(f"{kind} is not a watched publication window")


def window_start(
    kind: DeadlineKind, due: datetime, profile: PolicyProfile, calendar: WorkingDayCalendar
) -> datetime:
    """The instant a watched window opened, recovered from its due instant: 2 clock hours before
    it (seed 000 §三(二十二)); for N working days, midnight of the day before the Nth working day
    counted back from the last day. Earlier rest days add nothing, so shares measured from here
    equal those from the trigger itself (条例 art. 26; seeds 002, 004)."""
    require_aware(due)
    if kind is DeadlineKind.PUBLICATION_LOCAL:
        if profile.publish_after_issue is None:
            raise ValueError(f"profile {profile.name} has no local publication window")
        return due - timedelta(hours=profile.publish_after_issue.hours)
    if window_unit(kind, profile) is WindowUnit.CLOCK:
        return due  # published together: the window opens and closes at publication
    if kind is DeadlineKind.PUBLICATION_CEILING:
        n = profile.publish_ceiling.days
    else:
        n = profile.interpretation_within.days
    day, counted = (due - _ONE_DAY).astimezone(SHANGHAI).date(), 0
    while counted < n:
        counted += calendar.is_working(day).working
        day -= _ONE_DAY
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def cycle_of(due: datetime) -> str:
    """The cycle a re-review belongs to: the last day (Asia/Shanghai) before it falls due."""
    require_aware(due)
    return (due - _ONE_DAY).astimezone(SHANGHAI).date().isoformat()


@lru_cache(maxsize=4096)
def _working_days_from(first: date, end: date, calendar: WorkingDayCalendar) -> int:
    """Working days in [first, end): whole days only, so the same few date pairs recur all day
    (the office monitor asks for them on every page) and are counted once."""
    count, day = 0, first
    while day < end:
        count += calendar.is_working(day).working
        day += _ONE_DAY
    return count


def working_days_elapsed(start: datetime, as_of: datetime, calendar: WorkingDayCalendar) -> float:
    """Working days elapsed since start (its day is day zero; 民法典 art. 201): each working day
    after it counts fully once over, the current one by the share of it passed in Shanghai."""
    require_aware(as_of)
    first = local_date(start) + _ONE_DAY
    local = as_of.astimezone(SHANGHAI)
    today = local.date()
    elapsed = float(_working_days_from(first, today, calendar))
    if today >= first and calendar.is_working(today).working:
        midnight = datetime.combine(today, time(0), tzinfo=SHANGHAI)
        elapsed += (local - midnight) / _ONE_DAY
    return elapsed


def share_elapsed(
    start: datetime,
    due: datetime,
    as_of: datetime,
    unit: WindowUnit,
    calendar: WorkingDayCalendar,
) -> float:
    """The share of the window [start, due] used by as_of, in the window's unit (0 before the
    start; 1 at the due instant; above 1 when late)."""
    for moment in (start, due, as_of):
        require_aware(moment)
    if as_of <= start:
        return 0.0
    if due <= start:
        return 1.0  # a zero-length window (published together) is spent at once
    if unit is WindowUnit.CLOCK:
        return (as_of - start) / (due - start)
    total = working_days_elapsed(start, due, calendar)
    if total <= 0:
        return 1.0 if as_of >= due else 0.0  # only rest days in between: spent at the due instant
    return working_days_elapsed(start, as_of, calendar) / total


def thresholds_crossed(
    start: datetime,
    due: datetime,
    as_of: datetime,
    unit: WindowUnit,
    calendar: WorkingDayCalendar,
    shares: tuple[float, ...] = DEFAULT_SHARES,
) -> tuple[float, ...]:
    """The alert thresholds reached at as_of, ascending: each configured share below 1, and
    OVERDUE (1.0) once the due instant is reached (domain §10 rule 13; always alerted)."""
    for share in shares:
        if not 0 < share <= OVERDUE:
            raise ValueError(f"an alert share must lie in (0, 1]: {share}")
    wanted = sorted({*shares, OVERDUE})
    if as_of >= due:
        return tuple(wanted)  # spent: no need to count the days
    used = share_elapsed(start, due, as_of, unit, calendar)
    return tuple(s for s in wanted if s < OVERDUE and used >= s)


def threshold_label(share: float) -> str:
    """How a threshold is named in alerts and keys: "50%", or "overdue" for the whole window."""
    return "overdue" if share >= OVERDUE else f"{share * 100:g}%"


@dataclass(frozen=True, slots=True)
class RereviewDue:
    """A re-review that falls due: when, and the cycle that makes it unique per document."""

    due_at: datetime
    cycle: str  # the due date (ISO): one re-review per document, kind and cycle
    source: str


def periodic_rereview_due(last_reviewed_on: date, profile: PolicyProfile) -> RereviewDue:
    """条例 art. 18 定期评估审查 of a 不予公开/依申请公开 record: due one profile interval after its
    last review (filing or the last re-review decision); no national interval, so the profile's
    (national default 12 months, a local choice; domain §11 #19, seed 000 §三(二十一))."""
    deadline = nondisclosure_review_deadline(last_reviewed_on, profile)
    return _due(deadline)


def secrecy_rereview_due(issued_on: date, classification: Classification) -> RereviewDue | None:
    """When 制发日 + 保密期限 ends or the 解密时间 is reached, a disclosure re-review is due
    (保密法 2024 arts. 20, 24; domain §10 rule 10); None when only a 解密条件 is known."""
    deadline = secrecy_expiry_deadline(issued_on, classification)
    return None if deadline is None else _due(deadline)


def _due(deadline: Deadline) -> RereviewDue:
    return RereviewDue(deadline.due_at, cycle_of(deadline.due_at), deadline.source)
