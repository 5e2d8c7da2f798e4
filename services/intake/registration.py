"""Registering a submission (报批): a new document as version 1, or a corrected version n+1 of a
returned (退文) one — its files, marking, findings, the deadlines known at intake and its audit
event, and the 退文 when the checks block it. Nothing earlier is overwritten."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from models.db import id_of
from models.deadlines import Deadline
from models.documents import Document
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from policies.attributes import Attribute
from policies.deadlines import Deadline as DeadlineDue
from policies.deadlines import DeadlineKind, publication_deadlines, secrecy_expiry_deadline
from policies.findings import Finding, blocking
from policies.profiles import PolicyProfile, ProfileUnknown, get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.submission_checks import AttachmentKind, Submission, check_submission
from policies.submissions import INTERPRETATION_KINDS
from services.accounts import organ_id_for
from services.audit import SUBMISSION_RECEIVED, SUBMISSION_RETURNED, record_act, record_event
from services.calendar import calendar_for
from services.documents import NamedFile, VersionRecord, get_document
from services.errors import Conflict, Forbidden, RequestInvalid, field_finding
from services.intake.drafts import Draft
from services.review import change_status
from services.storage import StagedFile, record_file, start_placing


@dataclass(slots=True)
class IntakeResult:
    """The recorded submission, returned (退文) when blocking findings exist; `record` holds the
    version with its files, marking and findings as written, to answer without reading back."""

    document: Document
    record: VersionRecord
    findings: list[Finding]
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def document_id(self) -> int:
        """The id of the document this submission recorded."""
        return id_of(self.document)

    @property
    def version(self) -> Version:
        """The version recorded by this submission."""
        return self.record.version

    @property
    def returned(self) -> bool:
        """Whether the submission was returned (退文)."""
        return bool(blocking(self.findings))


def register_submission(
    *,
    session: Session,
    submitter: User,
    draft: Draft,
    uploads: list[StagedFile],
    files_dir: Path,
    default_profile: str,
    at: datetime,
    document_id: int | None = None,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Record the draft as version 1 of a new document, or (with `document_id`) as version n+1
    of a returned one, and check it; blocking findings return it (退文)."""
    main_upload, other_uploads = _main_and_others(uploads)
    organ_id = submitting_organ(session, submitter, draft.organ)
    profile = _profile(draft.policy_profile or default_profile)
    document = None if document_id is None else _returned_document(session, document_id)
    submission = _submission(draft, {u.kind for u in other_uploads})
    findings = check_submission(submission, profile)
    # Read before any row is added, so that the calendar's query flushes nothing half-built.
    due = [] if blocking(findings) else _deadlines_due(session, submission, draft, profile, at)
    fields: dict[str, Any] = {
        "title": draft.title,
        "doc_number": draft.doc_number,
        "organ_id": organ_id,
        "document_type": draft.document_type.value,
        "written_on": draft.written_on,
        "policy_profile": profile.name,
        "is_important_policy": draft.is_important_policy,
        "issued_in_government_name": draft.issued_in_government_name,
    }
    if document is None:
        document = Document(
            **fields,
            status=Status.SUBMITTED,
            stage=Status.SUBMITTED.stage,
            status_changed_at=at,
            created_by=id_of(submitter),
            created_at=at,
        )
    else:
        document.sqlmodel_update(fields)
        document.flow_run_id = None  # the previous version's run ended with the return
    # The files are placed while the rows are written, and in place before this returns.
    placing = [start_placing(files_dir=files_dir, staged=u) for u in uploads]
    main = record_file(session=session, staged=main_upload, at=at)
    others = [
        NamedFile(u.kind, u.original_name, record_file(session=session, staged=u, at=at))
        for u in other_uploads
    ]
    session.add(document)
    session.flush()
    version = Version(
        document_id=id_of(document),
        number=1 if document_id is None else _next_number(session, document),
        submitted_by=id_of(submitter),
        submitted_at=at,
        main_file_id=id_of(main),
        main_file_name=main_upload.original_name,
        idempotency_key=idempotency_key,
    )
    session.add(version)
    session.flush()
    document.current_version_id = version.id
    attachments = _attach(session, document, version, others, at)
    marking = _marking(draft, version)
    recorded = [RecordedFinding.of(finding, id_of(version), at) for finding in findings]
    session.add_all([*([] if marking is None else [marking]), *recorded])
    record = VersionRecord(
        version, NamedFile("main", main_upload.original_name, main), attachments, marking, recorded
    )
    result = IntakeResult(document, record, findings)
    if not result.returned:
        result.deadlines = _record_deadlines(session, document, version, due, at)
    _audit(session, submitter, result, draft, at)
    if result.returned:
        _return(session, result, at)
    elif version.number > 1:
        change_status(
            session=session,
            document_id=result.document_id,
            target=Status.SUBMITTED,
            actor=submitter.login,
            role=Role.DRAFTER,
            channel="api",
            reason=f"version {version.number} resubmitted",
            at=at,
        )
    session.flush()
    for placed in placing:
        placed.result()
    return result


def submitting_organ(session: Session, submitter: User, code: str | None) -> int:
    """The organ a submission is for: a drafter's own (naming another is refused, 403); an admin
    names it (422 without one)."""
    if submitter.role is Role.ADMIN:
        if code is None:
            raise RequestInvalid(
                "organ: required for admins", [field_finding("organ", "a registered organ code")]
            )
        return organ_id_for(session, code)
    if code is not None and organ_id_for(session, code) != submitter.organ_id:
        raise Forbidden("drafters submit for their own organ only")
    return submitter.organ_id


def _submission(draft: Draft, attachment_kinds: set[str]) -> Submission:
    """The draft as the intake checks see it; the engine prints the secrecy mark itself."""
    return Submission(
        attribute=draft.attribute,
        document_type=draft.document_type,
        reason_codes=tuple(draft.reason_codes),
        reason_explanation=draft.reason_explanation,
        is_important_policy=draft.is_important_policy,
        issued_in_government_name=draft.issued_in_government_name,
        secrecy_level=draft.secrecy_level,
        secrecy_period_years=draft.secrecy_period_years,
        declassify_on=draft.declassify_on,
        declassify_condition=draft.declassify_condition,
        secrecy_override_reference=draft.secrecy_override_reference,
        has_secrecy_mark=draft.secrecy_level.is_classified,
        attachments=frozenset(AttachmentKind(k) for k in attachment_kinds),
    )


def _profile(name: str) -> PolicyProfile:
    try:
        return get_profile(name)
    except ProfileUnknown as error:
        raise RequestInvalid(str(error), [field_finding("policy_profile", str(error))]) from None


def _returned_document(session: Session, document_id: int) -> Document:
    document = get_document(session=session, document_id=document_id, for_update=True)
    if document.status is not Status.RETURNED:
        raise Conflict(
            f"document {document_id} is '{document.status}': only a returned (退文) document "
            "takes a new version"
        )
    return document


def _next_number(session: Session, document: Document) -> int:
    latest = session.exec(
        select(func.max(Version.number)).where(col(Version.document_id) == document.id)
    ).one()
    return (latest or 0) + 1


def _main_and_others(uploads: list[StagedFile]) -> tuple[StagedFile, list[StagedFile]]:
    """The main file (exactly one) and the attachments."""
    main = [u for u in uploads if u.kind == "main"]
    if len(main) != 1:
        message = "file: the draft itself is required" if not main else "send one main file"
        raise RequestInvalid(message, [field_finding("file", "one file, the draft itself")])
    return main[0], [u for u in uploads if u.kind != "main"]


def _attach(
    session: Session,
    document: Document,
    version: Version,
    files: list[NamedFile],
    at: datetime,
) -> list[NamedFile]:
    """Attach the stored files to the new version (a file sent twice once), each under the name
    its upload gave it, and receive the interpretation files as the document's material; the
    attachments as recorded, in order."""
    attached: list[NamedFile] = []
    attached_ids: set[int] = set()
    received: set[int] = set()
    if version.number > 1 and any(f.kind in INTERPRETATION_KINDS for f in files):
        received.update(
            session.exec(
                select(InterpretationMaterial.file_id).where(
                    col(InterpretationMaterial.document_id) == document.id
                )
            ).all()
        )
    for sent in files:
        file_id, kind, name = id_of(sent.stored), sent.kind, sent.name
        if file_id not in attached_ids:
            attached_ids.add(file_id)
            attached.append(sent)
            session.add(
                VersionAttachment(
                    version_id=id_of(version), file_id=file_id, kind=kind, file_name=name
                )
            )
        if kind in INTERPRETATION_KINDS and file_id not in received:
            received.add(file_id)
            session.add(
                InterpretationMaterial(
                    document_id=id_of(document),
                    file_id=file_id,
                    kind=kind,
                    file_name=name,
                    received_at=at,
                )
            )
    return attached


def _marking(draft: Draft, version: Version) -> Marking | None:
    # A marking row must be lawful (the table refuses a classified document marked for
    # publication, 实施条例 2024 art. 5), so a 退文 whose attribute is missing or unlawful keeps
    # the proposed values in its audit event instead.
    if draft.attribute is None:
        return None
    if draft.secrecy_level.is_classified and draft.attribute is not Attribute.WITHHELD:
        return None
    return Marking(
        version_id=id_of(version),
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


def _deadlines_due(
    session: Session, submission: Submission, draft: Draft, profile: PolicyProfile, at: datetime
) -> list[DeadlineDue]:
    """The deadlines known at intake: the publication ceiling of a document to be published
    (the local window starts at 印发, later) and the secrecy expiry of a classified one."""
    values = []
    if draft.attribute is not None and draft.attribute.is_published:
        calendar = calendar_for(profile.name, session=session)
        values += [
            d
            for d in publication_deadlines(at, profile, calendar, formed_on=draft.written_on)
            if d.kind is DeadlineKind.PUBLICATION_CEILING
        ]
    expiry = secrecy_expiry_deadline(draft.written_on, submission.classification)
    if draft.secrecy_level.is_classified and expiry is not None:
        values.append(expiry)
    return values


def _record_deadlines(
    session: Session, document: Document, version: Version, values: list[DeadlineDue], at: datetime
) -> list[Deadline]:
    """One row per deadline kind (a kind the document has already moves to this version)."""
    known: dict[str, Deadline] = {}
    if values and version.number > 1:
        rows = session.exec(select(Deadline).where(col(Deadline.document_id) == document.id))
        known = {row.kind: row for row in rows.all()}
    deadlines = []
    for value in values:
        row = known.get(value.kind.value) or Deadline(
            document_id=id_of(document),
            kind=value.kind.value,
            due_at=value.due_at,
            basis=value.source,
            created_at=at,
        )
        row.version_id = version.id
        row.due_at, row.basis, row.provisional = value.due_at, value.source, value.provisional
        row.counted_from, row.working_days = value.counted_from, value.working_days
        session.add(row)
        deadlines.append(row)
    return deadlines


def _audit(
    session: Session, submitter: User, result: IntakeResult, draft: Draft, at: datetime
) -> None:
    record_act(
        session=session,
        person=submitter,
        action=SUBMISSION_RECEIVED,
        document_id=result.document_id,
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


def _return(session: Session, result: IntakeResult, at: datetime) -> None:
    rules = ", ".join(f.rule for f in blocking(result.findings))
    reason = f"退文 (version {result.version.number}): {rules}"
    if result.document.status is not Status.RETURNED:
        change_status(
            session=session,
            document_id=result.document_id,
            target=Status.RETURNED,
            reason=reason,
            at=at,
        )
        return
    record_event(
        session=session,
        action=SUBMISSION_RETURNED,
        document_id=result.document_id,
        version_id=result.version.id,
        reason=reason,
        at=at,
    )
