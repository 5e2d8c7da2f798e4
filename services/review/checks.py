"""The review's automatic steps, one use-case each, called by the workflow's tasks: the marking
re-checked under today's rules, the secrecy pre-screen, and the interpretation stage's advance.

Each function takes ids, is safe to call again (a resumed or restarted flow repeats it), and
changes status only through services.review.status.change_status.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.documents import Document
from models.publications import InterpretationMaterial
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Finding, Severity
from policies.prescreen import Evidence
from policies.profiles import InterpretationMode, get_profile
from policies.statuses import Status
from policies.steps import Step
from policies.submission_checks import (
    AttachmentKind,
    Submission,
    check_submission,
    is_policy_document,
)
from services.documents import get_marking, version_in_status
from services.errors import NotFound
from services.reading.detectors import prescreen
from services.reading.limits import ReadingLimits
from services.reading.store import file_text
from services.review.printed import printed_files, printed_findings
from services.review.status import change_status
from services.review.steps import require_current_version

# The interpretation stage waits for the material itself (domain §10 rule 12), so at the marking
# re-check a missing material routes the document there instead of returning it.
_HANDLED_BY_INTERPRETATION_STAGE = frozenset({"interpretation.material_required"})


def document_type_of(document: Document) -> DocumentType:
    """The document's type, stored as code or as its Chinese label."""
    for kind in DocumentType:
        if document.document_type in (kind.value, kind.label):
            return kind
    return DocumentType.OTHER


def _attachment_kinds(session: Session, version_id: int) -> frozenset[AttachmentKind]:
    rows = session.exec(
        select(VersionAttachment.kind).where(col(VersionAttachment.version_id) == version_id)
    ).all()
    return frozenset(AttachmentKind(k) for k in rows if k in AttachmentKind._value2member_map_)


def submission_of(*, session: Session, document: Document, marking: Marking) -> Submission:
    """The document and marking as the intake checks see them."""
    return Submission(
        attribute=marking.attribute,
        document_type=document_type_of(document),
        reason_codes=tuple(marking.reason_codes),
        reason_explanation=marking.reason_explanation or "",
        is_important_policy=document.is_important_policy,
        issued_in_government_name=document.issued_in_government_name,
        secrecy_level=marking.secrecy_level,
        secrecy_period_years=marking.secrecy_period_years,
        declassify_on=marking.declassify_on,
        declassify_condition=marking.declassify_condition or "",
        secrecy_override_reference=marking.secrecy_override_reference or "",
        has_secrecy_mark=marking.secrecy_level.is_classified,
        marking_text=marking.marking_text,
        attachments=_attachment_kinds(session, marking.version_id),
    )


def _record_findings(
    session: Session, version_id: int, findings: list[Finding], at: datetime
) -> None:
    known = set(
        session.exec(
            select(RecordedFinding.rule, RecordedFinding.message).where(
                col(RecordedFinding.version_id) == version_id
            )
        ).all()
    )
    for f in findings:
        if (f.rule, f.message) not in known:
            session.add(RecordedFinding.of(f, version_id, at))
    session.flush()


def recheck_marking(
    *,
    session: Session,
    document_id: int,
    version_id: int,
    at: datetime,
    files_dir: Path | None = None,
    limits: ReadingLimits | None = None,
) -> Status:
    """Marking stage: re-check the marking under today's rules and, with files_dir, against what
    the files print (rules 3, 9(d)); then return the draft (退文), route a withheld policy
    document to the office (rule 5), or send it to secrecy review."""
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    if document.status is not Status.SUBMITTED:
        return document.status  # already routed by an earlier run of this step
    marking = get_marking(session=session, version_id=version_id)
    profile = get_profile(document.policy_profile)
    findings = check_submission(
        submission_of(session=session, document=document, marking=marking), profile
    )
    version = session.get(Version, version_id)
    if files_dir is not None and version is not None:
        findings += printed_findings(
            session=session,
            version=version,
            marking=marking,
            files_dir=files_dir,
            at=at,
            limits=limits,
        )
    _record_findings(session, version_id, findings, at)
    blocking = [
        f
        for f in findings
        if f.severity is Severity.BLOCKING and f.rule not in _HANDLED_BY_INTERPRETATION_STAGE
    ]
    if blocking:
        target, reason = Status.RETURNED, "; ".join(f.message for f in blocking)
    elif any(f.rule == "routing.office_prereview" for f in findings):
        target, reason = Status.OFFICE_PREREVIEW, "不予公开的政策性文件先经政务公开工作机构审查"
    else:
        target, reason = Status.SECRECY_REVIEW, "先审查、后公开 (保密法实施条例 2024 art. 42)"
    change_status(
        session=session,
        document_id=document_id,
        target=target,
        reason=reason,
        at=at,
    )
    return target


# Terms the office wants flagged; a configurable list (law-neutral, so not in policies/).
DEFAULT_TERMS: tuple[str, ...] = ("涉密", "敏感", "不宜公开")


def files_of_recheck(*, session: Session, document_id: int, version_id: int) -> list[int]:
    """The files `recheck_marking` reads (their printed marks): none once the document has been
    routed or the version is no longer under review."""
    version = version_in_status(
        session=session, document_id=document_id, version_id=version_id, status=Status.SUBMITTED
    )
    return [] if version is None else printed_files(session=session, version=version)


def files_of_version(*, session: Session, version_id: int) -> list[int]:
    """The files the secrecy pre-screen reads: the version's main file and every attachment."""
    version = session.get(Version, version_id)
    if version is None:
        raise NotFound(f"version {version_id} does not exist")
    attachments = session.exec(
        select(VersionAttachment.file_id).where(col(VersionAttachment.version_id) == version_id)
    ).all()
    return [version.main_file_id, *attachments]


def prescreen_version(
    *,
    session: Session,
    version_id: int,
    files_dir: Path,
    terms: tuple[str, ...],
    at: datetime,
    limits: ReadingLimits | None = None,
) -> list[Evidence]:
    """Secrecy stage: read the main file and every attachment (once per stored file, within the
    limits) and pre-screen the text; the evidence and what the reading could not do (limits,
    OCR'd or unread pages) are recorded as findings (once) and the evidence is returned."""
    evidence: list[Evidence] = []
    findings: list[Finding] = []
    for file_id in files_of_version(session=session, version_id=version_id):
        read = file_text(
            session=session, file_id=file_id, files_dir=files_dir, at=at, limits=limits
        )
        name = read.name
        findings.extend(read.findings)
        found = prescreen(read.text, terms=terms)
        evidence.extend(found)
        findings.extend(
            Finding(f.rule, f.severity, f"{name}: {f.message}", f.source)
            for f in (e.to_finding() for e in found)
        )
    _record_findings(session, version_id, findings, at)
    return evidence


def needs_interpretation(*, session: Session, document: Document, attribute: Attribute) -> bool:
    """Whether the document goes through the interpretation stage (domain §6.1, rules 11-12)."""
    if not attribute.is_published:
        return False
    marking = get_marking(session=session, version_id=_current(document))
    profile = get_profile(document.policy_profile)
    return is_policy_document(
        submission_of(session=session, document=document, marking=marking), profile
    )


def has_interpretation_material(*, session: Session, document_id: int, version_id: int) -> bool:
    """Whether the 解读材料 has arrived, with the version or separately."""
    attached = session.exec(
        select(VersionAttachment.id).where(
            col(VersionAttachment.version_id) == version_id,
            col(VersionAttachment.kind) == "interpretation_material",
        )
    ).first()
    received = session.exec(
        select(InterpretationMaterial.id).where(
            col(InterpretationMaterial.document_id) == document_id,
            col(InterpretationMaterial.kind) == "interpretation_material",
        )
    ).first()
    return attached is not None or received is not None


def _current(document: Document) -> int:
    if document.current_version_id is None:
        raise NotFound(f"document {document.id} has no current version")
    return document.current_version_id


def advance_interpretation(
    *, session: Session, document_id: int, version_id: int, at: datetime
) -> Status:
    """Interpretation stage: go on to sign-off unless the profile wants the material with the
    document (TOGETHER) and it has not arrived; in 3 WD mode the deadline is set at publication."""
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    if document.status is not Status.AWAITING_INTERPRETATION:
        return document.status
    profile = get_profile(document.policy_profile)
    together = profile.interpretation_mode is InterpretationMode.TOGETHER
    if together and not has_interpretation_material(
        session=session, document_id=document_id, version_id=version_id
    ):
        return document.status
    target = Step.INTERPRETATION.rule.approved_to
    assert target is not None
    change_status(
        session=session,
        document_id=document_id,
        target=target,
        reason=f"interpretation: {profile.interpretation_mode} ({profile.name})",
        at=at,
    )
    return target
