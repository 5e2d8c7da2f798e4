"""Small typed factories for database tests: sensible defaults, any field overridable."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.decisions import Decision
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.users import User
from models.versions import Marking, Version
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Status
from policies.steps import DecisionKind, Step

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai
_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def id_of(row: Any) -> int:
    """The primary key of a flushed row (typed as int for the caller)."""
    assert isinstance(row.id, int), f"{row!r} has not been flushed"
    return row.id


def make_organ(session: Session, **overrides: Any) -> Organ:
    """An issuing organ."""
    n = _next()
    fields: dict[str, Any] = {
        "code": f"organ-{n}",
        "name": f"测试县人民政府办公室{n}",
        "created_at": T0,
    }
    organ = Organ(**(fields | overrides))
    session.add(organ)
    session.flush()
    return organ


def make_user(session: Session, *, organ: Organ | None = None, **overrides: Any) -> User:
    """A user, by default a drafter in a new organ."""
    organ = organ or make_organ(session)
    fields: dict[str, Any] = {
        "name": f"拟稿人{_next()}",
        "organ_id": organ.id,
        "role": Role.DRAFTER,
        "created_at": T0,
    }
    fields |= overrides
    fields.setdefault("login", f"{fields['name']}@{organ.code}")
    user = User(**fields)
    session.add(user)
    session.flush()
    return user


def make_colleague(session: Session, of: User, role: Role, **overrides: Any) -> User:
    """A user of another role in the same organ as `of` (reviewers decide for their organ)."""
    organ = session.get(Organ, of.organ_id)
    assert organ is not None
    return make_user(session, organ=organ, role=role, **overrides)


def make_stored_file(session: Session, **overrides: Any) -> StoredFile:
    """A stored file row (no bytes on disk)."""
    sha256 = hashlib.sha256(f"file-{_next()}".encode()).hexdigest()
    fields: dict[str, Any] = {
        "sha256": sha256,
        "size_bytes": 1024,
        "media_type": "application/pdf",
        "original_name": "通知.pdf",
        "storage_path": f"{sha256[:2]}/{sha256}",
        "created_at": T0,
    }
    stored = StoredFile(**(fields | overrides))
    session.add(stored)
    session.flush()
    return stored


def record_content(stored: StoredFile, data: bytes) -> None:
    """Give a stored file's row the record an upload of `data` writes (its SHA-256, size and
    content-addressed path); the caller puts the bytes at that path."""
    sha256 = hashlib.sha256(data).hexdigest()
    stored.sha256, stored.size_bytes = sha256, len(data)
    stored.storage_path = f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def make_marking(session: Session, *, version: Version, **overrides: Any) -> Marking:
    """A marking for a version, by default 主动公开 with its canonical text."""
    attribute = Attribute(overrides.get("attribute", Attribute.PROACTIVE))
    fields: dict[str, Any] = {
        "version_id": version.id,
        "attribute": attribute,
        "marking_text": attribute.marking,
    }
    marking = Marking(**(fields | overrides))
    session.add(marking)
    session.flush()
    return marking


def make_document(
    session: Session,
    *,
    drafter: User | None = None,
    marking: dict[str, Any] | None = None,
    **overrides: Any,
) -> Document:
    """A submitted document with version 1, its main file and its marking."""
    drafter = drafter or make_user(session)
    status = Status(overrides.pop("status", Status.SUBMITTED))
    fields: dict[str, Any] = {
        "title": f"关于印发测试办法的通知{_next()}",
        "doc_number": None,
        "organ_id": drafter.organ_id,
        "document_type": "行政规范性文件",
        "written_on": date(2025, 3, 1),
        "policy_profile": "national",
        "status": status,
        "stage": status.stage,
        "status_changed_at": T0,
        "created_by": drafter.id,
        "created_at": T0,
    }
    document = Document(**(fields | overrides))
    session.add(document)
    session.flush()
    version = Version(
        document_id=id_of(document),
        number=1,
        submitted_by=id_of(drafter),
        submitted_at=T0,
        main_file_id=id_of(make_stored_file(session)),
        main_file_name="通知.pdf",
    )
    session.add(version)
    session.flush()
    make_marking(session, version=version, **(marking or {}))
    document.current_version_id = version.id
    session.add(document)
    session.flush()
    return document


def clear_for_publication(session: Session, document: Document, *, signed: bool = True) -> Decision:
    """The secrecy review's recorded clearance of the document's current version under its
    marking, and (unless not `signed`) its 签发 after it, which publication requires
    (services.publication.publishing._require_review); returns the clearance."""
    marking = session.exec(
        select(Marking).where(col(Marking.version_id) == document.current_version_id)
    ).one()
    decisions = [(Step.SECRECY_REVIEW, DecisionKind.APPROVE, Role.SECRECY_REVIEWER)]
    if signed:
        decisions.append((Step.SIGN_OFF, DecisionKind.SIGN_OFF, Role.SIGNER))
    rows = [
        Decision(
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            step=step.value,
            attempt=1,
            kind=kind.value,
            decided_by=make_user(session, role=role).id,
            role=role,
            channel="api",
            attribute_before=marking.attribute,
            attribute_after=marking.attribute,
            decided_at=T0,
        )
        for step, kind, role in decisions
    ]
    session.add_all(rows)
    session.flush()
    return rows[0]
