"""Recording one submitted version: its files, marking and findings, the audit event, and the
退文 when the checks block it. New rows are written with Core statements (services/intake/rows.py:
a new document with its files, its version and their rows, or a new version's rows with the
current-version update — one statement on PostgreSQL), not through the session's flush: on the
201 path of a new document nothing is left for the commit to flush."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from models.audit import AuditEvent
from models.db import new_row
from models.documents import Document
from models.files import StoredFile
from models.users import User
from models.versions import Marking, RecordedFinding, Version
from policies.attributes import Attribute
from policies.findings import Finding, blocking
from policies.profiles import PolicyProfile
from policies.roles import Role
from policies.statuses import Status
from policies.submission_checks import check_submission
from services.audit import record_event
from services.documents import VersionRecord
from services.errors import RequestInvalid
from services.intake.attachments import attach_files
from services.intake.deadlines import store_intake_deadlines
from services.intake.drafts import (
    SUBMISSION_RECEIVED,
    SUBMISSION_RETURNED,
    Draft,
    IntakeResult,
    Upload,
    submission_of,
)
from services.intake.rows import (
    file_id_of,
    insert_new_document,
    insert_row,
    point_to_version_with_rows,
    row_id,
)
from services.review.status import change_status
from services.storage import file_to_store, store_file
from services.timestamps import require_aware

StoredUploads = tuple[StoredFile, list[tuple[str, StoredFile]]]


def store_uploads(
    *,
    session: Session,
    uploads: list[Upload],
    files_dir: Path,
    at: datetime,
    new_document: bool = False,
) -> StoredUploads:
    """Keep the main file and the attachments (content-addressed); exactly one main file. For a
    new document the files' rows are left to `insert_new_document`, which writes them with it."""
    main = [u for u in uploads if u.kind == "main"]
    if len(main) != 1:
        raise RequestInvalid("exactly one main file is required")
    keep = file_to_store if new_document else store_file

    def kept(upload: Upload) -> StoredFile:
        return keep(session=session, files_dir=files_dir, staged=upload.staged, at=at)

    return kept(main[0]), [(u.kind, kept(u)) for u in uploads if u.kind != "main"]


def record_version(
    *,
    session: Session,
    document: Document,
    submitter: User,
    draft: Draft,
    profile: PolicyProfile,
    files: StoredUploads,
    number: int,
    new_document: bool,
    at: datetime,
    idempotency_key: str | None,
) -> IntakeResult:
    """Add version `number` with its files, check it, and record the findings and the audit event;
    blocking findings return the document (退文), else its deadlines are stored. A new document
    (`new_document`) is written here, with its version 1."""
    main_file, others = files
    version = new_row(
        Version,
        document_id=document.id,  # a new document and its version get their ids as written
        number=number,
        submitted_by=row_id(submitter),
        submitted_at=at,
        main_file_id=file_id_of(main_file),
        idempotency_key=idempotency_key,
    )
    if not new_document:
        insert_row(session, version)  # its id: the rows below point to it
    attachments, attachment_rows = attach_files(
        session, document, version, others, new_document, at
    )
    findings = check_submission(submission_of(draft, {kind for kind, _ in others}), profile)
    marking = _marking(draft, version.id)
    recorded = [_recorded(finding, version.id, at) for finding in findings]
    record = VersionRecord(version, main_file, attachments, marking, recorded)
    result = IntakeResult(document, record, findings)
    if not result.returned:
        result.deadlines = store_intake_deadlines(
            session, document, version, draft, profile, new_document, at
        )
    # The new rows that nothing changes later in this transaction: Core INSERTs, no flush. For
    # a new document, written with it and its version (their ids set on the rows as written).
    rows = [
        *attachment_rows,
        *([] if marking is None else [marking]),
        *recorded,
        *(d for d in result.deadlines if d.id is None),  # new kinds; known ones are updated
        _submission_event(submitter, result, draft, at),
    ]
    if new_document:
        stored = [main_file, *(file for _, file in others)]
        insert_new_document(session, document, version, rows, stored)
    else:
        point_to_version_with_rows(session, document, version, rows)
    if result.returned:
        _return(session, result, at)
    elif number > 1:
        change_status(
            session=session,
            document_id=row_id(document),
            target=Status.SUBMITTED,
            actor=submitter.name,
            role=Role.DRAFTER,
            channel="api",
            reason=f"version {number} resubmitted",
            at=at,
        )
    return result


def _marking(draft: Draft, version_id: int | None) -> Marking | None:
    # A marking row must be lawful (the table refuses a classified document marked for
    # publication, 实施条例 2024 art. 5), so a 退文 whose attribute is missing or unlawful keeps
    # the proposed values in its audit event instead.
    if draft.attribute is None:
        return None
    if draft.secrecy_level.is_classified and draft.attribute is not Attribute.WITHHELD:
        return None
    return new_row(
        Marking,
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


def _recorded(finding: Finding, version_id: int | None, at: datetime) -> RecordedFinding:
    return new_row(
        RecordedFinding,
        version_id=version_id,
        rule=finding.rule,
        severity=finding.severity,
        message=finding.message,
        source=finding.source,
        field=finding.field,
        recorded_at=at,
    )


def _submission_event(
    submitter: User, result: IntakeResult, draft: Draft, at: datetime
) -> AuditEvent:
    # The event services.audit.record_event would append, written with the version's other rows.
    return new_row(
        AuditEvent,
        occurred_at=require_aware(at),
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
    )


def _return(session: Session, result: IntakeResult, at: datetime) -> None:
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
        document_id=row_id(result.document),
        target=Status.RETURNED,
        actor="system",
        role=Role.SYSTEM,
        channel="system",
        reason=reason,
        at=at,
    )
