"""Publication (网上公开) of a signed-off version through a publisher, once per version.

The publisher interface lets the portal issue replace the default local sink. The record carries
the metadata of 条例 art. 12 ¶3 and the validity (有效性, seed 000; domain §10 rule 14).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.organs import Organ
from models.publications import Publication
from models.versions import Version, VersionAttachment
from policies.attributes import Attribute
from policies.deadlines import interpretation_deadline
from policies.profiles import InterpretationMode, get_profile
from policies.roles import Role
from policies.statuses import Status
from services.documents import get_marking
from services.errors import DomainError, NotFound
from services.review import (
    SYSTEM,
    calendar_for,
    has_interpretation_material,
    needs_interpretation,
    require_current_version,
    store_deadline,
)
from services.status import change_status


class PublicationRefused(DomainError):
    """The version cannot be published (attribute, missing redacted version, wrong status)."""


@dataclass(frozen=True)
class PublicationPayload:
    """What is sent to the portal: 索引号, 名称, 生成日期, 发布机构, 属性 and 有效性."""

    index_number: str
    title: str
    doc_number: str | None
    written_on: str
    organ: str
    attribute: str
    marking_text: str
    validity: str
    file_id: int
    published_at: str
    idempotency_key: str


class Publisher(Protocol):
    """Puts a payload where the public can see it; publishing the same key twice is a no-op."""

    name: str

    def publish(self, payload: PublicationPayload) -> None:
        """Publish (or re-publish identically) the payload."""


class LocalSink:
    """The default publisher: one JSON file per version under <data_dir>/portal."""

    name = "local"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, idempotency_key: str) -> Path:
        """The file a publication is written to."""
        return self.directory / f"{idempotency_key}.json"

    def publish(self, payload: PublicationPayload) -> None:
        """Write the payload atomically; an existing file for the key is left as it is."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(payload.idempotency_key)
        if target.exists():
            return
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(payload), ensure_ascii=False, indent=2), "utf-8")
        os.replace(temporary, target)


def publication_key(version_id: int) -> str:
    """The idempotency key of a version's publication."""
    return f"publication-v{version_id}"


def _published_file(session: Session, version: Version, attribute: Attribute) -> int:
    if attribute is Attribute.PROACTIVE:
        return version.main_file_id
    redacted = session.exec(
        select(VersionAttachment.file_id).where(
            col(VersionAttachment.version_id) == version.id,
            col(VersionAttachment.kind) == "redacted_version",
        )
    ).first()
    if redacted is None:
        raise PublicationRefused("删减后公开: only the redacted version may be published; none")
    return redacted


def publish_version(
    *, session: Session, document_id: int, version_id: int, publisher: Publisher, at: datetime
) -> Publication:
    """Publish a signed-off version once: sink, record, deadlines met, status 已发布."""
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    key = publication_key(version_id)
    existing = session.exec(
        select(Publication).where(col(Publication.idempotency_key) == key)
    ).first()
    if existing is not None:
        return existing
    if document.status is not Status.AWAITING_SIGNOFF:
        raise PublicationRefused(f"document {document_id} is '{document.status}', not signed off")
    marking = get_marking(session=session, version_id=version_id)
    if not marking.attribute.is_published:
        raise PublicationRefused(f"'{marking.attribute.label}' documents are filed, not published")
    version = session.get(Version, version_id)
    organ = session.get(Organ, document.organ_id)
    if version is None or organ is None:
        raise NotFound(f"version {version_id} or its organ does not exist")
    index_number = f"{organ.code}-{document.written_on.year}-{document_id:06d}-{version.number}"
    payload = PublicationPayload(
        index_number=index_number,
        title=document.title,
        doc_number=document.doc_number,
        written_on=document.written_on.isoformat(),
        organ=organ.name,
        attribute=marking.attribute.label,
        marking_text=marking.marking_text,
        validity=document.validity,
        file_id=_published_file(session, version, marking.attribute),
        published_at=at.isoformat(),
        idempotency_key=key,
    )
    publisher.publish(payload)
    row = Publication(
        document_id=document_id,
        version_id=version_id,
        published_at=at,
        marking_text=marking.marking_text,
        validity=document.validity,
        index_number=index_number,
        publisher=publisher.name,
        idempotency_key=key,
    )
    session.add(row)
    for deadline in session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document_id,
            col(Deadline.kind).in_(("publication_local", "publication_ceiling")),
        )
    ).all():
        deadline.met_at = deadline.met_at or at
        session.add(deadline)
    if needs_interpretation(session=session, document=document, attribute=marking.attribute):
        # Rule 12: with the document (TOGETHER) or within 3 WD after its publication.
        profile = get_profile(document.policy_profile)
        due = interpretation_deadline(at, profile, calendar_for(profile.name))
        stored = store_deadline(
            session=session, document_id=document_id, version_id=version_id, value=due, at=at
        )
        together = profile.interpretation_mode is InterpretationMode.TOGETHER
        if together and has_interpretation_material(
            session=session, document_id=document_id, version_id=version_id
        ):
            stored.met_at = at
            session.add(stored)
    change_status(
        session=session,
        document_id=document_id,
        target=Status.PUBLISHED,
        actor=SYSTEM,
        role=Role.SYSTEM,
        channel="system",
        reason=f"published as {index_number} via {publisher.name}",
        at=at,
    )
    return row
