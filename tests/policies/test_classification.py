"""Classified documents (domain §5.2–§5.3, §10 rule 9; 保密法 2024; 实施条例 2024)."""

from __future__ import annotations

from datetime import date

import pytest

from policies.attributes import Attribute
from policies.classification import (
    Classification,
    check_classification,
    rereview_due_on,
    secrecy_expires_on,
)
from policies.secrecy_levels import SecrecyLevel

L = SecrecyLevel
W = Attribute.WITHHELD


def _rules(
    c: Classification, attribute: Attribute | None = W, codes: tuple[str, ...] = ("NS-1",)
) -> list[str]:
    return [f.rule for f in check_classification(c, attribute, codes)]


@pytest.mark.parametrize(
    ("classification", "attribute", "codes", "expected"),
    [
        pytest.param(
            Classification(L.SECRET, 10, has_secrecy_mark=True),
            W,
            ("NS-1",),
            [],
            id="秘密★10年 withheld with NS-1 passes (保密法 2024 art. 20 ¶1)",
        ),
        pytest.param(
            Classification(L.TOP_SECRET, 30, has_secrecy_mark=True),
            W,
            ("NS-1",),
            [],
            id="绝密 30 years is the maximum (保密法 2024 art. 20 ¶1)",
        ),
        pytest.param(
            Classification(L.CONFIDENTIAL, 21, has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_exceeds_maximum"],
            id="机密 21 years exceeds 20 (保密法 2024 art. 20 ¶1)",
        ),
        pytest.param(
            Classification(L.SECRET, 11, has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_exceeds_maximum"],
            id="秘密 11 years exceeds 10 (保密法 2024 art. 20 ¶1)",
        ),
        pytest.param(
            Classification(L.SECRET, 15, override_reference="某某规定第5条", has_secrecy_mark=True),
            W,
            ("NS-1",),
            [],
            id="秘密 15 years allowed with an 另有规定 reference (保密法 2024 art. 20 ¶1)",
        ),
        pytest.param(
            Classification(L.SECRET, 12, override_reference="  ", has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_exceeds_maximum"],
            id="a blank 另有规定 reference does not count",
        ),
        pytest.param(
            Classification(L.SECRET, has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_required"],
            id="秘密 without period, time or condition (保密法 2024 art. 20 ¶3; seed 004 §二(二))",
        ),
        pytest.param(
            Classification(L.SECRET, declassify_condition="  ", has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_required"],
            id="a blank 解密条件 is no condition (实施条例 2024 art. 21)",
        ),
        pytest.param(
            Classification(L.SECRET, declassify_on=date(2030, 1, 1), has_secrecy_mark=True),
            W,
            ("NS-1",),
            [],
            id="秘密 with a 解密时间 passes (保密法 2024 art. 20 ¶3)",
        ),
        pytest.param(
            Classification(L.SECRET, declassify_condition="项目验收后", has_secrecy_mark=True),
            W,
            ("NS-1",),
            [],
            id="秘密 with a 解密条件 passes (保密法 2024 art. 20 ¶2)",
        ),
        pytest.param(
            Classification(L.SECRET, 0, has_secrecy_mark=True),
            W,
            ("NS-1",),
            ["secrecy.period_invalid"],
            id="a period of 0 years is invalid (保密法 2024 art. 20)",
        ),
        pytest.param(
            Classification(L.SECRET, 5, has_secrecy_mark=True),
            Attribute.PROACTIVE,
            (),
            ["secrecy.attribute_must_be_withheld"],
            id="classified and 主动公开 is refused (实施条例 2024 art. 5; 条例 art. 14)",
        ),
        pytest.param(
            Classification(L.SECRET, 5, has_secrecy_mark=True),
            None,
            (),
            [],
            id="classified without attribute: left to attribute.required (rule 1)",
        ),
        pytest.param(
            Classification(L.SECRET, 5, has_secrecy_mark=True),
            W,
            ("NS-3",),
            ["secrecy.reason_state_secret_required"],
            id="classified and withheld without NS-1 (条例 art. 14)",
        ),
        pytest.param(
            Classification(L.SECRET, 5),
            W,
            ("NS-1",),
            ["secrecy.mark_required"],
            id="classified without its mark (保密法 2024 art. 22; 实施条例 2024 art. 21)",
        ),
        pytest.param(
            Classification(), Attribute.PROACTIVE, (), [], id="unclassified and unmarked passes"
        ),
        pytest.param(
            Classification(has_secrecy_mark=True),
            Attribute.PROACTIVE,
            (),
            ["secrecy.mark_without_level"],
            id="secrecy mark without 密级 (保密法 2024 art. 22 ¶3)",
        ),
        pytest.param(
            Classification(period_years=5),
            Attribute.PROACTIVE,
            (),
            ["secrecy.period_without_level"],
            id="保密期限 without 密级 (保密法 2024 art. 22 ¶3)",
        ),
    ],
)
def test_classified_documents_follow_the_secrecy_law_rule_9(
    classification: Classification,
    attribute: Attribute | None,
    codes: tuple[str, ...],
    expected: list[str],
) -> None:
    assert _rules(classification, attribute, codes) == expected


def test_findings_say_how_to_fix_and_cite_the_law() -> None:
    [finding] = check_classification(
        Classification(L.CONFIDENTIAL, 25, has_secrecy_mark=True), W, ("NS-1",)
    )
    assert "不超过20年" in finding.message
    assert "另有规定" in finding.message
    assert finding.source == "保密法 2024 art. 20 ¶1"
    assert finding.field == "secrecy_period_years"
    assert finding.is_blocking


@pytest.mark.parametrize(
    ("issued_on", "years", "expected"),
    [
        pytest.param(
            date(2025, 3, 1),
            10,
            date(2035, 3, 1),
            id="制发日 2025-03-01 + 10 years → 2035-03-01 (实施条例 2024 art. 19 ¶2)",
        ),
        pytest.param(
            date(2024, 2, 29),
            1,
            date(2025, 2, 28),
            id="制发日 29 Feb 2024 + 1 year → 28 Feb 2025 (民法典 art. 202)",
        ),
    ],
)
def test_secrecy_expires_at_issue_date_plus_period(
    issued_on: date, years: int, expected: date
) -> None:
    assert secrecy_expires_on(issued_on, years) == expected


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        pytest.param(
            Classification(L.SECRET, 5),
            date(2030, 6, 1),
            id="period only → expiry (domain rule 10)",
        ),
        pytest.param(
            Classification(L.SECRET, declassify_on=date(2027, 1, 1)),
            date(2027, 1, 1),
            id="解密时间 only → that date (保密法 2024 art. 20 ¶3)",
        ),
        pytest.param(
            Classification(L.SECRET, 5, declassify_on=date(2028, 1, 1)),
            date(2028, 1, 1),
            id="period and 解密时间 → the earlier",
        ),
        pytest.param(
            Classification(L.SECRET, declassify_condition="验收后"),
            None,
            id="解密条件 only → no date: a person decides (保密法 2024 art. 24)",
        ),
        pytest.param(Classification(L.SECRET, 0), None, id="an invalid period gives no date"),
    ],
)
def test_rereview_falls_due_at_expiry_or_declassification_time_rule_10(
    classification: Classification, expected: date | None
) -> None:
    assert rereview_due_on(date(2025, 6, 1), classification) == expected
