"""Deadlines of domain §11 windows #1–#4, #16–#19 and stage allowances."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from policies.calendar import SHANGHAI, WorkingDayCalendar
from policies.classification import Classification
from policies.deadlines import (
    Deadline,
    DeadlineKind,
    deadlines_met,
    earliest,
    fraction_elapsed,
    interpretation_deadline,
    nondisclosure_review_deadline,
    publication_deadlines,
    rereview_decision_deadline,
    secrecy_expiry_deadline,
    secret_annual_review_deadline,
    secret_report_deadline,
    stage_deadline,
)
from policies.profiles import get_profile
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.units import Months, WorkingDays

CALENDAR = WorkingDayCalendar.from_package()
K = DeadlineKind


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("profile", "issued_at", "expected"),
    [
        pytest.param(
            "majiang",
            _at(2025, 9, 30, 16, 30),
            [
                (K.PUBLICATION_LOCAL, _at(2025, 9, 30, 18, 30)),
                (K.PUBLICATION_CEILING, _at(2025, 11, 5)),
            ],
            id=(
                "majiang issued Tue 2025-09-30 16:30 → 18:30 (seed 000 §三(二十二)); "
                "ceiling end of Tue 2025-11-04 (条例 art. 26)"
            ),
        ),
        pytest.param(
            "liaoning",
            _at(2025, 9, 30, 16, 30),
            [(K.PUBLICATION_CEILING, _at(2025, 11, 5))],
            id="liaoning: only the 20 WD ceiling, end of Tue 2025-11-04 (条例 art. 26; seed 004)",
        ),
    ],
)
def test_publication_deadlines_after_issue(
    profile: str, issued_at: datetime, expected: list[tuple[DeadlineKind, datetime]]
) -> None:
    deadlines = publication_deadlines(issued_at, get_profile(profile), CALENDAR)
    assert [(d.kind, d.due_at) for d in deadlines] == expected
    assert not any(d.provisional for d in deadlines)


def test_the_ceiling_runs_from_formation_and_the_earlier_deadline_wins() -> None:
    deadlines = publication_deadlines(
        _at(2025, 11, 24, 9), get_profile("majiang"), CALENDAR, formed_on=date(2025, 9, 30)
    )
    assert deadlines[1].due_at == _at(2025, 11, 5)  # 条例 art. 26: 自形成之日起
    assert earliest(deadlines).kind is K.PUBLICATION_CEILING


def test_the_local_two_hour_window_wins_when_issued_on_formation_day() -> None:
    deadlines = publication_deadlines(_at(2025, 9, 30, 9), get_profile("majiang"), CALENDAR)
    assert earliest(deadlines) == deadlines[0]
    assert "seed 000 §三(二十二)" in deadlines[0].source


def test_a_ceiling_beyond_the_calendar_data_is_provisional_2027() -> None:
    [ceiling] = publication_deadlines(_at(2026, 12, 20, 10), get_profile("national"), CALENDAR)
    assert ceiling.provisional


@pytest.mark.parametrize(
    ("profile", "published_at", "expected"),
    [
        pytest.param(
            "majiang",
            _at(2025, 9, 30, 10),
            _at(2025, 9, 30, 10),
            id="together: due with the document (seed 000 §三(十八))",
        ),
        pytest.param(
            "liaoning",
            _at(2025, 9, 30, 10),
            _at(2025, 10, 12),
            id="published Tue 2025-09-30 → by Sat 2025-10-11 24:00 (调休; seed 004 §二(五))",
        ),
        pytest.param(
            "wuming",
            _at(2025, 11, 22, 10),
            _at(2025, 11, 27),
            id="published Sat 2025-11-22 → by Wed 2025-11-26 24:00 (seed 002 §二(十三))",
        ),
    ],
)
def test_interpretation_deadline_by_profile_mode(
    profile: str, published_at: datetime, expected: datetime
) -> None:
    deadline = interpretation_deadline(published_at, get_profile(profile), CALENDAR)
    assert (deadline.kind, deadline.due_at) == (K.INTERPRETATION, expected)


def test_interpretation_together_refuses_a_naive_publication_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        interpretation_deadline(datetime(2025, 9, 30, 10), get_profile("majiang"), CALENDAR)  # noqa: DTZ001


def test_an_undetermined_secret_is_reported_within_10_working_days() -> None:
    deadline = secret_report_deadline(date(2026, 2, 10), CALENDAR)
    # Wed 02-11, Thu 12, Fri 13, Sat 14 (调休), Tue 24 … Fri 27, Sat 28 (调休), Mon 03-02.
    assert deadline.due_at == _at(2026, 3, 3)
    assert deadline.source.startswith("保密法实施条例 2024 art. 25")


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        pytest.param(
            Classification(SecrecyLevel.SECRET, 10),
            _at(2034, 3, 1),
            id="秘密 10 years from 29 Feb 2024 → end of 28 Feb 2034 (实施条例 2024 art. 19 ¶2)",
        ),
        pytest.param(
            Classification(SecrecyLevel.SECRET, declassify_on=date(2026, 5, 1)),
            _at(2026, 5, 2),
            id="解密时间 2026-05-01 → end of that day (保密法 2024 art. 20 ¶3)",
        ),
        pytest.param(
            Classification(SecrecyLevel.SECRET, declassify_condition="验收后"),
            None,
            id="解密条件 only → no deadline (保密法 2024 art. 24)",
        ),
    ],
)
def test_secrecy_expiry_raises_a_rereview_rule_10(
    classification: Classification, expected: datetime | None
) -> None:
    deadline = secrecy_expiry_deadline(date(2024, 2, 29), classification)
    assert (deadline.due_at if deadline else None) == expected


def test_secrets_are_reviewed_every_year_2024_law_art_24() -> None:
    deadline = secret_annual_review_deadline(date(2025, 3, 15))
    assert (deadline.kind, deadline.due_at) == (K.SECRET_ANNUAL_REVIEW, _at(2026, 3, 16))


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        pytest.param(
            Months(12), _at(2026, 3, 16), id="annual by default (条例 art. 18; domain rule 16)"
        ),
        pytest.param(
            Months(6), _at(2025, 9, 16), id="six-monthly where the profile says so (条例 art. 18)"
        ),
    ],
)
def test_non_disclosed_records_are_reviewed_periodically(
    interval: Months, expected: datetime
) -> None:
    profile = replace(get_profile("national"), nondisclosure_review_interval=interval)
    deadline = nondisclosure_review_deadline(date(2025, 3, 15), profile)
    assert (deadline.kind, deadline.due_at) == (K.NONDISCLOSURE_REVIEW, expected)


def test_a_rereview_is_overdue_20_working_days_after_it_fell_due() -> None:
    """Domain §10 rules 10, 16: an undecided re-review is overdue after a configurable period
    (local default 20 WD, policies.profiles). A task due at 24:00 of Wed 2026-09-30 counts from
    Thu 10-01, day zero; the National Day rest (10-01..10-07) adds nothing and Sat 10-10 is
    worked (调休): 10-08, 10-09, 10-10, 10-12 .. 10-16, 10-19 .. 10-23, 10-26 .. 10-30, 11-02 and
    Tue 11-03 are the 20 working days, so it must be decided by the end of 11-03."""
    national = get_profile("national")
    deadline = rereview_decision_deadline(_at(2026, 10, 1), national, CALENDAR)
    assert deadline.kind is K.REREVIEW_DECISION
    assert deadline.due_at == _at(2026, 11, 4)
    assert not deadline.provisional
    assert "domain §10 rules 10, 16" in deadline.source
    # A profile's own period: 5 WD are 10-08, 10-09, 10-10, 10-12, Tue 10-13.
    shorter = replace(national, rereview_decision_allowance=WorkingDays(5))
    assert rereview_decision_deadline(_at(2026, 10, 1), shorter, CALENDAR).due_at == _at(
        2026, 10, 14
    )


@pytest.mark.parametrize(
    ("status", "entered_at", "expected"),
    [
        pytest.param(
            Status.SECRECY_REVIEW,
            _at(2025, 9, 30, 15),
            _at(2025, 10, 17),
            id="secrecy review from Tue 2025-09-30 +7 WD → end of Thu 2025-10-16 (local)",
        ),
        pytest.param(
            Status.OFFICE_PREREVIEW,
            _at(2025, 11, 22, 10),
            _at(2025, 11, 29),
            id="office pre-review from Sat 2025-11-22 +5 WD → end of Fri 11-28 (local)",
        ),
        pytest.param(
            Status.ESCALATED,
            _at(2025, 11, 22, 10),
            None,
            id="escalated: no local allowance (实施条例 art. 25 has its own 10 WD)",
        ),
    ],
)
def test_stage_allowance_deadlines(
    status: Status, entered_at: datetime, expected: datetime | None
) -> None:
    deadline = stage_deadline(status, entered_at, get_profile("national"), CALENDAR)
    assert (deadline.due_at if deadline else None) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(_at(2025, 9, 30, 9), 0.0, id="at the start: 0%"),
        pytest.param(_at(2025, 9, 30, 8), 0.0, id="before the start: 0%"),
        pytest.param(_at(2025, 9, 30, 10), 0.5, id="one of two hours: 50% alert (domain rule 13)"),
        pytest.param(_at(2025, 9, 30, 11), 1.0, id="at the deadline: 100% alert (domain rule 13)"),
        pytest.param(_at(2025, 9, 30, 12), 1.5, id="late: above 100%"),
    ],
)
def test_fraction_elapsed_of_a_two_hour_window(as_of: datetime, expected: float) -> None:
    start = _at(2025, 9, 30, 9)
    assert fraction_elapsed(start, start + timedelta(hours=2), as_of) == pytest.approx(expected)


def test_a_window_with_no_length_is_fully_used_once_started() -> None:
    start = _at(2025, 9, 30, 9)
    assert fraction_elapsed(start, start, start + timedelta(minutes=1)) == 1.0


def test_fraction_elapsed_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        fraction_elapsed(_at(2025, 9, 30), _at(2025, 10, 1), datetime(2025, 9, 30, 12))  # noqa: DTZ001


def test_deadlines_are_values() -> None:
    one = Deadline(K.SECRET_REPORT, _at(2025, 1, 1), "x")
    assert one == Deadline(K.SECRET_REPORT, _at(2025, 1, 1), "x", provisional=False)


def test_a_status_kept_meets_no_deadline_domain_5_1() -> None:
    # Domain §5.1: a stage's allowance ends when the step is left; staying in it ends nothing.
    for status in Status:
        assert deadlines_met(status, status) == frozenset()
    left = deadlines_met(Status.SECRECY_REVIEW, Status.AWAITING_SIGNOFF)
    assert DeadlineKind.STAGE_ALLOWANCE in left
