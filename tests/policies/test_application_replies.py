"""Reply types and sub-reasons (条例 arts. 36–37) as the rows of table 三
(国办公开办函〔2019〕60号)."""

from __future__ import annotations

import pytest

from policies.annual_report import OUTCOME_PARTS
from policies.application_replies import (
    CANNOT_PROVIDE,
    NOT_PROCESSED,
    WITHHOLDING_CODES,
    ReplyType,
    check_reply,
    report_row,
)

R = ReplyType


@pytest.mark.parametrize(
    ("reply", "sub", "reasons", "row"),
    [
        pytest.param(
            R.DISCLOSED, None, [], "三(一)", id="予以公开 → 三(一) (条例 art. 36(一)(二))"
        ),
        pytest.param(
            R.PARTIAL, None, ["NS-4", "NS-6"], "三(二)", id="部分公开 → 三(二) only (条例 art. 37)"
        ),
        pytest.param(
            R.WITHHELD,
            None,
            ["NS-1"],
            "三(三)1",
            id="不予公开 国家秘密 → 三(三)1 (条例 art. 36(三))",
        ),
        pytest.param(
            R.WITHHELD,
            None,
            ["NS-8"],
            "三(三)8",
            id="不予公开 行政查询 → 三(三)8 (条例 art. 36(七))",
        ),
        pytest.param(
            R.WITHHELD, None, ["NL-6"], "三(三)6", id="local sub-code counts in its parent's row"
        ),
        pytest.param(
            R.CANNOT_PROVIDE,
            "CP-1",
            [],
            "三(四)1",
            id="无法提供 不掌握 → 三(四)1 (条例 art. 36(四)(五))",
        ),
        pytest.param(
            R.CANNOT_PROVIDE,
            "CP-3",
            [],
            "三(四)3",
            id="无法提供 补正后仍不明确 → 三(四)3 (条例 art. 30)",
        ),
        pytest.param(
            R.NOT_PROCESSED,
            "NP-2",
            [],
            "三(五)2",
            id="不予处理 重复申请 → 三(五)2 (条例 art. 36(六))",
        ),
        pytest.param(R.OTHER, None, [], "三(六)", id="其他处理 → 三(六)"),
    ],
)
def test_each_reply_counts_in_its_row_of_table_三(
    reply: ReplyType, sub: str | None, reasons: list[str], row: str
) -> None:
    assert check_reply(reply, sub, reasons) == []
    assert report_row(reply, sub, reasons) == row


def test_the_reply_rows_are_exactly_the_outcome_rows_of_table_三() -> None:
    rows = {report_row(R.WITHHELD, None, [c]) for c in WITHHOLDING_CODES}
    rows |= {report_row(R.CANNOT_PROVIDE, s.code, []) for s in CANNOT_PROVIDE}
    rows |= {report_row(R.NOT_PROCESSED, s.code, []) for s in NOT_PROCESSED}
    rows |= {
        report_row(t, None, ["NS-4"] if t is R.PARTIAL else [])
        for t in (R.DISCLOSED, R.PARTIAL, R.OTHER)
    }
    assert rows == {p.key for p in OUTCOME_PARTS}
    assert (len(CANNOT_PROVIDE), len(NOT_PROCESSED)) == (3, 5)
    assert "WS-1" not in WITHHOLDING_CODES  # 工作秘密 has no row of 三(三)


@pytest.mark.parametrize(
    ("reply", "sub", "reasons", "rule"),
    [
        pytest.param(
            R.WITHHELD,
            None,
            [],
            "reply.reason.withheld",
            id="不予公开 without a reason refused (条例 art. 36(三))",
        ),
        pytest.param(
            R.PARTIAL,
            None,
            [],
            "reply.reason.partial",
            id="部分公开 without reasons refused (条例 art. 37)",
        ),
        pytest.param(
            R.WITHHELD,
            None,
            ["WS-1"],
            "reply.reason.unknown",
            id="a reason without a row refused (条例 art. 36(三))",
        ),
        pytest.param(
            R.DISCLOSED,
            None,
            ["NS-4"],
            "reply.reason.extra",
            id="予以公开 with a reason refused (条例 art. 36)",
        ),
        pytest.param(
            R.CANNOT_PROVIDE,
            None,
            [],
            "reply.sub_reason",
            id="无法提供 without its case refused (条例 art. 36)",
        ),
        pytest.param(
            R.NOT_PROCESSED,
            "CP-1",
            [],
            "reply.sub_reason",
            id="不予处理 with another type's case refused (条例 art. 36)",
        ),
        pytest.param(
            R.OTHER,
            "NP-1",
            [],
            "reply.sub_reason.extra",
            id="其他处理 with a case refused (条例 art. 36)",
        ),
    ],
)
def test_a_reply_against_art_36_is_refused_with_its_rule(
    reply: ReplyType, sub: str | None, reasons: list[str], rule: str
) -> None:
    findings = check_reply(reply, sub, reasons)
    assert rule in {f.rule for f in findings}
    assert all(f.source.startswith("条例") for f in findings)
