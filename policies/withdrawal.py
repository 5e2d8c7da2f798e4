"""Withdrawal (撤回) and restriction of a published document: the coded reasons it may give and
the attribute it takes. A document withdrawn leaves the portal, keeps everything stored, and is
filed with its new attribute, which the periodic re-review then covers (条例 art. 18).

Sources: domain §10 rule 21 (any unpublication or attribute change is audited with actor, time,
old and new values and reason; an attribute change after signing is the signer's or the office's
act); seed 002 §三(五) (liability for 公开不应当公开事项, domain §2.3 and §10 rule 12).
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.attributes import Attribute
from policies.findings import Finding, Severity
from policies.legal_reasons import REASONS

SOURCE = "domain §10 rule 21; seed 002 §三(五)"


@dataclass(frozen=True, slots=True)
class WithdrawalError:
    """An error in the publication itself, as a reason to withdraw it (beside the legal reasons)."""

    code: str
    summary: str
    source: str


ERROR_CODES: dict[str, WithdrawalError] = {
    error.code: error
    for error in (
        WithdrawalError(
            "WD-MISTAKE",
            "误发布：公开了不应当公开的信息",
            "seed 002 §三(五) (公开不应当公开事项); domain §10 rule 21",
        ),
        WithdrawalError(
            "WD-WRONG-FILE",
            "发布的文件或版本有误",
            "domain §10 rule 21 (unpublication, audited)",
        ),
    )
}

# Where a withdrawn document goes: kept from the portal, reviewed periodically (条例 art. 18).
WITHDRAWN_ATTRIBUTES = tuple(a for a in Attribute if not a.is_published)


def is_withdrawal_reason(code: str) -> bool:
    """Whether the code is a legal reason of the catalogue or a withdrawal error code."""
    return code in REASONS or code in ERROR_CODES


def check_withdrawal(
    reason_code: str, new_attribute: Attribute, justification: str
) -> list[Finding]:
    """Every problem with a withdrawal request: an unknown reason code, an attribute that would
    stay public or that the legal reason cannot justify, a missing justification."""
    findings: list[Finding] = []
    if not is_withdrawal_reason(reason_code):
        known = ", ".join([*ERROR_CODES, *REASONS])
        findings.append(
            Finding(
                "withdrawal.reason_unknown",
                Severity.BLOCKING,
                f"'{reason_code}' is no reason code; use one of {known}.",
                SOURCE,
                field="reason_code",
            )
        )
    if new_attribute not in WITHDRAWN_ATTRIBUTES:
        allowed = ", ".join(a.value for a in WITHDRAWN_ATTRIBUTES)
        findings.append(
            Finding(
                "withdrawal.attribute_public",
                Severity.BLOCKING,
                f"a withdrawn document takes an attribute kept from the portal: {allowed}.",
                SOURCE,
                field="new_attribute",
            )
        )
    elif reason_code in REASONS and not REASONS[reason_code].can_justify(new_attribute):
        findings.append(
            Finding(
                "withdrawal.reason_does_not_justify",
                Severity.BLOCKING,
                f"{reason_code} cannot justify '{new_attribute.value}'; choose a reason for it.",
                REASONS[reason_code].article,
                field="reason_code",
            )
        )
    if not justification.strip():
        findings.append(
            Finding(
                "withdrawal.justification_missing",
                Severity.BLOCKING,
                "say why the document is withdrawn (the written justification, rule 21).",
                SOURCE,
                field="justification",
            )
        )
    return findings
