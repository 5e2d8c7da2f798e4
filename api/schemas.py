"""Request and response bodies of the documents, submissions and decisions, each built from the
recorded rows (`.of`), and the one error shape."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from models.deadlines import Deadline
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.versions import Marking
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.document_types import DocumentType
from policies.findings import Finding, Severity
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Stage, Status
from policies.steps import STEPS, Choice, Step
from policies.stuck import StuckLevel
from policies.validity import Validity
from services.documents import Dossier, VersionRecord


def beijing_iso(moment: datetime) -> str:
    """An instant in the API's one form: ISO 8601 in Beijing time with its offset (+08:00)."""
    return moment.astimezone(SHANGHAI).isoformat()


# Every instant the API writes: the same form in every response (issue 20: +08:00, never Z).
Instant = Annotated[datetime, PlainSerializer(beijing_iso, return_type=str, when_used="json")]


_T = TypeVar("_T")


def in_beijing(value: _T) -> _T:
    """A service's result (dataclasses, lists, tuples) with every instant in Beijing time, so
    that a dataclass answered as it is shows its instants in the API's one form."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: in_beijing(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, list | tuple):
        return type(value)(in_beijing(item) for item in value)
    return value


class FindingOut(BaseModel):
    """One finding: which rule, how bad, how to fix it, its legal source and the field."""

    rule: str
    severity: Severity
    message: str
    source: str
    field: str | None = None

    @classmethod
    def of(cls, finding: Any) -> FindingOut:
        """From a policies Finding or a recorded finding row."""
        return cls(
            rule=finding.rule,
            severity=finding.severity,
            message=finding.message,
            source=finding.source,
            field=finding.field,
        )


class ErrorBody(BaseModel):
    """Every error: a short code, a sentence, and the findings behind it (may be empty)."""

    error: str = Field(examples=["退文", "not_found", "invalid_request"])
    detail: str
    findings: list[FindingOut] = []
    document_id: int | None = Field(
        default=None, description="The recorded document, when a 退文 recorded the submission."
    )


class DocumentOut(BaseModel):
    """A document's stated facts and where its review stands."""

    id: int
    title: str
    doc_number: str | None
    organ_id: int
    document_type: str
    written_on: date
    policy_profile: str
    is_important_policy: bool
    issued_in_government_name: bool
    status: Status
    stage: Stage
    status_changed_at: Instant
    current_version_id: int | None
    flow_run_id: str | None

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        """The document as shown to clients."""
        return cls.model_validate(document, from_attributes=True)


class FileOut(BaseModel):
    """A stored file (content-addressed; the storage path is not exposed)."""

    id: int
    kind: str
    original_name: str
    media_type: str
    size_bytes: int
    sha256: str

    @classmethod
    def of(cls, kind: str, stored: StoredFile) -> FileOut:
        """A stored file, sent as `kind`."""
        return cls.model_validate(stored.model_dump() | {"kind": kind})


class MarkingOut(BaseModel):
    """The disclosure attribute and secrecy data of a version."""

    attribute: Attribute
    attribute_label: str
    marking_text: str
    reason_codes: list[str]
    reason_explanation: str | None
    secrecy_level: SecrecyLevel
    secrecy_period_years: int | None
    declassify_on: date | None
    declassify_condition: str | None

    @classmethod
    def of(cls, marking: Marking | None) -> MarkingOut | None:
        """A version's marking, if it has one."""
        if marking is None:
            return None
        return cls.model_validate(
            marking.model_dump() | {"attribute_label": marking.attribute.label}
        )


class VersionOut(BaseModel):
    """One submitted version with its files, marking and findings."""

    id: int
    number: int
    submitted_at: Instant
    submitted_by: int
    files: list[FileOut]
    marking: MarkingOut | None
    findings: list[FindingOut]

    @classmethod
    def of(cls, record: VersionRecord) -> VersionOut:
        """A version with its files, marking and findings."""
        version = record.version
        assert version.id is not None
        return cls(
            id=version.id,
            number=version.number,
            submitted_at=version.submitted_at,
            submitted_by=version.submitted_by,
            files=[
                FileOut.of("main", record.main_file),
                *(FileOut.of(kind, f) for kind, f in record.attachments),
            ],
            marking=MarkingOut.of(record.marking),
            findings=[FindingOut.of(f) for f in record.findings],
        )


class DeadlineOut(BaseModel):
    """A deadline the office tracks."""

    kind: str
    due_at: Instant
    basis: str
    provisional: bool
    met_at: Instant | None = None
    closed_at: Instant | None = Field(
        default=None, description="ended unmet: it can no longer be met (e.g. filed)"
    )

    @classmethod
    def of(cls, deadline: Deadline) -> DeadlineOut:
        """A deadline as shown to clients."""
        return cls.model_validate(deadline, from_attributes=True)


class ReviewOut(BaseModel):
    """Whether the review flow runs: starting now, or pending until the sweep of unstarted
    reviews starts it."""

    state: Literal["starting", "pending", "started", "not_started"]
    flow_run_id: str | None = None
    detail: str

    @classmethod
    def of(cls, document: Document) -> ReviewOut:
        """Where the review flow stands, from the document's record."""
        if document.flow_run_id is not None:
            return cls(
                state="started", flow_run_id=document.flow_run_id, detail="the review flow runs"
            )
        if document.status is Status.SUBMITTED:
            return cls(
                state="pending", detail="the review will start as soon as Prefect accepts the run"
            )
        return cls(state="not_started", detail=f"no review runs while '{document.status}'")


class SubmissionOut(BaseModel):
    """The answer to an accepted submission (201)."""

    document: DocumentOut
    version: VersionOut
    status: Status
    findings: list[FindingOut] = Field(description="Warnings and routing notes; none block.")
    deadlines: list[DeadlineOut]
    review: ReviewOut


class AuditEventOut(BaseModel):
    """One entry of the document's history."""

    occurred_at: Instant
    actor: str
    role: Role
    channel: str
    action: str
    version_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class MaterialOut(BaseModel):
    """Interpretation material received for the document."""

    id: int
    kind: str
    received_at: Instant
    cleared_at: Instant | None = Field(
        default=None, description="When a secrecy reviewer cleared it; the portal shows it after."
    )
    file: FileOut

    @classmethod
    def of(cls, material: InterpretationMaterial, stored: StoredFile) -> MaterialOut:
        """A received material with its file."""
        return cls.model_validate(
            material.model_dump() | {"file": FileOut.of(material.kind, stored)}
        )


class DocumentDetail(BaseModel):
    """Everything about one document."""

    document: DocumentOut
    status: Status
    stage: Stage
    findings: list[FindingOut] = Field(description="Findings of the current version.")
    deadlines: list[DeadlineOut]
    versions: list[VersionOut]
    interpretation_materials: list[MaterialOut]
    review: ReviewOut
    history: list[AuditEventOut]

    @classmethod
    def of(cls, dossier: Dossier) -> DocumentDetail:
        """Everything about one document."""
        document = dossier.document
        versions = [VersionOut.of(r) for r in dossier.versions]
        current = next((v for v in versions if v.id == document.current_version_id), None)
        return cls(
            document=DocumentOut.of(document),
            status=document.status,
            stage=document.stage,
            findings=current.findings if current else [],
            deadlines=[DeadlineOut.of(d) for d in dossier.deadlines],
            versions=versions,
            interpretation_materials=[MaterialOut.of(m, f) for m, f in dossier.materials],
            review=ReviewOut.of(document),
            history=[
                AuditEventOut.model_validate(e, from_attributes=True) for e in dossier.history
            ],
        )


class DocumentPage(BaseModel):
    """One page of documents, newest first."""

    items: list[DocumentOut]
    total: int = Field(description="How many documents match, on every page.")
    limit: int
    offset: int
    next_cursor: str | None = Field(
        description="Send as `cursor` for the next page (null: this page is the last). Pages by "
        "cursor never skip or repeat a document when others are added meanwhile and are as fast "
        "deep in the list as at its start; pages by `offset` may shift and slow down with depth."
    )


# Enumerated values and what each means, shown in the OpenAPI schema of each enum.
DESCRIBED_ENUMS: dict[str, type[StrEnum]] = {
    enum.__name__: enum
    for enum in (
        Attribute,
        SecrecyLevel,
        DocumentType,
        Status,
        Stage,
        Role,
        Validity,
        Step,
        Choice,
        Severity,
        StuckLevel,
    )
}
_MEANINGS: dict[StrEnum, str] = {
    Severity.BLOCKING: "stops the document: 退文, or the step refused",
    Severity.WARNING: "shown to drafter and reviewers; does not stop the document",
    Severity.ROUTING: "changes where the document goes next (e.g. office pre-review)",
    StuckLevel.NEAR: "the near share of the stage allowance has elapsed",
    StuckLevel.OVERDUE: "the stage allowance's deadline has passed",
    **{
        choice: "; ".join(
            f"{r.step}: {r.choices[choice]}" for r in STEPS.values() if choice in r.choices
        )
        for choice in Choice
    },
}


def meaning(member: StrEnum) -> str:
    """What an enumerated value means (its label, and for an attribute its printed marking)."""
    if isinstance(member, Attribute):
        return f"{member.label}（{member.marking}）"
    if isinstance(member, Step):
        return member.rule.title
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else _MEANINGS[member]


def describe_enums(schemas: dict[str, Any]) -> dict[str, Any]:
    """JSON schemas with each known enum's values explained (in its description, and in
    `x-enum-descriptions` for tools that show them beside each value)."""
    for name, schema in schemas.items():
        enum = DESCRIBED_ENUMS.get(name)
        if enum is None or "enum" not in schema:
            continue
        meanings = {member.value: meaning(member) for member in enum}
        lines = "\n".join(f"- `{value}`: {text}" for value, text in meanings.items())
        schema["description"] = f"{schema.get('description', '')}\n\n{lines}".strip()
        schema["x-enum-descriptions"] = meanings
    return schemas


def finding_list(findings: list[Finding]) -> list[FindingOut]:
    """Findings as response items."""
    return [FindingOut.of(f) for f in findings]


class DecisionIn(BaseModel):
    """A reviewer's decision on the step the document waits at (the same choices as the UI form)."""

    model_config = ConfigDict(extra="forbid")

    step: Step = Field(description="The step decided; a step that is over gets 409.")
    decision: Choice = Field(
        description="The decision; each step offers its own (policies/steps.py): "
        + " | ".join(f"{rule.step}: {rule.choices_text()}" for rule in STEPS.values())
    )
    reason_codes: list[str] = Field(default_factory=list, examples=[["NS-4"]])
    comment: str = Field(default="", max_length=4000)
    new_attribute: Attribute | None = None
    version_id: int | None = Field(
        default=None, ge=1, description="The version decided; defaults to the current one."
    )


class DecisionOut(BaseModel):
    """A recorded decision and where the document stands after it."""

    id: int
    document_id: int
    version_id: int
    step: Step
    attempt: int
    decision: str = Field(description="As recorded (approval at sign-off is 'sign_off').")
    channel: str
    decided_at: Instant
    status: Status = Field(description="The document's status after the decision.")
    flow_run_id: str
