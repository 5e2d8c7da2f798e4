"""What a submission is: the drafter's statements (`Draft`), the received files (`Upload`), the
recorded result (`IntakeResult`), and the draft as the intake checks see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.deadlines import Deadline
from models.documents import Document
from models.versions import Version
from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Finding, blocking
from policies.profiles import PolicyProfile, ProfileUnknown, get_profile
from policies.secrecy_levels import SecrecyLevel
from policies.submission_checks import AttachmentKind, Submission
from services.documents import VersionRecord
from services.errors import RequestInvalid
from services.storage import StagedFile

SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_RETURNED = "submission.returned"  # 退文
MATERIAL_ADDED = "interpretation.material_added"
_CHECKED_KINDS = frozenset(kind.value for kind in AttachmentKind)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the drafter states about the draft on the submission form."""

    title: str
    organ_id: int
    document_type: DocumentType
    written_on: date  # 成文日期
    policy_profile: str
    attribute: Attribute | None
    doc_number: str | None = None  # 文号
    reason_codes: tuple[str, ...] = ()
    reason_explanation: str = ""
    secrecy_level: SecrecyLevel = SecrecyLevel.NONE
    secrecy_period_years: int | None = None
    declassify_on: date | None = None
    declassify_condition: str = ""
    secrecy_override_reference: str = ""
    is_important_policy: bool = False
    issued_in_government_name: bool = False

    def document_fields(self) -> dict[str, Any]:
        """The columns of the document that the draft states (set again on resubmission)."""
        return {
            "title": self.title,
            "doc_number": self.doc_number,
            "organ_id": self.organ_id,
            "document_type": self.document_type.value,
            "written_on": self.written_on,
            "policy_profile": self.policy_profile,
            "is_important_policy": self.is_important_policy,
            "issued_in_government_name": self.issued_in_government_name,
        }


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file and what it is: "main" or an attachment kind."""

    kind: str
    staged: StagedFile


@dataclass(slots=True)
class IntakeResult:
    """The recorded submission: returned (退文) when blocking findings exist.

    `record` holds the version with its files, marking and recorded findings as written in this
    transaction, so the answer is built without reading them back."""

    document: Document
    record: VersionRecord
    findings: list[Finding]
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def version(self) -> Version:
        """The version recorded by this submission."""
        return self.record.version

    @property
    def returned(self) -> bool:
        """Whether the submission was returned (退文)."""
        return bool(blocking(self.findings))


def profile_named(name: str) -> PolicyProfile:
    """The policy profile of a submission; an unknown name is a malformed request."""
    try:
        return get_profile(name)
    except ProfileUnknown as error:
        raise RequestInvalid(str(error)) from None


def submission_of(draft: Draft, attachment_kinds: set[str]) -> Submission:
    """The draft as the intake checks see it; the engine prints the secrecy mark itself."""
    return Submission(
        attribute=draft.attribute,
        document_type=draft.document_type,
        reason_codes=draft.reason_codes,
        reason_explanation=draft.reason_explanation,
        is_important_policy=draft.is_important_policy,
        issued_in_government_name=draft.issued_in_government_name,
        secrecy_level=draft.secrecy_level,
        secrecy_period_years=draft.secrecy_period_years,
        declassify_on=draft.declassify_on,
        declassify_condition=draft.declassify_condition,
        secrecy_override_reference=draft.secrecy_override_reference,
        has_secrecy_mark=draft.secrecy_level.is_classified,
        attachments=frozenset(AttachmentKind(k) for k in attachment_kinds if k in _CHECKED_KINDS),
    )
