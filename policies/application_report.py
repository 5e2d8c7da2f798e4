"""Table 三 of the annual report computed from application records (domain §10 rule 19; §7.2;
国办公开办函〔2019〕60号 [R] 表三).

For the year Y, an application is counted once in each of two rows:
- on the left: 一 if received in Y, else 二 (received before Y and still open on 1 January);
- on the right: its outcome row of 三 if concluded in Y, else 四 (still open on 31 December).
Applications received after Y, or concluded before Y, are not in Y's table. So 一 + 二 = 三 + 四
holds in every column by construction ("第一项加第二项之和，等于第三项加第四项之和").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from policies.annual_report import APPLICANT_COLUMNS, APPLICANT_PARTS, OUTCOME_PARTS, CellKey
from policies.applications import ApplicantType

TABLE = "三"
SOURCE = "国办公开办函〔2019〕60号 [R] 表三; 条例 art. 50(二)"


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """What table 三 needs of an application: who applied, when it was received, and when and
    how it was concluded (row of 三(一)–(六); None while open)."""

    applicant_type: ApplicantType
    received_on: date
    concluded_on: date | None = None
    outcome_row: str | None = None
    count: int = 1  # how many applications alike (a database may count them for us)


_OUTCOME_ROWS = frozenset(p.key for p in OUTCOME_PARTS)


def table_three(year: int, records: Iterable[ApplicationRecord]) -> dict[CellKey, int]:
    """Every cell of table 三 for year: rows 一, 二, the outcome parts, 三(七) 总计 and 四, by
    applicant column and 总计 (zeros included, as the printed table shows them)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    rows = ("一", "二", *(p.key for p in OUTCOME_PARTS), "三(七)", "四")
    cells: dict[CellKey, int] = {(TABLE, r, c.key): 0 for r in rows for c in APPLICANT_COLUMNS}
    for record in records:
        if record.received_on > last:
            continue
        if record.concluded_on is not None and record.concluded_on < first:
            continue
        left = "一" if record.received_on >= first else "二"
        if record.concluded_on is not None and record.concluded_on <= last:
            if record.outcome_row not in _OUTCOME_ROWS:
                raise ValueError(f"a concluded application needs a row of 三: {record!r}")
            right: tuple[str, ...] = (record.outcome_row, "三(七)")
        else:
            right = ("四",)
        for row in (left, *right):
            for column in (record.applicant_type.column, "总计"):
                cells[(TABLE, row, column)] += record.count
    return cells


def applicant_columns() -> tuple[str, ...]:
    """The applicant columns of table 三 without 总计, in printed order."""
    return tuple(c.key for c in APPLICANT_PARTS)
