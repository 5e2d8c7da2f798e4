"""Registering a submission (报批): a new document as version 1, or a corrected version n+1 of a
returned (退文) one — its files, marking, findings, deadlines and audit event, and the 退文 when
the checks block it. Nothing earlier is overwritten."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, func, select

from models.db import id_of
from models.documents import Document
from models.files import StoredFile
from models.users import User
from models.versions import Marking, RecordedFinding, Version
from policies.attributes import Attribute
from policies.findings import blocking
from policies.profiles import PolicyProfile, ProfileUnknown, get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.submission_checks import check_submission
from services.accounts import organ_id_for
from services.audit import SUBMISSION_RECEIVED, SUBMISSION_RETURNED, record_act, record_event
from services.documents import VersionRecord, get_document
from services.errors import Conflict, Forbidden, RequestInvalid, field_finding
from services.intake.attachments import attach_files
from services.intake.deadlines import store_intake_deadlines
from services.intake.drafts import Draft, IntakeResult, Upload
from services.review import change_status
from services.storage import store_file
from services.timestamps import require_aware


def register_submission(
    *,
    session: Session,
    submitter: User,
    draft: Draft,
    uploads: list[Upload],
    files_dir: Path,
    default_profile: str,
    at: datetime,
    document_id: int | None = None,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Record the draft as version 1 of a new document, or (with `document_id`) as version n+1
    of a returned one, and check it; blocking findings return it (退文)."""
    require_aware(at)
    main_upload, other_uploads = _main_and_others(uploads)
    organ_id = submitting_organ(session, submitter, draft.organ)
    profile = _profile(draft.policy_profile or default_profile)
    document = None if document_id is None else _returned_document(session, document_id)
    findings = check_submission(draft.as_submission({u.kind for u in other_uploads}), profile)
    fields = draft.document_fields(organ_id=organ_id, policy_profile=profile.name)
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
    session.add(document)
    session.flush()  # meanwhile the uploads' fsyncs, begun as they were staged, run on
    main = _kept(session, main_upload, files_dir, at)
    others = [(u.kind, _kept(session, u, files_dir, at)) for u in other_uploads]
    version = Version(
        document_id=id_of(document),
        number=1 if document_id is None else _next_number(session, document),
        submitted_by=id_of(submitter),
        submitted_at=at,
        main_file_id=id_of(main),
        idempotency_key=idempotency_key,
    )
    session.add(version)
    session.flush()
    document.current_version_id = version.id
    attachments = attach_files(session, document, version, others, at)
    marking = _marking(draft, version)
    recorded = [RecordedFinding.of(finding, id_of(version), at) for finding in findings]
    session.add_all([*([] if marking is None else [marking]), *recorded])
    result = IntakeResult(
        document, VersionRecord(version, main, attachments, marking, recorded), findings
    )
    if not result.returned:
        result.deadlines = store_intake_deadlines(session, document, version, draft, profile, at)
    _audit(session, submitter, result, draft, at)
    if result.returned:
        _return(session, result, at)
    elif version.number > 1:
        change_status(
            session=session,
            document_id=result.document_id,
            target=Status.SUBMITTED,
            actor=submitter.name,
            role=Role.DRAFTER,
            channel="api",
            reason=f"version {version.number} resubmitted",
            at=at,
        )
    session.flush()
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


def _main_and_others(uploads: list[Upload]) -> tuple[Upload, list[Upload]]:
    """The main file (exactly one) and the attachments."""
    main = [u for u in uploads if u.kind == "main"]
    if len(main) != 1:
        message = "file: the draft itself is required" if not main else "send one main file"
        raise RequestInvalid(message, [field_finding("file", "one file, the draft itself")])
    return main[0], [u for u in uploads if u.kind != "main"]


def _kept(session: Session, upload: Upload, files_dir: Path, at: datetime) -> StoredFile:
    return store_file(session=session, files_dir=files_dir, staged=upload.staged, at=at)


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
