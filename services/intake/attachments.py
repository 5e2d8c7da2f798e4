"""Files sent with a version (interpretation plan or material, redacted version, other), and
interpretation material sent later (the 3-working-day mode)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.db import new_row
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Version, VersionAttachment
from services.audit import record_event
from services.documents import get_document
from services.errors import RequestInvalid
from services.intake.drafts import MATERIAL_ADDED, Upload
from services.intake.rows import FileRef, file_id_of, row_id
from services.storage import store_file
from services.timestamps import require_aware

INTERPRETATION_KINDS = ("interpretation_plan", "interpretation_material")


def attach_files(
    session: Session,
    document: Document,
    version: Version,
    files: list[tuple[str, StoredFile]],
    new_document: bool,
    at: datetime,
) -> tuple[list[tuple[str, StoredFile]], list[VersionAttachment | InterpretationMaterial]]:
    """Attach the stored files to the version (a file sent twice once) and receive interpretation
    files as the document's material: the attachments as recorded, in order, and the new rows
    for the caller to write (a new document's and version's ids are set on them as written)."""
    attached: list[tuple[str, StoredFile]] = []
    attached_ids: set[int | FileRef] = set()
    rows: list[VersionAttachment | InterpretationMaterial] = []
    material_ids: set[int | FileRef] = set()
    if not new_document:
        material_ids.update(_material_file_ids(session, document, files))
    for kind, stored in files:
        file_id = file_id_of(stored)  # a new document's files are written with it (a FileRef)
        if file_id not in attached_ids:  # a new version has no other attachments yet
            attached_ids.add(file_id)
            attached.append((kind, stored))
            rows.append(
                new_row(VersionAttachment, version_id=version.id, file_id=file_id, kind=kind)
            )
        if kind in INTERPRETATION_KINDS and file_id not in material_ids:
            material_ids.add(file_id)
            rows.append(
                new_row(
                    InterpretationMaterial,
                    document_id=document.id,
                    file_id=file_id,
                    kind=kind,
                    received_at=at,
                )
            )
    return attached, rows


def _material_file_ids(
    session: Session, document: Document, files: list[tuple[str, StoredFile]]
) -> set[int]:
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
) -> InterpretationMaterial:
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
        return material  # the same file sent again
    material = InterpretationMaterial(
        document_id=document_id, file_id=row_id(stored), kind=upload.kind, received_at=at
    )
    session.add(material)
    session.flush()
    record_event(
        session=session,
        actor=submitter.name,
        role=submitter.role,
        channel="api",
        action=MATERIAL_ADDED,
        document_id=document_id,
        version_id=document.current_version_id,
        after={"kind": upload.kind, "file_id": stored.id, "sha256": stored.sha256},
        at=at,
    )
    return material
