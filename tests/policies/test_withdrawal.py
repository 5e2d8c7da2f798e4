"""Withdrawal (撤回) and restriction after publication: domain §10 rule 21; seed 002 §三(五)."""

from __future__ import annotations

import pytest

from policies.attributes import Attribute
from policies.withdrawal import ERROR_CODES, check_withdrawal, is_withdrawal_reason

A = Attribute


@pytest.mark.parametrize(
    ("code", "attribute", "justification", "rules"),
    [
        pytest.param(
            "WD-MISTAKE", A.WITHHELD, "误发布", [], id="误发布 → 不予公开 (seed 002 §三(五))"
        ),
        pytest.param(
            "NS-4", A.ON_REQUEST, "含个人信息", [], id="NS-4 justifies 依申请公开 (条例 art. 15)"
        ),
        pytest.param(
            "NS-1",
            A.ON_REQUEST,
            "x",
            ["withdrawal.reason_does_not_justify"],
            id="NS-1 justifies only 不予公开 (条例 art. 14)",
        ),
        pytest.param(
            "XX-9", A.WITHHELD, "x", ["withdrawal.reason_unknown"], id="unknown code (rule 21)"
        ),
        pytest.param(
            "WD-MISTAKE",
            A.PROACTIVE,
            "x",
            ["withdrawal.attribute_public"],
            id="a withdrawn document does not stay public (rule 21)",
        ),
        pytest.param(
            "WD-MISTAKE",
            A.WITHHELD,
            " ",
            ["withdrawal.justification_missing"],
            id="a justification is required (rule 21)",
        ),
    ],
)
def test_withdrawal_requests_are_checked(
    code: str, attribute: Attribute, justification: str, rules: list[str]
) -> None:
    assert [f.rule for f in check_withdrawal(code, attribute, justification)] == rules


def test_the_unknown_code_finding_names_the_field_reason_code() -> None:
    [finding] = check_withdrawal("XX-9", A.WITHHELD, "x")
    assert finding.field == "reason_code"


def test_error_codes_cite_their_source_and_are_reasons() -> None:
    for error in ERROR_CODES.values():
        assert "domain §10 rule 21" in error.source or "seed 002" in error.source
        assert is_withdrawal_reason(error.code)
