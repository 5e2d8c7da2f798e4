"""Table 三 computed from application records (国办公开办函〔2019〕60号 表三; domain §10
rule 19)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.annual_report import OUTCOME_PARTS, check_report
from policies.application_report import ApplicationRecord, applicant_columns, table_three
from policies.applications import ApplicantType

P, C = ApplicantType.NATURAL_PERSON, ApplicantType.COMMERCIAL


def test_known_applications_fill_the_right_cells_国办公开办函_2019_60号_表三() -> None:
    records = [
        ApplicationRecord(P, date(2025, 12, 20), date(2026, 1, 10), "三(一)"),  # 二 → 三(一)
        ApplicationRecord(P, date(2026, 3, 1), date(2026, 3, 20), "三(三)4"),  # 一 → 三(三)4
        ApplicationRecord(C, date(2026, 6, 1), date(2026, 6, 30), "三(五)2"),  # 一 → 三(五)2
        ApplicationRecord(C, date(2026, 12, 28)),  # 一 → 四
        ApplicationRecord(P, date(2025, 5, 1), date(2025, 5, 9), "三(一)"),  # last year: none
        ApplicationRecord(P, date(2027, 1, 2)),  # next year: none
    ]
    cells = table_three(2026, records)
    expected = {
        ("三", "一", "自然人"): 1,
        ("三", "一", "商业企业"): 2,
        ("三", "一", "总计"): 3,
        ("三", "二", "自然人"): 1,
        ("三", "二", "总计"): 1,
        ("三", "三(一)", "自然人"): 1,
        ("三", "三(三)4", "自然人"): 1,
        ("三", "三(五)2", "商业企业"): 1,
        ("三", "三(七)", "自然人"): 2,
        ("三", "三(七)", "商业企业"): 1,
        ("三", "三(七)", "总计"): 3,
        ("三", "四", "商业企业"): 1,
        ("三", "四", "总计"): 1,
        ("三", "三(一)", "总计"): 1,
        ("三", "三(三)4", "总计"): 1,
        ("三", "三(五)2", "总计"): 1,
    }
    assert {k: v for k, v in cells.items() if v} == expected
    assert check_report(cells) == []


_DAY0 = date(2024, 1, 1)
_records = st.builds(
    lambda kind, received, duration, row: ApplicationRecord(
        kind,
        _DAY0 + timedelta(days=received),
        None if duration is None else _DAY0 + timedelta(days=received + duration),
        None if duration is None else row,
    ),
    st.sampled_from(list(ApplicantType)),
    st.integers(0, 3 * 366),
    st.none() | st.integers(0, 400),
    st.sampled_from([p.key for p in OUTCOME_PARTS]),
)


@given(records=st.lists(_records, max_size=40), year=st.integers(2024, 2027))
def test_one_plus_two_equals_three_plus_four_by_construction_国办公开办函_2019_60号(
    records: list[ApplicationRecord], year: int
) -> None:
    cells = table_three(year, records)
    assert check_report(cells) == []
    counted = [
        r
        for r in records
        if r.received_on.year <= year and (r.concluded_on is None or r.concluded_on.year >= year)
    ]
    assert cells[("三", "一", "总计")] + cells[("三", "二", "总计")] == len(counted)


def test_a_concluded_application_without_its_row_is_refused_国办公开办函_2019_60号_表三() -> None:
    # Table 三 counts a concluded application in exactly one of rows 三(一)–(六).
    unplaced = ApplicationRecord(P, date(2026, 3, 1), date(2026, 3, 20), None)
    with pytest.raises(ValueError, match="row of 三"):
        table_three(2026, [unplaced])


def test_the_applicant_columns_in_printed_order_国办公开办函_2019_60号_表三() -> None:
    columns = applicant_columns()
    assert columns[0] == "自然人"
    assert "商业企业" in columns
    assert "总计" not in columns
    assert len(columns) == len(set(columns)) == len(ApplicantType)
