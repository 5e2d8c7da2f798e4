"""Jurisdiction profiles: the local choices layered on the national law (domain §3.1, §6, §8).

A profile is chosen by name in settings (design.md "Settings and law"); it is never assembled from
environment variables. Each value says whether it is national law or a local choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from policies.application_replies import NATIONAL_REMEDIES, RemedyChannel
from policies.applications import ConversionThreshold
from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.statuses import Status
from policies.units import ClockHours, Months, WorkingDays

# National law.
PUBLISH_CEILING = WorkingDays(20)  # 条例 art. 26: 自形成或者变更之日起20个工作日内
# 条例 art. 18 "定期评估审查" (seed 000 §三(二十一) "定期"): the law sets no interval, so this is
# a local choice: annual, like 龙泉市's yearly self-check of 不予公开/依申请公开 [R] (domain §6.3).
NONDISCLOSURE_REVIEW_INTERVAL = Months(12)

# Local windows.
PUBLISH_AFTER_ISSUE = ClockHours(2)  # seed 000 §三(二十二): 印发之后的2小时内
INTERPRETATION_WITHIN = WorkingDays(3)  # seeds 002 §二(十三), 004 §二(五): 文件公开3个工作日内

# Stage allowances the office monitors. No national limit exists (domain §5.1, §9.8); these are
# local defaults, to be replaced by a jurisdiction's own rule.
SECRECY_REVIEW_ALLOWANCE = WorkingDays(7)  # local choice: "7个工作日" in county rules [R], §5.1
OFFICE_PREREVIEW_ALLOWANCE = WorkingDays(5)  # local choice: no source sets one
SIGNOFF_ALLOWANCE = WorkingDays(3)  # local choice: no source sets one
INTERPRETATION_ALLOWANCE = WorkingDays(3)  # local choice, aligned with seeds 002/004's 3 WD
# Domain §10 rules 10 and 16: a re-review task left undecided is overdue "after a configurable
# period"; no source sets one. Local default: 20 WD, the national ceiling for publishing
# information after it changes (条例 art. 26), since converting a document is such a change.
REREVIEW_DECISION_ALLOWANCE = WorkingDays(20)
# Domain §10 rule 17: released on application to N distinct applicants in a year proposes a
# conversion to 主动公开 (条例 art. 44 names no number). Local choice: 3 a year, after 奉化's rule
# [R] cited in domain §10 rule 17.
CONVERSION_THRESHOLD = ConversionThreshold(
    3, "local choice after 奉化区 (3 distinct applicants a year) [R], domain §10 rule 17"
)

THREE_LABELS = frozenset({Attribute.PROACTIVE, Attribute.ON_REQUEST, Attribute.WITHHELD})
FOUR_LABELS = THREE_LABELS | {Attribute.REDACTED}  # seed 001 §二(四)1 adds 删减后公开

# Domain §6.1: default scope of interpretation = 规章 + 行政规范性文件 (+ flagged 重要政策).
INTERPRETATION_TYPES = frozenset({DocumentType.RULES, DocumentType.NORMATIVE})


class InterpretationMode(StrEnum):
    """When interpretation material must be published relative to the document."""

    TOGETHER = "together"  # seed 000 §三(十八): 同步起草、同步审批、同步公开; 80号 [R]
    WITHIN_WORKING_DAYS = "within_working_days"  # seeds 002 §二(十三), 004 §二(五)


class ProfileUnknown(LookupError):
    """No profile has the configured name."""


@dataclass(frozen=True, slots=True)
class PolicyProfile:
    """One jurisdiction's disclosure rules, each value with its source in `source` or beside it."""

    name: str
    title: str
    source: str
    labels: frozenset[Attribute]
    publish_after_issue: ClockHours | None  # None: only the national ceiling applies
    interpretation_mode: InterpretationMode
    publish_ceiling: WorkingDays = PUBLISH_CEILING
    interpretation_within: WorkingDays = INTERPRETATION_WITHIN
    interpretation_types: frozenset[DocumentType] = INTERPRETATION_TYPES
    secrecy_review_allowance: WorkingDays = SECRECY_REVIEW_ALLOWANCE
    office_prereview_allowance: WorkingDays = OFFICE_PREREVIEW_ALLOWANCE
    signoff_allowance: WorkingDays = SIGNOFF_ALLOWANCE
    interpretation_allowance: WorkingDays = INTERPRETATION_ALLOWANCE
    nondisclosure_review_interval: Months = NONDISCLOSURE_REVIEW_INTERVAL
    rereview_decision_allowance: WorkingDays = REREVIEW_DECISION_ALLOWANCE
    makeup_days_count: bool = True  # domain §8.1: 调休上班 weekend days count [U], default ON
    # Attributes besides 不予公开 that need a coded reason (domain §10 rule 4): 删减后公开 by
    # analogy to 条例 art. 37 (domain §3.1); 依申请公开 needs none in the national texts (§9.7).
    reasons_required: frozenset[Attribute] = frozenset({Attribute.REDACTED})
    conversion_threshold: ConversionThreshold = CONVERSION_THRESHOLD
    # 条例 art. 51: the reply letter names the remedy channels, bodies and time limits.
    remedies: tuple[RemedyChannel, ...] = NATIONAL_REMEDIES

    def allowance_for(self, status: Status) -> WorkingDays | None:
        """The working days the office allows a document to stay in status (local choices)."""
        allowances = {
            Status.OFFICE_PREREVIEW: self.office_prereview_allowance,
            Status.SECRECY_REVIEW: self.secrecy_review_allowance,
            Status.AWAITING_INTERPRETATION: self.interpretation_allowance,
            Status.AWAITING_SIGNOFF: self.signoff_allowance,
        }
        return allowances.get(status)

    def needs_reason(self, attribute: Attribute) -> bool:
        """Whether the attribute must be justified by a reason code (domain §10 rule 4)."""
        # 80号 一(一) "拟不公开的，要依法依规说明理由": 不予公开 always.
        return attribute is Attribute.WITHHELD or attribute in self.reasons_required


NATIONAL = PolicyProfile(
    name="national",
    title="全国默认 (national default)",
    source="条例 (2019) arts. 14–16, 18, 20, 26; 国办发〔2016〕80号 一(一) [R]; four labels so "
    "that every locality's documents can be held (seed 001 §二(四)1)",
    labels=FOUR_LABELS,
    publish_after_issue=None,
    interpretation_mode=InterpretationMode.TOGETHER,  # 80号: 同步组织、同步审签、同步部署 [R]
)

MAJIANG = PolicyProfile(
    name="majiang",
    title="麻江县 (Guizhou)",
    source="seed 000: three labels (80号), §三(二十二) 2-hour window, "
    "§三(十八) interpretation published together",
    labels=THREE_LABELS,
    publish_after_issue=PUBLISH_AFTER_ISSUE,
    interpretation_mode=InterpretationMode.TOGETHER,
)

ZHONGWEI = PolicyProfile(
    name="zhongwei",
    title="中卫市 (Ningxia)",
    source="seed 001 §二(四)1: four labels incl. 删减后公开 and their exact markings; "
    "§三(二) 最小化适用; interpretation timing not set locally, national default used",
    labels=FOUR_LABELS,
    publish_after_issue=None,
    interpretation_mode=InterpretationMode.TOGETHER,
)

WUMING = PolicyProfile(
    name="wuming",
    title="南宁市武鸣区 (Guangxi)",
    source="seed 002: three labels (80号), §二(十三) interpretation within 3 WD, §二(十九) "
    "negative list",
    labels=THREE_LABELS,
    publish_after_issue=None,
    interpretation_mode=InterpretationMode.WITHIN_WORKING_DAYS,
)

LIAONING = PolicyProfile(
    name="liaoning",
    title="辽宁省",
    source="seed 004 §二(二): three labels, marking with 密级 and 保密期限; §二(五) 解读方案 and "
    "解读材料 at intake for government-name documents, interpretation within 3 WD; no local "
    "publication window, so only the 20 WD ceiling (条例 art. 26)",
    labels=THREE_LABELS,
    publish_after_issue=None,
    interpretation_mode=InterpretationMode.WITHIN_WORKING_DAYS,
)

PROFILES: Mapping[str, PolicyProfile] = MappingProxyType(
    {p.name: p for p in (NATIONAL, MAJIANG, ZHONGWEI, WUMING, LIAONING)}
)


def get_profile(name: str) -> PolicyProfile:
    """The policy profile configured under name; unknown names are a configuration error."""
    try:
        return PROFILES[name]
    except KeyError:
        available = ", ".join(sorted(PROFILES))
        raise ProfileUnknown(f"Unknown policy profile {name!r}; available: {available}.") from None
