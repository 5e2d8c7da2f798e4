"""Which submitted versions still need their review flow started, and recording the start.

The API starts the flow after its transaction commits; when Prefect is unreachable the document
simply stays SUBMITTED without a flow run, and the API's sweep of unstarted reviews finds it
here: nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, exists, select

from models.documents import Document
from models.publications import InterpretationMaterial
from models.versions import Version, VersionAttachment
from policies.statuses import Status
from services.audit import record_event
from services.documents import get_document
from services.timestamps import require_aware

REVIEW_STARTED = "review.started"


@dataclass(frozen=True, slots=True)
class ReviewToStart:
    """A version whose review flow must be started."""

    document_id: int
    version_id: int
    version_number: int
    restart: int = 0  # a restart of a stranded review (services/office/stranded.py): 1, 2, …


def versions_awaiting_review_start(*, session: Session, limit: int = 100) -> list[ReviewToStart]:
    """Submitted documents whose current version has no flow run yet, oldest first."""
    rows = session.exec(
        select(Document.id, Version.id, Version.number)
        .join(Version, col(Version.id) == col(Document.current_version_id))
        .where(col(Document.status) == Status.SUBMITTED, col(Document.flow_run_id).is_(None))
        .order_by(col(Document.status_changed_at), col(Document.id))
        .limit(limit)
    ).all()
    return [ReviewToStart(d, v, n) for d, v, n in rows if d is not None and v is not None]


def record_review_started(
    *, session: Session, document_id: int, version_id: int, flow_run_id: str, at: datetime
) -> bool:
    """Remember the flow run reviewing this version; False when the version is no longer current."""
    require_aware(at)
    document = get_document(session=session, document_id=document_id, for_update=True)
    if document.current_version_id != version_id:
        return False
    if document.flow_run_id == flow_run_id:
        return True
    document.flow_run_id = flow_run_id
    session.add(document)
    record_event(
        session=session,
        action=REVIEW_STARTED,
        document_id=document_id,
        version_id=version_id,
        after={"flow_run_id": flow_run_id},
        at=at,
    )
    return True


def materials_awaiting_review_start(*, session: Session, limit: int = 100) -> list[int]:
    """Material sent after intake (attached to no version), not yet decided, whose secrecy-review
    run has not started, oldest first (services/review/materials.py `is_pending`)."""
    attached = (
        select(VersionAttachment.file_id)
        .join(Version, col(Version.id) == col(VersionAttachment.version_id))
        .where(
            col(Version.document_id) == col(InterpretationMaterial.document_id),
            col(VersionAttachment.file_id) == col(InterpretationMaterial.file_id),
        )
    )
    ids = session.exec(
        select(InterpretationMaterial.id)
        .where(
            col(InterpretationMaterial.flow_run_id).is_(None),
            col(InterpretationMaterial.review_decision_id).is_(None),
            col(InterpretationMaterial.cleared_at).is_(None),
            ~exists(attached),
        )
        .order_by(col(InterpretationMaterial.received_at), col(InterpretationMaterial.id))
        .limit(limit)
    ).all()
    return [i for i in ids if i is not None]


def record_material_review_started(*, session: Session, material_id: int, run: str) -> None:
    """Remember the run reviewing the material (the first recorded stays)."""
    material = session.get(InterpretationMaterial, material_id, with_for_update=True)
    if material is not None and material.flow_run_id is None:
        material.flow_run_id = run
        session.add(material)
