"""A draft as submitted for approval (报批), as far as the disclosure rules look at it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.attributes import Attribute
from policies.classification import Classification
from policies.document_types import DocumentType
from policies.profiles import PolicyProfile
from policies.secrecy_levels import SecrecyLevel


class AttachmentKind(StrEnum):
    """Files that travel with the draft."""

    INTERPRETATION_PLAN = "interpretation_plan"  # 解读方案
    INTERPRETATION_MATERIAL = "interpretation_material"  # 解读材料
    REDACTED_VERSION = "redacted_version"  # 删减后公开的版本
    OTHER = "other"


# Interpretation files are also received as the document's material (the 3-working-day mode).
INTERPRETATION_KINDS = (AttachmentKind.INTERPRETATION_PLAN, AttachmentKind.INTERPRETATION_MATERIAL)


@dataclass(frozen=True, slots=True)
class Submission:
    """What the drafter submits for approval, as far as the disclosure rules look at it."""

    attribute: Attribute | None
    document_type: DocumentType
    reason_codes: tuple[str, ...] = ()
    reason_explanation: str = ""
    is_important_policy: bool = False  # 重要政策 (seeds 000, 002)
    issued_in_government_name: bool = False  # 代拟稿 issued in the government's/办公厅's name
    secrecy_level: SecrecyLevel = SecrecyLevel.NONE
    secrecy_period_years: int | None = None
    declassify_on: date | None = None
    declassify_condition: str = ""
    secrecy_override_reference: str = ""
    has_secrecy_mark: bool = False
    marking_text: str | None = None  # the printed marking, when the draft carries one
    attachments: frozenset[AttachmentKind] = frozenset()

    @property
    def classification(self) -> Classification:
        """The secrecy data of the submission."""
        return Classification(
            self.secrecy_level,
            self.secrecy_period_years,
            self.declassify_on,
            self.declassify_condition,
            self.secrecy_override_reference,
            self.has_secrecy_mark,
        )


def is_policy_document(submission: Submission, profile: PolicyProfile) -> bool:
    """A 政策性文件: a type the profile requires interpretation for, or flagged 重要政策."""
    return (
        submission.is_important_policy or submission.document_type in profile.interpretation_types
    )
