"""Intake checks on a submitted draft (domain §10 rules 1, 2, 4, 5, 9, 11; seed 001)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Severity
from policies.profiles import PolicyProfile, get_profile
from policies.secrecy_levels import SecrecyLevel
from policies.submission_checks import (
    AttachmentKind,
    Submission,
    check_submission,
    is_policy_document,
)

A = Attribute
T = DocumentType
K = AttachmentKind
NATIONAL = get_profile("national")
MAJIANG = get_profile("majiang")
LIAONING = get_profile("liaoning")
STRICT = replace(NATIONAL, reasons_required=NATIONAL.reasons_required | {Attribute.ON_REQUEST})
PACKAGE = frozenset({K.INTERPRETATION_PLAN, K.INTERPRETATION_MATERIAL})
PLAN = frozenset({K.INTERPRETATION_PLAN})
NS5 = {"reason_codes": ("NS-5",), "reason_explanation": "人事管理信息，条例第十六条第一款"}

BASE = Submission(attribute=A.PROACTIVE, document_type=T.NOTICE)


def _s(**changes: Any) -> Submission:
    return replace(BASE, **changes)


CASES = [
    # Rule 1: attribute present and in the profile's set.
    pytest.param(NATIONAL, _s(), [], id="主动公开 通知 passes (rule 1)"),
    pytest.param(
        NATIONAL,
        _s(attribute=None),
        ["attribute.required"],
        id="未明确公开属性 → 退文 (rule 1; 80号 一(一))",
    ),
    pytest.param(
        MAJIANG,
        _s(
            attribute=A.REDACTED,
            attachments=frozenset({K.REDACTED_VERSION}),
            reason_codes=("NS-4",),
            reason_explanation="个人隐私，条例第十五条",
        ),
        ["attribute.not_in_profile"],
        id="删减后公开 not a majiang label (seed 000; rule 1)",
    ),
    pytest.param(
        NATIONAL,
        _s(
            attribute=A.REDACTED,
            attachments=frozenset({K.REDACTED_VERSION}),
            reason_codes=("NS-4",),
            reason_explanation="个人隐私，条例第十五条",
        ),
        [],
        id="删减后公开 with NS-4, explanation and redacted version passes (seed 001)",
    ),
    # Rule 2: canonical marking.
    pytest.param(
        NATIONAL,
        _s(marking_text="(此件公开发布)"),
        [],
        id="marking “(此件公开发布)” as printed in seeds 000, 001 (rule 2)",
    ),
    pytest.param(
        NATIONAL,
        _s(marking_text="（此件公开发布）"),
        [],
        id="marking in full-width brackets (rule 2)",
    ),
    pytest.param(
        NATIONAL, _s(marking_text="此件公开发布"), [], id="marking without brackets (rule 2)"
    ),
    pytest.param(
        NATIONAL,
        _s(marking_text="此件公开"),
        ["marking.not_canonical"],
        id="marking “此件公开” is invented wording (seed 001 不得另行创新)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.ON_REQUEST, marking_text="(此件公开发布)"),
        ["marking.not_canonical"],
        id="marking of another attribute (seed 001 §二(四)1)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, marking_text="此件不予公开", **NS5),
        ["marking.not_canonical"],
        id="“此件不予公开” is not seed 001's “此件不公开” (rule 2)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=None, marking_text="此件公开"),
        ["attribute.required"],
        id="marking not checked without attribute (rule 1 first)",
    ),
    # Rule 4: reasons for non-disclosure.
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD),
        ["reason.code_required", "reason.explanation_required"],
        id="不予公开 without reason → 未依法依规说明不公开理由 (rule 4)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, reason_explanation="内部文件"),
        ["reason.code_required"],
        id="free-text reason “内部文件” without code is refused (seed 001 最小化适用)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, reason_codes=("内部文件",), reason_explanation="内部文件"),
        ["reason.code_unknown"],
        id="unknown code names the catalogue (rule 4)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, reason_codes=("NS-5",), reason_explanation="  "),
        ["reason.explanation_required"],
        id="code without explanation (rule 4; 条例 art. 16)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, **NS5),
        [],
        id="不予公开 with NS-5 and explanation passes (条例 art. 16 ¶1)",
    ),
    pytest.param(
        NATIONAL,
        _s(
            attribute=A.WITHHELD,
            reason_codes=("NL-7",),
            reason_explanation="内部事项，seed 002 负面清单",
        ),
        [],
        id="negative-list sub-code NL-7 is accepted (seed 002 §二(十九))",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.REDACTED, attachments=frozenset({K.REDACTED_VERSION}), **NS5),
        ["reason.code_not_applicable"],
        id="NS-5 cannot justify 删减后公开 (条例 art. 16)",
    ),
    pytest.param(
        NATIONAL,
        _s(reason_codes=("NS-4",)),
        ["reason.code_not_applicable"],
        id="a reason code with 主动公开 is refused (annual report would miscount)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.ON_REQUEST),
        [],
        id="依申请公开 needs no reason nationally (domain §9.7)",
    ),
    pytest.param(
        STRICT,
        _s(attribute=A.ON_REQUEST),
        ["reason.code_required", "reason.explanation_required"],
        id="依申请公开 needs a reason where the profile says so (rule 4, configurable)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=None, reason_codes=("X-9",)),
        ["attribute.required", "reason.code_unknown"],
        id="every problem at once: no attribute and unknown code",
    ),
    # Rule 5 and 条例 art. 20(一).
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, document_type=T.NORMATIVE, **NS5),
        ["attribute.normative_not_proactive", "routing.office_prereview"],
        id="不予公开 规范性文件 → warning (条例 art. 20(一)) + pre-review (seed 002 §三(三))",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.WITHHELD, is_important_policy=True, **NS5),
        ["routing.office_prereview"],
        id="不予公开 重要政策 通知 → office pre-review (rule 5)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.ON_REQUEST, document_type=T.RULES),
        ["attribute.normative_not_proactive"],
        id="依申请公开 规章 → warning only (条例 art. 20(一); seed 001 最小化适用)",
    ),
    # Rule 9 through classification.
    pytest.param(
        NATIONAL,
        _s(secrecy_level=SecrecyLevel.SECRET, secrecy_period_years=5, has_secrecy_mark=True),
        ["secrecy.attribute_must_be_withheld"],
        id="秘密 document marked 主动公开 (实施条例 2024 art. 5)",
    ),
    pytest.param(
        NATIONAL,
        _s(
            attribute=A.WITHHELD,
            reason_codes=("NS-1",),
            reason_explanation="国家秘密，条例第十四条",
            secrecy_level=SecrecyLevel.SECRET,
            secrecy_period_years=5,
            has_secrecy_mark=True,
        ),
        [],
        id="秘密★5年 withheld with NS-1 passes (rule 9)",
    ),
    pytest.param(
        NATIONAL,
        _s(has_secrecy_mark=True),
        ["secrecy.mark_without_level"],
        id="secrecy mark without 密级 (保密法 2024 art. 22 ¶3)",
    ),
    # Rule 11: interpretation package.
    pytest.param(
        NATIONAL,
        _s(document_type=T.RULES),
        ["interpretation.plan_required", "interpretation.material_required"],
        id="规章 without 解读方案 and 解读材料 → 不予收文 (together, seed 000 §三(十八))",
    ),
    pytest.param(
        NATIONAL,
        _s(document_type=T.RULES, attachments=PLAN),
        ["interpretation.material_required"],
        id="together mode needs the material at intake (seed 000 §三(十八))",
    ),
    pytest.param(
        NATIONAL,
        _s(document_type=T.RULES, attachments=PACKAGE),
        [],
        id="规章 with the full package passes (rule 11)",
    ),
    pytest.param(
        LIAONING,
        _s(document_type=T.NORMATIVE, issued_in_government_name=True, attachments=PLAN),
        ["interpretation.material_required"],
        id="government-name 规范性文件 without 解读材料 → 不予收文 (seed 004 §二(五))",
    ),
    pytest.param(
        LIAONING,
        _s(document_type=T.NORMATIVE, issued_in_government_name=True),
        ["interpretation.plan_required", "interpretation.material_required"],
        id="government-name without package → 不予收文 (seed 004 §二(五))",
    ),
    pytest.param(
        LIAONING,
        _s(document_type=T.NORMATIVE, attachments=PLAN),
        [],
        id="department-name 3 WD mode: plan now, material within 3 WD (seed 002 §二(十三))",
    ),
    pytest.param(
        LIAONING,
        _s(document_type=T.NORMATIVE),
        ["interpretation.plan_required"],
        id="department-name 3 WD mode still needs the plan (seed 002 一并报批)",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=None, document_type=T.RULES),
        ["attribute.required", "interpretation.plan_required", "interpretation.material_required"],
        id="no attribute: interpretation checked too, every problem at once",
    ),
    pytest.param(
        NATIONAL,
        _s(attribute=A.ON_REQUEST, is_important_policy=True),
        [],
        id="重要政策 not published needs no interpretation",
    ),
    # Seed 001: the redacted version.
    pytest.param(
        NATIONAL,
        _s(
            attribute=A.REDACTED,
            reason_codes=("NS-4",),
            reason_explanation="个人隐私，条例第十五条",
        ),
        ["attachment.redacted_version_required"],
        id="删减后公开 without redacted version (seed 001 §二(四)1)",
    ),
]


@pytest.mark.parametrize(("profile", "submission", "expected"), CASES)
def test_check_submission_returns_every_problem_at_once(
    profile: PolicyProfile, submission: Submission, expected: list[str]
) -> None:
    assert [f.rule for f in check_submission(submission, profile)] == expected


@pytest.mark.parametrize(
    ("submission", "rule", "severity", "says"),
    [
        pytest.param(
            _s(attribute=None),
            "attribute.required",
            Severity.BLOCKING,
            "未明确公开属性",
            id="attribute.required blocks and says 未明确公开属性 (rule 1)",
        ),
        pytest.param(
            _s(attribute=A.WITHHELD),
            "reason.code_required",
            Severity.BLOCKING,
            "未依法依规说明不公开理由",
            id="reason.code_required says 未依法依规说明不公开理由 (rule 4)",
        ),
        pytest.param(
            _s(attribute=A.WITHHELD, reason_explanation="内部文件"),
            "reason.code_required",
            Severity.BLOCKING,
            "仅有文字说明不予受理",
            id="free text alone is named as refused (seed 001)",
        ),
        pytest.param(
            _s(attribute=A.WITHHELD, reason_codes=("X",), reason_explanation="x"),
            "reason.code_unknown",
            Severity.BLOCKING,
            "NS-1、NS-2",
            id="unknown code message lists the catalogue (domain §4.2)",
        ),
        pytest.param(
            _s(document_type=T.RULES),
            "interpretation.plan_required",
            Severity.BLOCKING,
            "不予收文",
            id="missing 解读方案 says 不予收文 (seed 004 §二(五))",
        ),
        pytest.param(
            _s(attribute=A.ON_REQUEST, document_type=T.RULES),
            "attribute.normative_not_proactive",
            Severity.WARNING,
            "主动公开",
            id="规章 not 主动公开 is a warning (条例 art. 20(一))",
        ),
        pytest.param(
            _s(attribute=A.WITHHELD, is_important_policy=True, **NS5),
            "routing.office_prereview",
            Severity.ROUTING,
            "政务公开工作机构",
            id="office pre-review is routing (seed 002 §三(三))",
        ),
        pytest.param(
            _s(marking_text="公开"),
            "marking.not_canonical",
            Severity.BLOCKING,
            "(此件公开发布)",
            id="marking message gives the canonical text (seed 001)",
        ),
    ],
)
def test_findings_say_what_to_do(
    submission: Submission, rule: str, severity: Severity, says: str
) -> None:
    finding = next(f for f in check_submission(submission, NATIONAL) if f.rule == rule)
    assert finding.severity is severity
    assert says in finding.message
    assert finding.source
    assert finding.field


@pytest.mark.parametrize(
    ("submission", "expected"),
    [
        pytest.param(_s(document_type=T.RULES), True, id="规章 is a policy document (domain §6.1)"),
        pytest.param(
            _s(is_important_policy=True),
            True,
            id="flagged 重要政策 is a policy document (seeds 000, 002)",
        ),
        pytest.param(_s(), False, id="an ordinary 通知 is not"),
    ],
)
def test_policy_documents_are_the_interpretation_set_or_important_policy(
    submission: Submission, expected: bool
) -> None:
    assert is_policy_document(submission, NATIONAL) is expected
