"""Intake (收文): register a submitted draft or a corrected version, run the intake checks, and
record everything — also a 退文, so the office sees its history (domain §10 rules 1, 4, 9, 11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from models.deadlines import Deadline
from models.documents import Document
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from policies.attributes import Attribute
from policies.calendar import WorkingDayCalendar
from policies.deadlines import DeadlineKind, publication_deadlines, secrecy_expiry_deadline
from policies.document_types import DocumentType
from policies.findings import Finding, blocking
from policies.profiles import PolicyProfile, ProfileUnknown, get_profile
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.submission_checks import AttachmentKind, Submission, check_submission
from services.audit import record_event
from services.clock import require_aware
from services.documents import get_document
from services.errors import Conflict, RequestInvalid
from services.status import change_status
from services.storage import StagedFile, store_file

SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_RETURNED = "submission.returned"  # 退文
MATERIAL_ADDED = "interpretation.material_added"
INTERPRETATION_KINDS = ("interpretation_plan", "interpretation_material")
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


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file and what it is: "main" or an attachment kind."""

    kind: str
    staged: StagedFile


@dataclass(slots=True)
class IntakeResult:
    """The recorded submission: returned (退文) when blocking findings exist."""

    document: Document
    version: Version
    findings: list[Finding]
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def returned(self) -> bool:
        """Whether the submission was returned (退文)."""
        return bool(blocking(self.findings))


@lru_cache(maxsize=8)
def _calendar(count_makeup_days: bool) -> WorkingDayCalendar:
    return WorkingDayCalendar.from_package(count_makeup_days=count_makeup_days)


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


def register_submission(
    *,
    session: Session,
    submitter: User,
    draft: Draft,
    uploads: list[Upload],
    files_dir: Path,
    at: datetime,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Record a new draft as version 1 and check it; blocking findings return it (退文)."""
    require_aware(at)
    profile = profile_named(draft.policy_profile)
    document = Document(
        **_document_fields(draft),
        status=Status.SUBMITTED,
        stage=Status.SUBMITTED.stage,
        status_changed_at=at,
        created_by=_id(submitter),
        created_at=at,
    )
    session.add(document)
    session.flush()
    return _record_version(
        session, document, submitter, draft, profile, uploads, files_dir, at, idempotency_key, 1
    )


def resubmit(
    *,
    session: Session,
    submitter: User,
    document_id: int,
    draft: Draft,
    uploads: list[Upload],
    files_dir: Path,
    at: datetime,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Record a corrected version n+1 of a returned document; nothing earlier is overwritten."""
    require_aware(at)
    document = get_document(session=session, document_id=document_id, for_update=True)
    if document.status is not Status.RETURNED:
        raise Conflict(
            f"document {document_id} is '{document.status}': only a returned (退文) document "
            "takes a new version"
        )
    profile = profile_named(draft.policy_profile)
    for name, value in _document_fields(draft).items():
        setattr(document, name, value)
    document.flow_run_id = None  # the previous version's run ended with the return
    session.add(document)
    latest = session.exec(
        select(func.max(Version.number)).where(col(Version.document_id) == document_id)
    ).one()
    return _record_version(
        session,
        document,
        submitter,
        draft,
        profile,
        uploads,
        files_dir,
        at,
        idempotency_key,
        (latest or 0) + 1,
    )


def add_interpretation_material(
    *,
    session: Session,
    submitter: User,
    document_id: int,
    upload: Upload,
    files_dir: Path,
    at: datetime,
) -> InterpretationMaterial:
    """Receive an interpretation plan or material after intake (the 3-working-day mode)."""
    require_aware(at)
    if upload.kind not in INTERPRETATION_KINDS:
        raise RequestInvalid(f"kind must be one of {', '.join(INTERPRETATION_KINDS)}")
    document = get_document(session=session, document_id=document_id, for_update=True)
    stored = store_file(session=session, files_dir=files_dir, staged=upload.staged, at=at)
    material = session.exec(
        select(InterpretationMaterial).where(
            col(InterpretationMaterial.document_id) == document_id,
            col(InterpretationMaterial.file_id) == stored.id,
        )
    ).first()
    if material is not None:
        return material  # the same file sent again
    material = InterpretationMaterial(
        document_id=document_id, file_id=_id(stored), kind=upload.kind, received_at=at
    )
    session.add(material)
    session.flush()
    record_event(
        session=session,
        actor=submitter.name,
        role=submitter.role,
        channel="api",
        action=MATERIAL_ADDED,
        document_id=document_id,
        version_id=document.current_version_id,
        after={"kind": upload.kind, "file_id": stored.id, "sha256": stored.sha256},
        at=at,
    )
    return material


def _document_fields(draft: Draft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "doc_number": draft.doc_number,
        "organ_id": draft.organ_id,
        "document_type": draft.document_type.value,
        "written_on": draft.written_on,
        "policy_profile": draft.policy_profile,
        "is_important_policy": draft.is_important_policy,
        "issued_in_government_name": draft.issued_in_government_name,
    }


def _record_version(
    session: Session,
    document: Document,
    submitter: User,
    draft: Draft,
    profile: PolicyProfile,
    uploads: list[Upload],
    files_dir: Path,
    at: datetime,
    idempotency_key: str | None,
    number: int,
) -> IntakeResult:
    main = [u for u in uploads if u.kind == "main"]
    if len(main) != 1:
        raise RequestInvalid("exactly one main file is required")
    main_file = store_file(session=session, files_dir=files_dir, staged=main[0].staged, at=at)
    version = Version(
        document_id=_id(document),
        number=number,
        submitted_by=_id(submitter),
        submitted_at=at,
        main_file_id=_id(main_file),
        idempotency_key=idempotency_key,
    )
    session.add(version)
    session.flush()
    document.current_version_id = version.id
    session.add(document)
    kinds = _store_attachments(session, document, version, uploads, files_dir, at)
    findings = check_submission(submission_of(draft, kinds), profile)
    marking = _marking(draft, _id(version))
    if marking is not None:
        session.add(marking)
    for finding in findings:
        session.add(_recorded(finding, _id(version), at))
    session.flush()
    result = IntakeResult(document, version, findings)
    _audit_submission(session, submitter, result, draft, at)
    if result.returned:
        _return(session, submitter, result, at)
    else:
        if number > 1:
            change_status(
                session=session,
                document_id=_id(document),
                target=Status.SUBMITTED,
                actor=submitter.name,
                role=Role.DRAFTER,
                channel="api",
                reason=f"version {number} resubmitted",
                at=at,
            )
        result.deadlines = _store_deadlines(session, document, version, draft, profile, at)
    return result


def _store_attachments(
    session: Session,
    document: Document,
    version: Version,
    uploads: list[Upload],
    files_dir: Path,
    at: datetime,
) -> set[str]:
    kinds: set[str] = set()
    for upload in uploads:
        if upload.kind == "main":
            continue
        stored = store_file(session=session, files_dir=files_dir, staged=upload.staged, at=at)
        duplicate = session.exec(
            select(VersionAttachment).where(
                col(VersionAttachment.version_id) == version.id,
                col(VersionAttachment.file_id) == stored.id,
            )
        ).first()
        if duplicate is None:
            session.add(
                VersionAttachment(version_id=_id(version), file_id=_id(stored), kind=upload.kind)
            )
        if upload.kind in INTERPRETATION_KINDS and not _has_material(session, document, stored.id):
            session.add(
                InterpretationMaterial(
                    document_id=_id(document), file_id=_id(stored), kind=upload.kind, received_at=at
                )
            )
        session.flush()
        kinds.add(upload.kind)
    return kinds


def _has_material(session: Session, document: Document, file_id: int | None) -> bool:
    row = session.exec(
        select(InterpretationMaterial.id).where(
            col(InterpretationMaterial.document_id) == document.id,
            col(InterpretationMaterial.file_id) == file_id,
        )
    ).first()
    return row is not None


def _marking(draft: Draft, version_id: int) -> Marking | None:
    # A marking row must be lawful (the table refuses a classified document marked for
    # publication, 实施条例 2024 art. 5), so a 退文 whose attribute is missing or unlawful keeps
    # the proposed values in its audit event instead.
    if draft.attribute is None:
        return None
    if draft.secrecy_level.is_classified and draft.attribute is not Attribute.WITHHELD:
        return None
    return Marking(
        version_id=version_id,
        attribute=draft.attribute,
        secrecy_level=draft.secrecy_level,
        marking_text=draft.attribute.marking,
        reason_codes=list(draft.reason_codes),
        reason_explanation=draft.reason_explanation or None,
        secrecy_period_years=draft.secrecy_period_years,
        declassify_on=draft.declassify_on,
        declassify_condition=draft.declassify_condition or None,
        secrecy_override_reference=draft.secrecy_override_reference or None,
    )


def _recorded(finding: Finding, version_id: int, at: datetime) -> RecordedFinding:
    return RecordedFinding(
        version_id=version_id,
        rule=finding.rule,
        severity=finding.severity,
        message=finding.message,
        source=finding.source,
        field=finding.field,
        recorded_at=at,
    )


def _audit_submission(
    session: Session, submitter: User, result: IntakeResult, draft: Draft, at: datetime
) -> None:
    record_event(
        session=session,
        actor=submitter.name,
        role=submitter.role,
        channel="api",
        action=SUBMISSION_RECEIVED,
        document_id=result.document.id,
        version_id=result.version.id,
        after={
            "version": result.version.number,
            "attribute": draft.attribute.value if draft.attribute else None,
            "reason_codes": list(draft.reason_codes),
            "secrecy_level": draft.secrecy_level.value,
            "document_type": draft.document_type.value,
            "is_important_policy": draft.is_important_policy,
        },
        at=at,
    )


def _return(session: Session, submitter: User, result: IntakeResult, at: datetime) -> None:
    rules = ", ".join(f.rule for f in blocking(result.findings))
    reason = f"退文 (version {result.version.number}): {rules}"
    if result.document.status is Status.RETURNED:
        record_event(
            session=session,
            actor="system",
            role=Role.SYSTEM,
            channel="system",
            action=SUBMISSION_RETURNED,
            document_id=result.document.id,
            version_id=result.version.id,
            reason=reason,
            at=at,
        )
        return
    change_status(
        session=session,
        document_id=_id(result.document),
        target=Status.RETURNED,
        actor="system",
        role=Role.SYSTEM,
        channel="system",
        reason=reason,
        at=at,
    )


def _store_deadlines(
    session: Session,
    document: Document,
    version: Version,
    draft: Draft,
    profile: PolicyProfile,
    at: datetime,
) -> list[Deadline]:
    values = []
    if draft.attribute is not None and draft.attribute.is_published:
        calendar = _calendar(profile.makeup_days_count)
        values += [
            d
            for d in publication_deadlines(at, profile, calendar, formed_on=draft.written_on)
            if d.kind is DeadlineKind.PUBLICATION_CEILING  # the local window starts at 印发
        ]
    expiry = secrecy_expiry_deadline(draft.written_on, submission_of(draft, set()).classification)
    if draft.secrecy_level.is_classified and expiry is not None:
        values.append(expiry)
    rows = []
    for value in values:
        row = session.exec(
            select(Deadline).where(
                col(Deadline.document_id) == document.id, col(Deadline.kind) == value.kind.value
            )
        ).first() or Deadline(
            document_id=_id(document),
            kind=value.kind.value,
            due_at=value.due_at,
            basis=value.source,
            created_at=at,
        )
        row.version_id = version.id
        row.due_at, row.basis, row.provisional = value.due_at, value.source, value.provisional
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _id(row: Any) -> int:
    assert isinstance(row.id, int), f"{row!r} has no id yet"
    return row.id
