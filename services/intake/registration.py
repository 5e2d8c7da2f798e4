"""Registering a new submission (报批): the document and its version 1."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from models.db import new_row
from models.documents import Document
from models.users import User
from policies.statuses import Status
from services.intake.drafts import Draft, IntakeResult, Upload, profile_named
from services.intake.rows import row_id
from services.intake.versions import record_version, store_uploads
from services.timestamps import require_aware


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
    files = store_uploads(
        session=session, uploads=uploads, files_dir=files_dir, at=at, new_document=True
    )
    document = new_row(
        Document,
        **draft.document_fields(),
        status=Status.SUBMITTED,
        stage=Status.SUBMITTED.stage,
        status_changed_at=at,
        created_by=row_id(submitter),
        created_at=at,
    )
    return record_version(
        session=session,
        document=document,
        submitter=submitter,
        draft=draft,
        profile=profile,
        files=files,
        number=1,
        new_document=True,
        at=at,
        idempotency_key=idempotency_key,
    )
