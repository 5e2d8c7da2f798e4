"""Intake checks on a submitted draft (报批): every problem at once (domain §10 rules 1–2, 4–6, 9,
11; seed 001 for 删减后公开).

Decisions where the sources are silent:
- "Policy document" (rule 5) = a type in the profile's interpretation set, or flagged 重要政策;
  the same test decides whether interpretation is required (domain §6.1).
- Interpretation is checked when the attribute publishes the document, or is still missing
  (the drafter then sees every gap at once); withheld and on-request documents need none.
- Interpretation package (rule 11): in TOGETHER mode (seed 000 §三(十八) 同步起草、同步审批) both
  the 解读方案 and the 解读材料 are approved with the document, so both are required at intake.
  In WITHIN_WORKING_DAYS mode, documents issued in the government's or 办公厅's name need both at
  intake (seed 004 §二(五) "材料不全不予收文"); other documents need the plan (seed 002 §二(十三)
  "文件和解读方案一并报批") and the material is tracked as a 3 WD deadline after publication.
- Reason codes given with an attribute they cannot justify are refused (e.g. NS-1 with 主动公开):
  they would be counted wrongly in the annual report.
"""

from __future__ import annotations

from policies.attributes import Attribute
from policies.classification import check_classification
from policies.findings import Finding, Severity
from policies.legal_reasons import REASONS
from policies.profiles import InterpretationMode, PolicyProfile
from policies.submissions import AttachmentKind, Submission, is_policy_document

__all__ = ["AttachmentKind", "Submission", "check_submission", "is_policy_document"]

_ATTRIBUTE_SOURCE = "国办发〔2016〕80号 一(一); seeds 002 §三(三), 004 §二(二), 001 §二(四)1"
_MARKING_SOURCE = "seed 001 §二(四)1 (不得另行创新); seed 004 §二(二)"
_REASON_SOURCE = "国办发〔2016〕80号 一(一); 条例 arts. 14–16; seeds 002, 004; seed 001 §三(二)"
_PREREVIEW_SOURCE = "国办发〔2016〕80号 [R]; seed 002 §三(三)"
_PROACTIVE_SOURCE = "条例 art. 20(一); seed 001 §三(二) 最小化适用; domain §3.2"
_REDACTED_SOURCE = "seed 001 §二(四)1"


def check_submission(submission: Submission, profile: PolicyProfile) -> list[Finding]:
    """Every intake problem of a draft under the profile: attribute, marking, reasons, secrecy,
    interpretation package, redacted version."""
    s = submission
    return [
        *_check_attribute(s, profile),
        *_check_marking(s),
        *_check_reasons(s, profile),
        *check_classification(s.classification, s.attribute, s.reason_codes),
        *_check_interpretation(s, profile),
        *_check_redacted_version(s),
        *_check_routing(s, profile),
    ]


def _finding(
    rule: str, message: str, source: str, field: str, severity: Severity = Severity.BLOCKING
) -> Finding:
    return Finding(rule, severity, message, source, field)


def _check_attribute(s: Submission, profile: PolicyProfile) -> list[Finding]:
    if s.attribute is None:
        labels = "、".join(a.label for a in Attribute if a in profile.labels)
        return [
            _finding(
                "attribute.required",
                f"未明确公开属性：请从 {labels} 中选择一项，随公文一并报批。",
                _ATTRIBUTE_SOURCE,
                "attribute",
            )
        ]
    findings: list[Finding] = []
    if s.attribute not in profile.labels:
        labels = "、".join(a.label for a in Attribute if a in profile.labels)
        findings.append(
            _finding(
                "attribute.not_in_profile",
                f"“{s.attribute.label}”不是本地（{profile.title}）规定的公开属性；"
                f"请从 {labels} 中选择。",
                f"{profile.source}",
                "attribute",
            )
        )
    if s.document_type.must_be_proactive and s.attribute is not Attribute.PROACTIVE:
        findings.append(
            _finding(
                "attribute.normative_not_proactive",
                f"{s.document_type.label}依法应当主动公开（条例第二十条第（一）项）；"
                f"拟定为“{s.attribute.label}”须有充分理由，请复核或改为“主动公开”。",
                _PROACTIVE_SOURCE,
                "attribute",
                Severity.WARNING,
            )
        )
    return findings


def _strip_brackets(text: str) -> str:
    text = text.strip()
    for left, right in (("(", ")"), ("（", "）")):
        if text.startswith(left) and text.endswith(right):
            return text[1:-1].strip()
    return text


def _check_marking(s: Submission) -> list[Finding]:
    if s.marking_text is None or s.attribute is None:
        return []
    if _strip_brackets(s.marking_text) == s.attribute.marking:
        return []
    return [
        _finding(
            "marking.not_canonical",
            f"公开属性标识“{s.marking_text}”不规范：“{s.attribute.label}”须标注为"
            f"“({s.attribute.marking})”，不得另行创新；请更正标识。",
            _MARKING_SOURCE,
            "marking_text",
        )
    ]


def _check_reasons(s: Submission, profile: PolicyProfile) -> list[Finding]:
    findings: list[Finding] = []
    catalogue = "、".join(REASONS)
    for code in s.reason_codes:
        reason = REASONS.get(code)
        if reason is None:
            findings.append(
                _finding(
                    "reason.code_unknown",
                    f"理由代码“{code}”不在理由目录中；请从 {catalogue} 中选择。",
                    _REASON_SOURCE,
                    "reason_codes",
                )
            )
        elif s.attribute is not None and not reason.can_justify(s.attribute):
            findings.append(
                _finding(
                    "reason.code_not_applicable",
                    f"理由 {code}（{reason.summary}，{reason.article}）"
                    f"不能作为“{s.attribute.label}”的理由；请更换理由代码或更正公开属性。",
                    _REASON_SOURCE,
                    "reason_codes",
                )
            )
    if s.attribute is None or not profile.needs_reason(s.attribute):
        return findings
    if not s.reason_codes:
        given = "仅有文字说明不予受理；" if s.reason_explanation.strip() else ""
        findings.append(
            _finding(
                "reason.code_required",
                f"未依法依规说明不公开理由：{given}请至少选择一个理由代码（{catalogue}）。",
                _REASON_SOURCE,
                "reason_codes",
            )
        )
    if not s.reason_explanation.strip():
        findings.append(
            _finding(
                "reason.explanation_required",
                "未依法依规说明不公开理由：请填写理由说明，写明所依据的具体条款及适用的事实。",
                _REASON_SOURCE,
                "reason_explanation",
            )
        )
    return findings


_INTERPRETATION_PACKAGE = (
    (AttachmentKind.INTERPRETATION_PLAN, "interpretation.plan_required", "解读方案"),
    (AttachmentKind.INTERPRETATION_MATERIAL, "interpretation.material_required", "解读材料"),
)


def _check_interpretation(s: Submission, profile: PolicyProfile) -> list[Finding]:
    if s.attribute is not None and not s.attribute.is_published:
        return []
    if not is_policy_document(s, profile):
        return []
    required = {AttachmentKind.INTERPRETATION_PLAN}
    together = profile.interpretation_mode is InterpretationMode.TOGETHER
    if together or s.issued_in_government_name:
        required.add(AttachmentKind.INTERPRETATION_MATERIAL)
    source = (
        "seed 000 §三(十八); 国办发〔2016〕80号 [R]"
        if together
        else "seed 004 §二(五); seed 002 §二(十三)"
    )
    findings = []
    for kind, rule, name in _INTERPRETATION_PACKAGE:
        if kind in required and kind not in s.attachments:
            findings.append(
                _finding(
                    rule,
                    f"材料不全不予收文：本文件须随文报送{name}（“谁起草、谁解读”）；"
                    "请附上后重新报送。",
                    source,
                    "attachments",
                )
            )
    return findings


def _check_redacted_version(s: Submission) -> list[Finding]:
    if s.attribute is None or not s.attribute.publishes_redacted_version:
        return []
    if AttachmentKind.REDACTED_VERSION in s.attachments:
        return []
    return [
        _finding(
            "attachment.redacted_version_required",
            f"“{s.attribute.label}”须附删减后的公开版本；请上传删减版后重新报送。",
            _REDACTED_SOURCE,
            "attachments",
        )
    ]


def _check_routing(s: Submission, profile: PolicyProfile) -> list[Finding]:
    if s.attribute is not Attribute.WITHHELD or not is_policy_document(s, profile):
        return []
    return [
        _finding(
            "routing.office_prereview",
            "政策性文件拟不予公开：须先经本单位政务公开工作机构审查同意后方可进入审批；"
            "已转送政务公开办预审。",
            _PREREVIEW_SOURCE,
            "attribute",
            Severity.ROUTING,
        )
    ]
