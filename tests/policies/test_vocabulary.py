"""The policy vocabulary: markings, levels, types, statuses, findings, units, periods."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Finding, Severity, blocking
from policies.periods import add_months, add_years
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Stage, Status
from policies.units import ClockHours, Months, WorkingDays


@pytest.mark.parametrize(
    ("attribute", "label", "marking", "published"),
    [
        pytest.param(
            Attribute.PROACTIVE,
            "主动公开",
            "此件公开发布",
            True,
            id="主动公开 → 此件公开发布 (seeds 000, 001 print “(此件公开发布)”)",
        ),
        pytest.param(
            Attribute.ON_REQUEST,
            "依申请公开",
            "此件依申请公开",
            False,
            id="依申请公开 → 此件依申请公开 (seed 001 §二(四)1)",
        ),
        pytest.param(
            Attribute.REDACTED,
            "删减后公开",
            "此件删减后公开",
            True,
            id="删减后公开 → 此件删减后公开 (seed 001 §二(四)1)",
        ),
        pytest.param(
            Attribute.WITHHELD,
            "不予公开",
            "此件不公开",
            False,
            id="不予公开 → 此件不公开 (seed 001 §二(四)1)",
        ),
    ],
)
def test_each_attribute_has_its_canonical_marking_rule_2(
    attribute: Attribute, label: str, marking: str, published: bool
) -> None:
    assert (attribute.label, attribute.marking, attribute.is_published) == (
        label,
        marking,
        published,
    )


@pytest.mark.parametrize(
    ("level", "label", "classified"),
    [
        pytest.param(SecrecyLevel.NONE, "无", False, id="no 密级 is not classified"),
        pytest.param(SecrecyLevel.SECRET, "秘密", True, id="秘密 (保密法 2024 art. 14)"),
        pytest.param(SecrecyLevel.CONFIDENTIAL, "机密", True, id="机密 (保密法 2024 art. 14)"),
        pytest.param(SecrecyLevel.TOP_SECRET, "绝密", True, id="绝密 (保密法 2024 art. 14)"),
    ],
)
def test_secrecy_levels_have_their_printed_names(
    level: SecrecyLevel, label: str, classified: bool
) -> None:
    assert (level.label, level.is_classified) == (label, classified)


@pytest.mark.parametrize(
    ("doc_type", "label", "must_be_proactive"),
    [
        pytest.param(DocumentType.RULES, "规章", True, id="规章 is 主动公开 by 条例 art. 20(一)"),
        pytest.param(
            DocumentType.NORMATIVE, "行政规范性文件", True, id="行政规范性文件 by 条例 art. 20(一)"
        ),
        pytest.param(
            DocumentType.NOTICE, "通知", False, id="通知 is not listed in 条例 art. 20(一)"
        ),
        pytest.param(
            DocumentType.MINUTES, "纪要", False, id="纪要 is not listed in 条例 art. 20(一)"
        ),
    ],
)
def test_document_types_know_which_must_be_proactive(
    doc_type: DocumentType, label: str, must_be_proactive: bool
) -> None:
    assert (doc_type.label, doc_type.must_be_proactive) == (label, must_be_proactive)


def test_every_document_type_has_a_chinese_label() -> None:
    assert all(t.label for t in DocumentType)


@pytest.mark.parametrize(
    ("status", "stage", "waits_for_people"),
    [
        pytest.param(Status.SUBMITTED, Stage.INTAKE, False, id="submitted: intake, engine acts"),
        pytest.param(
            Status.SECRECY_REVIEW,
            Stage.SECRECY_REVIEW,
            True,
            id="secrecy review waits for the reviewer (条例 art. 17)",
        ),
        pytest.param(Status.PUBLISHED, Stage.DONE, False, id="published is done"),
    ],
)
def test_statuses_belong_to_a_stage(status: Status, stage: Stage, waits_for_people: bool) -> None:
    assert (status.stage, status.is_waiting_for_people) == (stage, waits_for_people)


def test_blocking_keeps_only_findings_that_stop_the_document() -> None:
    stop = Finding("a", Severity.BLOCKING, "m", "s")
    note = Finding("b", Severity.WARNING, "m", "s")
    route = Finding("c", Severity.ROUTING, "m", "s")
    assert blocking([stop, note, route]) == [stop]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ClockHours(-1), id="negative clock hours"),
        pytest.param(lambda: WorkingDays(-1), id="negative working days"),
        pytest.param(lambda: Months(-1), id="negative months"),
        pytest.param(lambda: add_months(date(2025, 1, 1), -1), id="negative month period"),
    ],
)
def test_negative_windows_are_bugs(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="negative"):
        make()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(
            date(2025, 1, 31),
            1,
            date(2025, 2, 28),
            id="31 Jan + 1 month → 28 Feb (民法典 art. 202)",
        ),
        pytest.param(
            date(2025, 11, 15), 12, date(2026, 11, 15), id="15 Nov 2025 + 12 months → 15 Nov 2026"
        ),
        pytest.param(
            date(2025, 12, 10), 1, date(2026, 1, 10), id="December + 1 month rolls the year"
        ),
    ],
)
def test_add_months_ends_on_the_corresponding_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        pytest.param(
            date(2024, 2, 29),
            10,
            date(2034, 2, 28),
            id="29 Feb 2024 + 10 years → 28 Feb 2034 (民法典 art. 202)",
        ),
        pytest.param(
            date(2024, 2, 29),
            4,
            date(2028, 2, 29),
            id="29 Feb 2024 + 4 years → 29 Feb 2028 (leap year)",
        ),
    ],
)
def test_add_years_handles_29_february(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected
