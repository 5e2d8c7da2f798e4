"""Which submitted versions still need their review flow started, and recording the start.

The API starts the flow after its transaction commits; when Prefect is unreachable the document
simply stays SUBMITTED without a flow run, and the API's sweep of unstarted reviews finds it
here: nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.documents import Document
from models.versions import Version
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
