"""Interpretation material sent after intake (the 3-working-day mode)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.db import id_of
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from policies.submissions import INTERPRETATION_KINDS
from services.audit import MATERIAL_ADDED, record_act
from services.documents import get_document
from services.errors import RequestInvalid
from services.storage import StagedFile, store_file
from services.timestamps import require_aware


def add_interpretation_material(
    *,
    session: Session,
    submitter: User,
    document_id: int,
    upload: StagedFile,
    files_dir: Path,
    at: datetime,
) -> tuple[InterpretationMaterial, StoredFile]:
    """Receive an interpretation plan or material after intake (the 3-working-day mode)."""
    require_aware(at)
    if upload.kind not in INTERPRETATION_KINDS:
        raise RequestInvalid(f"kind must be one of {', '.join(INTERPRETATION_KINDS)}")
    document = get_document(session=session, document_id=document_id, for_update=True)
    stored = store_file(session=session, files_dir=files_dir, staged=upload, at=at)
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
