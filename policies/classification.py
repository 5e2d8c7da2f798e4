"""Classified documents (密级): periods, marks and consequences for disclosure (domain §5.2–§5.3).

A classified document needs a 保密期限, 解密时间 or 解密条件, within the level's maximum unless an
"另有规定" reference is recorded; it is withheld with reason NS-1; it shows its secrecy mark; and
an unclassified document shows none. Rule 9 of domain §10.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from policies.attributes import Attribute
from policies.findings import Finding, Severity
from policies.periods import add_years
from policies.secrecy_levels import SecrecyLevel

# 保密法 2024 art. 20 ¶1: 除另有规定外，绝密级不超过三十年，机密级不超过二十年，秘密级不超过十年.
MAX_PERIOD_YEARS: Mapping[SecrecyLevel, int] = MappingProxyType(
    {SecrecyLevel.TOP_SECRET: 30, SecrecyLevel.CONFIDENTIAL: 20, SecrecyLevel.SECRET: 10}
)
STATE_SECRET_REASON = "NS-1"  # 条例 art. 14: 依法确定为国家秘密的政府信息

_PERIOD_SOURCE = "保密法 2024 art. 20 ¶3; 实施条例 2024 art. 21; seed 004 §二(二)"
_MAX_SOURCE = "保密法 2024 art. 20 ¶1"
_WITHHELD_SOURCE = "实施条例 2024 art. 5; 条例 art. 14"
_MARK_SOURCE = "保密法 2024 art. 22; 实施条例 2024 art. 21"
_NO_MARK_SOURCE = "保密法 2024 art. 22 ¶3"


@dataclass(frozen=True, slots=True)
class Classification:
    """What a draft says about its secrecy: level, the ways it ends, and its mark."""

    level: SecrecyLevel = SecrecyLevel.NONE
    period_years: int | None = None  # 保密期限
    declassify_on: date | None = None  # 解密时间
    declassify_condition: str = ""  # 解密条件
    override_reference: str = ""  # the "另有规定" allowing a longer period
    has_secrecy_mark: bool = False  # the draft shows a 密级/保密期限 mark

    @property
    def has_end(self) -> bool:
        """Whether a 保密期限, 解密时间 or 解密条件 is given."""
        return (
            self.period_years is not None
            or self.declassify_on is not None
            or bool(self.declassify_condition.strip())
        )


def _blocking(rule: str, message: str, source: str, field: str) -> Finding:
    return Finding(rule, Severity.BLOCKING, message, source, field)


def check_classification(
    classification: Classification, attribute: Attribute | None, reason_codes: tuple[str, ...]
) -> list[Finding]:
    """Check a draft's secrecy data against 保密法 and the disclosure attribute (rule 9)."""
    c = classification
    if not c.level.is_classified:
        return _check_unclassified(c)
    findings: list[Finding] = []
    if not c.has_end:
        findings.append(
            _blocking(
                "secrecy.period_required",
                f"{c.level.label}级文件须标明保密期限、解密时间或解密条件之一；请补充。",
                _PERIOD_SOURCE,
                "secrecy_period_years",
            )
        )
    if c.period_years is not None and c.period_years <= 0:
        findings.append(
            _blocking(
                "secrecy.period_invalid",
                f"保密期限须为正整数年（现为 {c.period_years}）；请更正。",
                _PERIOD_SOURCE,
                "secrecy_period_years",
            )
        )
    maximum = MAX_PERIOD_YEARS[c.level]
    if c.period_years is not None and c.period_years > maximum and not c.override_reference.strip():
        findings.append(
            _blocking(
                "secrecy.period_exceeds_maximum",
                f"{c.level.label}级保密期限不超过{maximum}年（现为{c.period_years}年）；"
                "请缩短期限，或填写允许更长期限的“另有规定”依据。",
                _MAX_SOURCE,
                "secrecy_period_years",
            )
        )
    if attribute is not None and attribute is not Attribute.WITHHELD:
        findings.append(
            _blocking(
                "secrecy.attribute_must_be_withheld",
                f"涉密文件（{c.level.label}）不得公开，公开属性须为“不予公开”（现为“{attribute.label}”）；"
                "请更正属性，或先办理解密。",
                _WITHHELD_SOURCE,
                "attribute",
            )
        )
    if attribute is Attribute.WITHHELD and STATE_SECRET_REASON not in reason_codes:
        findings.append(
            _blocking(
                "secrecy.reason_state_secret_required",
                "涉密文件不予公开的理由须包含 NS-1（属于国家秘密，条例第十四条）；"
                "请补充该理由代码。",
                _WITHHELD_SOURCE,
                "reason_codes",
            )
        )
    if not c.has_secrecy_mark:
        findings.append(
            _blocking(
                "secrecy.mark_required",
                f"涉密文件须标注密级和保密期限（如“{c.level.label}★{c.period_years or 'N'}年”）；"
                "请补充标志。",
                _MARK_SOURCE,
                "has_secrecy_mark",
            )
        )
    return findings


def _check_unclassified(c: Classification) -> list[Finding]:
    findings: list[Finding] = []
    if c.has_secrecy_mark:
        findings.append(
            _blocking(
                "secrecy.mark_without_level",
                "不属于国家秘密的，不得作出国家秘密标志；请删除密级标志，或确定密级。",
                _NO_MARK_SOURCE,
                "has_secrecy_mark",
            )
        )
    if c.has_end:
        findings.append(
            _blocking(
                "secrecy.period_without_level",
                "未定密级的文件不得标注保密期限、解密时间或解密条件；请删除，或确定密级。",
                _NO_MARK_SOURCE,
                "secrecy_period_years",
            )
        )
    return findings


def secrecy_expires_on(issued_on: date, period_years: int) -> date:
    """The last day of a 保密期限: 制发日 + period (实施条例 2024 art. 19 ¶2; 民法典 art. 202)."""
    return add_years(issued_on, period_years)


def rereview_due_on(issued_on: date, classification: Classification) -> date | None:
    """When a disclosure re-review falls due: the earlier of period expiry and 解密时间 (rule 10).

    None when only a 解密条件 is known: whether it is met is a human finding (保密法 2024 art. 24).
    """
    candidates: list[date] = []
    if classification.period_years is not None and classification.period_years > 0:
        candidates.append(secrecy_expires_on(issued_on, classification.period_years))
    if classification.declassify_on is not None:
        candidates.append(classification.declassify_on)
    return min(candidates, default=None)
