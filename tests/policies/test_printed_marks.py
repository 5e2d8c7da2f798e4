"""The printed marking and 版头 classification mark against what was declared (domain §10 rules
2, 3 and 9(d); seed 001 §二(四)1; 保密法 2024 art. 22; GB/T 9704-2012 §7.2.2)."""

from __future__ import annotations

import pytest

from policies.attributes import Attribute
from policies.findings import Severity
from policies.printed_marks import (
    CLASSIFICATION_SOURCE,
    MARKING_SOURCE,
    check_printed_classification,
    check_printed_marking,
    find_header_classification,
    find_printed_marking,
)
from policies.secrecy_levels import SecrecyLevel

A = Attribute
S = SecrecyLevel


def _rules(text: str, declared: Attribute) -> list[tuple[str, Severity]]:
    return [
        (f.rule, f.severity) for f in check_printed_marking(find_printed_marking(text), declared)
    ]


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        pytest.param(
            "正文。\n（此件公开发布）", A.PROACTIVE, [], id="canonical 主动公开 in brackets"
        ),
        pytest.param("（ 此件　公开发布 ）", A.PROACTIVE, [], id="spacing and a full-width space"),
        pytest.param("【此件依申请公开】", A.ON_REQUEST, [], id="canonical 依申请公开"),
        pytest.param("(此件删减后公开)", A.REDACTED, [], id="canonical 删减后公开, ASCII brackets"),
        pytest.param("此件不公开", A.WITHHELD, [], id="canonical 不予公开"),
        pytest.param(
            "（此件主动公开）",
            A.PROACTIVE,
            [("printed.marking_not_canonical", Severity.BLOCKING)],
            id="此件主动公开 is not the canonical text (seed 001: 不得另行创新)",
        ),
        pytest.param(
            "（此件不予公开）",
            A.WITHHELD,
            [("printed.marking_not_canonical", Severity.BLOCKING)],
            id="此件不予公开 is not canonical either",
        ),
        pytest.param(
            "（此件依申请公开）",
            A.PROACTIVE,
            [("printed.marking_disagrees", Severity.BLOCKING)],
            id="printed 依申请公开, declared 主动公开 (rule 3: 全统一)",
        ),
        pytest.param(
            "（此件公开发布）",
            A.WITHHELD,
            [("printed.marking_disagrees", Severity.BLOCKING)],
            id="printed 公开发布, declared 不予公开",
        ),
        pytest.param(
            "关于印发方案的通知\n请认真贯彻执行。",
            A.PROACTIVE,
            [("printed.marking_missing", Severity.WARNING)],
            id="no marking: a warning",
        ),
        pytest.param(
            "此件请于周五前反馈。",
            A.PROACTIVE,
            [("printed.marking_missing", Severity.WARNING)],
            id="此件 in prose names no attribute",
        ),
    ],
)
def test_the_printed_marking_is_the_declared_attributes_canonical_text(
    text: str, declared: Attribute, expected: list[tuple[str, Severity]]
) -> None:
    assert _rules(text, declared) == expected


def test_a_non_canonical_marking_is_returned_with_the_canonical_text_to_use() -> None:
    (finding,) = check_printed_marking(find_printed_marking("（此件主动公开）"), A.PROACTIVE)
    assert "此件主动公开" in finding.message
    assert "“此件公开发布”" in finding.message
    assert finding.source == MARKING_SOURCE
    assert "seed 001" in finding.source


def test_the_marking_found_is_the_last_one_and_its_line_is_given() -> None:
    printed = find_printed_marking("关于“此件公开发布”标识的说明\n正文\n（此件依申请公开）")
    assert printed is not None
    assert (printed.text, printed.attribute, printed.line) == ("此件依申请公开", A.ON_REQUEST, 3)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("秘密★10年\n关于……的通知", (S.SECRET, "10年", 1), id="秘密★10年 first line"),
        pytest.param("000123\n机密★5年\n关于", (S.CONFIDENTIAL, "5年", 2), id="after the 份号"),
        pytest.param("密级：绝密\n关于", (S.TOP_SECRET, None, 1), id="labelled 密级"),
        pytest.param("（秘密）\n关于", (S.SECRET, None, 1), id="a level alone on its line"),
        pytest.param(
            "关于……的通知\n正文提到秘密★1年的文件。", None, id="a mark inside a line is body text"
        ),
        pytest.param("1\n2\n3\n4\n5\n6\n秘密★1年", None, id="below the 版头 is body text"),
        pytest.param("除涉及国家秘密的外，要积极公开。", None, id="国家秘密 in prose"),
    ],
)
def test_the_header_classification_mark_is_found_at_the_top_left_only(
    text: str, found: tuple[SecrecyLevel, str | None, int] | None
) -> None:
    printed = find_header_classification(text)
    assert (printed and (printed.level, printed.period, printed.line)) == found


@pytest.mark.parametrize(
    ("header", "level", "years", "expected"),
    [
        pytest.param(
            "秘密★10年",
            S.NONE,
            None,
            ["printed.classification_contradicts"],
            id="秘密★10年 on a document declared unclassified (保密法 art. 22)",
        ),
        pytest.param(
            "机密★5年", S.SECRET, 5, ["printed.classification_contradicts"], id="机密 vs 秘密"
        ),
        pytest.param(
            "秘密★10年",
            S.SECRET,
            5,
            ["printed.classification_period_differs"],
            id="秘密★10年 declared 秘密 5 years",
        ),
        pytest.param("秘密★5年", S.SECRET, 5, [], id="agrees"),
        pytest.param("（秘密）", S.SECRET, 5, [], id="a level without a period agrees"),
        pytest.param("关于……的通知", S.NONE, None, [], id="no mark, unclassified"),
    ],
)
def test_the_header_mark_must_agree_with_the_declared_level_and_period(
    header: str, level: SecrecyLevel, years: int | None, expected: list[str]
) -> None:
    printed = find_header_classification(header + "\n关于……的通知\n正文")
    findings = check_printed_classification(printed, level, years)
    assert [f.rule for f in findings] == expected
    assert all(f.severity is Severity.BLOCKING for f in findings)
    assert all(f.source == CLASSIFICATION_SOURCE for f in findings)
    assert all("rule 9(d)" in f.source and "保密法 2024 art. 22" in f.source for f in findings)
