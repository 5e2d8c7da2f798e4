"""Deadlines of domain §11 windows #1–#4 and #16–#19, and stage allowances, as values.

Working-day deadlines end at 24:00 Asia/Shanghai of the Nth working day after the trigger date
(domain §8.1); beyond the calendar's years they are guessed (weekends and fixed-date holidays)
and marked provisional rather than refused, so the office still sees a date. Year and month
periods end at 24:00 of the corresponding day (民法典 arts. 202–203, by analogy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from policies.calendar import (
    WorkingDayCalendar,
    add_clock_hours,
    end_of_day,
    local_date,
    require_aware,
)
from policies.classification import Classification, rereview_due_on
from policies.periods import add_months, add_years
from policies.profiles import InterpretationMode, PolicyProfile
from policies.statuses import Status
from policies.units import WorkingDays

SECRET_REPORT_WITHIN = WorkingDays(10)  # 保密法实施条例 2024 art. 25: 自拟定之日起10个工作日内
SECRET_REVIEW_YEARS = 1  # 保密法 2024 art. 24: 每年审核 (rolling year from the last review)


class DeadlineKind(StrEnum):
    """Which window a deadline closes."""

    PUBLICATION_LOCAL = "publication_local"  # #1 seed 000 §三(二十二)
    PUBLICATION_CEILING = "publication_ceiling"  # #2 条例 art. 26
    INTERPRETATION = "interpretation"  # #3/#4 seeds 000, 002, 004
    SECRET_REPORT = "secret_report"  # #16 实施条例 2024 art. 25
    SECRECY_EXPIRY = "secrecy_expiry"  # #17 保密法 2024 art. 20; 实施条例 2024 art. 19
    SECRET_ANNUAL_REVIEW = "secret_annual_review"  # #18 保密法 2024 art. 24
    NONDISCLOSURE_REVIEW = "nondisclosure_review"  # #19 条例 art. 18
    STAGE_ALLOWANCE = "stage_allowance"  # local allowances per stage
    REREVIEW_DECISION = "rereview_decision"  # domain §10 rules 10, 16: a local allowance
    APPLICATION_SUPPLEMENT = "application_supplement"  # #5 条例 art. 30: 补正 notice, 7 WD
    APPLICATION_REPLY = "application_reply"  # #6, #7 条例 art. 33 (+ #8, #9 pauses)


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a window closes, why, and whether the calendar had to guess."""

    kind: DeadlineKind
    due_at: datetime  # timezone-aware
    source: str
    provisional: bool = False  # counted into a year whose arrangement is not loaded
    counted_from: date | None = None  # working-day windows: the trigger date (day zero) …
    working_days: int | None = None  # … and N, so a loaded year can recount it


# When a step ends, its deadlines end with it (issue 20: every stored deadline is met or closed
# when its step ends). Met: the thing was done (published; the step decided; the secrecy
# determination came back). Closed: it can no longer be done (filed instead of published).
_PUBLICATION_KINDS = frozenset({DeadlineKind.PUBLICATION_LOCAL, DeadlineKind.PUBLICATION_CEILING})


def deadlines_met(source: Status, target: Status) -> frozenset[DeadlineKind]:
    """The kinds a status change meets: the stage allowance of the step left (domain §5.1), the
    secret report when an escalation returns (实施条例 art. 25), publication at publication."""
    if source is target:
        return frozenset()
    met = {DeadlineKind.STAGE_ALLOWANCE}
    if source is Status.ESCALATED:
        met.add(DeadlineKind.SECRET_REPORT)
    if target is Status.PUBLISHED:
        met |= _PUBLICATION_KINDS
    return frozenset(met)


def deadlines_closed(target: Status) -> frozenset[DeadlineKind]:
    """The kinds a status change closes unmet: a filed document (依申请公开/不予公开) is not
    published, so its publication and interpretation windows end (条例 art. 26 applies to 主动公开
    only)."""
    if target is Status.FILED:
        return _PUBLICATION_KINDS | {DeadlineKind.INTERPRETATION}
    return frozenset()


def _working(
    kind: DeadlineKind, start: date, days: WorkingDays, calendar: WorkingDayCalendar, source: str
) -> Deadline:
    due_at, provisional = calendar.deadline_end(start, days.days)
    return Deadline(kind, due_at, source, provisional, start, days.days)


def publication_deadlines(
    issued_at: datetime,
    profile: PolicyProfile,
    calendar: WorkingDayCalendar,
    formed_on: date | None = None,
) -> tuple[Deadline, ...]:
    """Publication windows of a 主动公开 document: the local window after 印发, if the profile has
    one, and the 20 WD national ceiling from formation (formed_on; default the issue date)."""
    start = formed_on if formed_on is not None else local_date(issued_at)
    ceiling = _working(
        DeadlineKind.PUBLICATION_CEILING,
        start,
        profile.publish_ceiling,
        calendar,
        "条例 art. 26: 自形成或者变更之日起20个工作日内",
    )
    if profile.publish_after_issue is None:
        return (ceiling,)
    local = Deadline(
        DeadlineKind.PUBLICATION_LOCAL,
        add_clock_hours(issued_at, profile.publish_after_issue),
        f"seed 000 §三(二十二): 印发之后的{profile.publish_after_issue.hours}小时内 "
        f"({profile.name})",
    )
    return (local, ceiling)


def earliest(deadlines: tuple[Deadline, ...]) -> Deadline:
    """The deadline that closes first: the one the office must meet."""
    return min(deadlines, key=lambda d: d.due_at)


def interpretation_deadline(
    published_at: datetime, profile: PolicyProfile, calendar: WorkingDayCalendar
) -> Deadline:
    """When interpretation material must be out: with the document (TOGETHER) or within N WD."""
    if profile.interpretation_mode is InterpretationMode.TOGETHER:
        require_aware(published_at)
        return Deadline(
            DeadlineKind.INTERPRETATION, published_at, "seed 000 §三(十八): 与文件一并发布"
        )
    return _working(
        DeadlineKind.INTERPRETATION,
        local_date(published_at),
        profile.interpretation_within,
        calendar,
        "seeds 002 §二(十三), 004 §二(五): 文件公开3个工作日内",
    )


def secret_report_deadline(provisionally_fixed_on: date, calendar: WorkingDayCalendar) -> Deadline:
    """Report a provisionally fixed (undetermined) secret for determination within 10 WD."""
    return _working(
        DeadlineKind.SECRET_REPORT,
        provisionally_fixed_on,
        SECRET_REPORT_WITHIN,
        calendar,
        "保密法实施条例 2024 art. 25: 自拟定之日起10个工作日内",
    )


def secrecy_expiry_deadline(issued_on: date, classification: Classification) -> Deadline | None:
    """At the end of 制发日 + 保密期限, or at the 解密时间, a disclosure re-review is due (自行解密
    is not publication); None when only a 解密条件 is known."""
    due_on = rereview_due_on(issued_on, classification)
    if due_on is None:
        return None
    return Deadline(
        DeadlineKind.SECRECY_EXPIRY,
        end_of_day(due_on),
        "保密法 2024 arts. 20, 24; 实施条例 2024 art. 19 ¶2; domain §10 rule 10",
    )


def secret_annual_review_deadline(last_reviewed_on: date) -> Deadline:
    """Review the secrets a unit has fixed every year (rolling year from the last review)."""
    return Deadline(
        DeadlineKind.SECRET_ANNUAL_REVIEW,
        end_of_day(add_years(last_reviewed_on, SECRET_REVIEW_YEARS)),
        "保密法 2024 art. 24: 每年审核",
    )


def nondisclosure_review_deadline(last_reviewed_on: date, profile: PolicyProfile) -> Deadline:
    """Re-assess 不予公开/依申请公开 records periodically, at the profile's interval."""
    interval = profile.nondisclosure_review_interval
    return Deadline(
        DeadlineKind.NONDISCLOSURE_REVIEW,
        end_of_day(add_months(last_reviewed_on, interval.months)),
        f"条例 art. 18: 定期评估审查 (every {interval.months} months, {profile.name})",
    )


def rereview_decision_deadline(
    due_at: datetime, profile: PolicyProfile, calendar: WorkingDayCalendar
) -> Deadline:
    """By when an open re-review task must be decided: the profile's allowance in working days
    after the task fell due, that day being day zero (domain §10 rule 10: "an unhandled task is
    overdue after a configurable period"; rule 16: "listed as overdue review"). A local choice:
    no national limit exists (policies.profiles)."""
    allowance = profile.rereview_decision_allowance
    return _working(
        DeadlineKind.REREVIEW_DECISION,
        local_date(due_at),
        allowance,
        calendar,
        f"domain §10 rules 10, 16: re-review undecided after {allowance.days} WD "
        f"(local choice, {profile.name}; no national limit)",
    )


def stage_deadline(
    status: Status, entered_at: datetime, profile: PolicyProfile, calendar: WorkingDayCalendar
) -> Deadline | None:
    """When a document that entered status is overdue there (local allowance); None if unwatched."""
    allowance = profile.allowance_for(status)
    if allowance is None:
        return None
    return _working(
        DeadlineKind.STAGE_ALLOWANCE,
        local_date(entered_at),
        allowance,
        calendar,
        f"local allowance for {status}: {allowance.days} WD ({profile.name}; no national limit)",
    )


def fraction_elapsed(start: datetime, due: datetime, as_of: datetime) -> float:
    """The share of a window used by as_of in elapsed clock time (0 before start; above 1 when
    late). Right for clock-hour windows only: a working-day window is measured in working days by
    policies.windows.share_elapsed (domain §8.1)."""
    for moment in (start, due, as_of):
        require_aware(moment)
    if as_of <= start:
        return 0.0
    if due <= start:
        return 1.0
    return (as_of - start) / (due - start)
