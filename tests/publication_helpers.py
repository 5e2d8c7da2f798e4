"""Published documents built through the services the review workflow uses (publish_version)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.settings import Settings
from models.db import session_scope
from models.documents import Document
from models.files import StoredFile
from models.publications import Publication
from models.versions import Version, VersionAttachment
from policies.statuses import Status
from services.publication.publishing import JsonFileSink, publish_version
from services.review.checks import DEFAULT_TERMS, prescreen_version
from tests.factories import (
    T0,
    clear_for_publication,
    id_of,
    make_document,
    make_organ,
    make_user,
)


def store_bytes(
    session: Session, settings: Settings, data: bytes, name: str, media_type: str = "text/plain"
) -> StoredFile:
    """A stored file with its bytes on disk under files_dir (content-addressed)."""
    sha = hashlib.sha256(data).hexdigest()
    existing = session.exec(select(StoredFile).where(col(StoredFile.sha256) == sha)).first()
    if existing is not None:
        return existing
    path = settings.files_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = StoredFile(
        sha256=sha,
        size_bytes=len(data),
        media_type=media_type,
        original_name=name,
        storage_path=f"{sha[:2]}/{sha}",
        created_at=T0,
    )
    session.add(row)
    session.flush()
    return row


def signed_off_document(
    session: Session,
    settings: Settings,
    *,
    attribute: str = "proactive",
    text: str = "关于做好春耕工作的通知。各乡镇人民政府：现将有关事项通知如下。",
    redacted_text: str | None = None,
    interpretation_text: str | None = None,
    organ_name: str | None = None,
    status: Status = Status.AWAITING_SIGNOFF,
    main_file: tuple[bytes, str, str] | None = None,
    **fields: Any,
) -> Document:
    """A document waiting for publication, with real files (main, redacted, interpretation);
    `main_file` (bytes, name, media type) replaces the main text file."""
    organ = make_organ(session, **({"name": organ_name} if organ_name else {}))
    drafter = make_user(session, organ=organ)
    fields.setdefault("document_type", "notice")
    document = make_document(
        session, drafter=drafter, marking={"attribute": attribute}, status=status, **fields
    )
    version = session.get(Version, document.current_version_id)
    assert version is not None
    data, name, media_type = main_file or (text.encode(), "正文.txt", "text/plain")
    version.main_file_id = id_of(store_bytes(session, settings, data, name, media_type))
    version.main_file_name = name
    session.add(version)
    attachments = {
        "redacted_version": redacted_text,
        "interpretation_material": interpretation_text,
    }
    for kind, content in attachments.items():
        if content is not None:
            stored = store_bytes(session, settings, content.encode(), f"{kind}.txt")
            session.add(
                VersionAttachment(
                    version_id=id_of(version),
                    file_id=id_of(stored),
                    kind=kind,
                    file_name=f"{kind}.txt",
                )
            )
    session.flush()
    clear_for_publication(session, document)
    return document


def publish(
    engine: Engine,
    settings: Settings,
    *,
    at: datetime = T0 + timedelta(hours=1),
    read: bool = True,
    **fields: Any,
) -> Publication:
    """Build a signed-off document and publish it through publish_version (the portal sink);
    `read=False`: without its files, so no reading of the published file is kept."""
    with session_scope(engine) as session:
        document = signed_off_document(session, settings, **fields)
        publication = publish_version(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            publisher=JsonFileSink(settings.data_dir / "portal"),
            at=at,
            files_dir=settings.files_dir if read else None,
        )
    return publication


def publish_reviewed(engine: Engine, settings: Settings, **fields: Any) -> Publication:
    """A document whose secrecy stage read every file (the pre-screen keeps each reading), then
    published through publish_version, which checks the printed marking on the kept text."""
    with session_scope(engine) as session:
        document = signed_off_document(session, settings, **fields)
        version_id = document.current_version_id or 0
        prescreen_version(
            session=session,
            version_id=version_id,
            files_dir=settings.files_dir,
            terms=DEFAULT_TERMS,
            at=T0,
        )
        return publish_version(
            session=session,
            document_id=id_of(document),
            version_id=version_id,
            publisher=JsonFileSink(settings.data_dir / "portal"),
            at=T0 + timedelta(hours=1),
            files_dir=settings.files_dir,
        )


MISTAKE = {  # 撤回 of a publication made by mistake (policies/withdrawal.py WD-MISTAKE)
    "reason_code": "WD-MISTAKE",
    "new_attribute": "withheld",
    "justification": "误将内部事务信息公开，经审查撤回",
}


def withdraw(client: Any, publication: Publication, headers: dict[str, str]) -> None:
    """Withdraw a publication over HTTP as the office does (POST …/withdrawal)."""
    answer = client.post(
        f"/documents/{publication.document_id}/withdrawal", json=MISTAKE, headers=headers
    )
    assert answer.status_code == 201, answer.text


def unpublished(engine: Engine, settings: Settings, **fields: Any) -> Document:
    """A document that is not published (by default filed 不予公开)."""
    fields.setdefault("attribute", "withheld")
    fields.setdefault("status", Status.FILED)
    fields.setdefault("text", f"{fields.get('title', '未公开文件')}：不应出现在门户上的正文")
    with session_scope(engine) as session:
        document = signed_off_document(session, settings, **fields)
    return document


WRITTEN = date(2025, 3, 1)
