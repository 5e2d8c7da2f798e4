"""Resubmission: a corrected version n+1 of a returned (退文) document; nothing is overwritten."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, func, select

from models.users import User
from models.versions import Version
from policies.statuses import Status
from services.documents import get_document
from services.errors import Conflict
from services.intake.drafts import Draft, IntakeResult, Upload, profile_named
from services.intake.versions import record_version, store_uploads
from services.timestamps import require_aware


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
    files = store_uploads(session=session, uploads=uploads, files_dir=files_dir, at=at)
    for name, value in draft.document_fields().items():
        setattr(document, name, value)
    document.flow_run_id = None  # the previous version's run ended with the return
    session.add(document)
    latest = session.exec(
        select(func.max(Version.number)).where(col(Version.document_id) == document_id)
    ).one()
    return record_version(
        session=session,
        document=document,
        submitter=submitter,
        draft=draft,
        profile=profile,
        files=files,
        number=(latest or 0) + 1,
        new_document=False,
        at=at,
        idempotency_key=idempotency_key,
    )
