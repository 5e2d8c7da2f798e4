"""Files sent with a version (interpretation plan or material, redacted version, other), and
interpretation material sent later (the 3-working-day mode)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.db import id_of
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Version, VersionAttachment
from policies.submissions import INTERPRETATION_KINDS
from services.audit import MATERIAL_ADDED, record_act
from services.documents import get_document
from services.errors import RequestInvalid
from services.intake.drafts import Upload
from services.storage import store_file
from services.timestamps import require_aware


def attach_files(
    session: Session,
    document: Document,
    version: Version,
    files: list[tuple[str, StoredFile]],
    at: datetime,
) -> list[tuple[str, StoredFile]]:
    """Attach the stored files to the new version (a file sent twice once) and receive the
    interpretation files as the document's material; the attachments as recorded, in order."""
    attached: list[tuple[str, StoredFile]] = []
    attached_ids: set[int | None] = set()
    received = _material_file_ids(session, document, files)
    for kind, stored in files:
        if stored.id not in attached_ids:
            attached_ids.add(stored.id)
            attached.append((kind, stored))
            session.add(
                VersionAttachment(version_id=id_of(version), file_id=id_of(stored), kind=kind)
            )
        if kind in INTERPRETATION_KINDS and stored.id not in received:
            received.add(stored.id)
            session.add(
                InterpretationMaterial(
                    document_id=id_of(document), file_id=id_of(stored), kind=kind, received_at=at
                )
            )
    return attached


def _material_file_ids(
    session: Session, document: Document, files: list[tuple[str, StoredFile]]
) -> set[int | None]:
    if not any(kind in INTERPRETATION_KINDS for kind, _ in files):
        return set()
    rows = session.exec(
        select(InterpretationMaterial.file_id).where(
            col(InterpretationMaterial.document_id) == document.id
        )
    ).all()
    return set(rows)


def add_interpretation_material(
    *,
    session: Session,
    submitter: User,
    document_id: int,
    upload: Upload,
    files_dir: Path,
    at: datetime,
) -> tuple[InterpretationMaterial, StoredFile]:
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
        return material, stored  # the same file sent again
    material = InterpretationMaterial(
        document_id=document_id, file_id=id_of(stored), kind=upload.kind, received_at=at
    )
    session.add(material)
    record_act(
        session=session,
        person=submitter,
        action=MATERIAL_ADDED,
        document_id=document_id,
        version_id=document.current_version_id,
        after={"kind": upload.kind, "file_id": stored.id, "sha256": stored.sha256},
        at=at,
    )
    session.flush()
    return material, stored
