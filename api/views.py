"""Building response bodies from recorded rows."""

from __future__ import annotations

from api.schemas import (
    AuditEventOut,
    DeadlineOut,
    DocumentDetail,
    DocumentOut,
    FileOut,
    FindingOut,
    MarkingOut,
    MaterialOut,
    ReviewOut,
    VersionOut,
)
from models.audit import AuditEvent
from models.deadlines import Deadline
from models.documents import Document
from models.files import StoredFile
from models.versions import Marking
from policies.statuses import Status
from services.documents import Dossier, VersionRecord


def document_out(document: Document) -> DocumentOut:
    """The document as shown to clients."""
    return DocumentOut.model_validate(document, from_attributes=True)


def file_out(kind: str, stored: StoredFile) -> FileOut:
    """A stored file as shown to clients."""
    assert stored.id is not None
    return FileOut(
        id=stored.id,
        kind=kind,
        original_name=stored.original_name,
        media_type=stored.media_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
    )


def marking_out(marking: Marking | None) -> MarkingOut | None:
    """A version's marking as shown to clients."""
    if marking is None:
        return None
    return MarkingOut(
        attribute=marking.attribute,
        attribute_label=marking.attribute.label,
        marking_text=marking.marking_text,
        reason_codes=list(marking.reason_codes),
        reason_explanation=marking.reason_explanation,
        secrecy_level=marking.secrecy_level,
        secrecy_period_years=marking.secrecy_period_years,
        declassify_on=marking.declassify_on,
        declassify_condition=marking.declassify_condition,
    )


def version_out(record: VersionRecord) -> VersionOut:
    """A version with its files, marking and findings."""
    version = record.version
    assert version.id is not None
    return VersionOut(
        id=version.id,
        number=version.number,
        submitted_at=version.submitted_at,
        submitted_by=version.submitted_by,
        files=[
            file_out("main", record.main_file),
            *(file_out(kind, f) for kind, f in record.attachments),
        ],
        marking=marking_out(record.marking),
        findings=[FindingOut.of(f) for f in record.findings],
    )


def deadline_out(deadline: Deadline) -> DeadlineOut:
    """A deadline as shown to clients."""
    return DeadlineOut(
        kind=deadline.kind,
        due_at=deadline.due_at,
        basis=deadline.basis,
        provisional=deadline.provisional,
        met_at=deadline.met_at,
    )


def review_out(document: Document) -> ReviewOut:
    """Where the review flow stands, from the document's record."""
    if document.flow_run_id is not None:
        return ReviewOut(
            state="started", flow_run_id=document.flow_run_id, detail="the review flow runs"
        )
    if document.status is Status.SUBMITTED:
        return ReviewOut(
            state="pending", detail="the review will start as soon as Prefect accepts the run"
        )
    return ReviewOut(state="not_started", detail=f"no review runs while '{document.status}'")


def event_out(event: AuditEvent) -> AuditEventOut:
    """An audit event as shown to clients."""
    return AuditEventOut.model_validate(event, from_attributes=True)


def document_detail(dossier: Dossier) -> DocumentDetail:
    """Everything about one document."""
    document = dossier.document
    versions = [version_out(r) for r in dossier.versions]
    current = next((v for v in versions if v.id == document.current_version_id), None)
    return DocumentDetail(
        document=document_out(document),
        status=document.status,
        stage=document.stage,
        findings=current.findings if current else [],
        deadlines=[deadline_out(d) for d in dossier.deadlines],
        versions=versions,
        interpretation_materials=[
            MaterialOut(
                id=m.id or 0, kind=m.kind, received_at=m.received_at, file=file_out(m.kind, f)
            )
            for m, f in dossier.materials
        ],
        review=review_out(document),
        history=[event_out(e) for e in dossier.history],
    )
