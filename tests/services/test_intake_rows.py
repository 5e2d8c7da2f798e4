"""Intake writes its new rows with Core statements (services/intake/rows.py): a row built by
`new_row` is written with the same column values as one built by the model's __init__; a
document written with its version (`insert_document_and_version`, one statement on PostgreSQL)
is held by the session like a loaded one (a later change is flushed as an update); a version's
rows written with `point_to_version_with_rows` (one statement on PostgreSQL) read back as
written, in the order given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.documents import Document
from models.versions import Marking, RecordedFinding, Version
from policies.attributes import Attribute
from policies.findings import Severity
from policies.roles import Role
from policies.statuses import Status
from services.intake.rows import insert_document_and_version, new_row, point_to_version_with_rows
from tests.factories import id_of, make_stored_file, make_user

AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def _columns(row: Any, *, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    table = type(row).__table__
    return {c.key: getattr(row, c.key) for c in table.c if c.key not in skip}


def test_new_row_takes_the_model_defaults_and_a_fresh_factory_value_per_row() -> None:
    first = new_row(Marking, version_id=1, attribute=Attribute.PROACTIVE, marking_text="x")
    second = new_row(Marking, version_id=2, attribute=Attribute.PROACTIVE, marking_text="x")
    built = Marking(version_id=1, attribute=Attribute.PROACTIVE, marking_text="x")
    assert _columns(first) == _columns(built)
    assert first.reason_codes == []
    assert first.reason_codes is not second.reason_codes
    assert first.id is None


def test_new_row_refuses_a_name_the_model_does_not_have() -> None:
    with pytest.raises(TypeError, match="no field"):
        new_row(Marking, version_id=1, attribute=Attribute.PROACTIVE, marking_txt="x")


def test_rows_written_with_core_read_back_as_the_orm_writes_them(session: Session) -> None:
    drafter = make_user(session)
    stored = make_stored_file(session)
    fields: dict[str, Any] = {
        "title": "关于核心写入的通知",
        "organ_id": drafter.organ_id,
        "document_type": "notice",
        "written_on": AT.date(),
        "policy_profile": "national",
        "status": Status.SUBMITTED,
        "stage": Status.SUBMITTED.stage,
        "status_changed_at": AT,
        "created_by": id_of(drafter),
        "created_at": AT,
    }
    document = new_row(Document, **fields)
    version = new_row(
        Version,
        number=1,
        submitted_by=id_of(drafter),
        submitted_at=AT,
        main_file_id=id_of(stored),
    )
    insert_document_and_version(session, document, version)  # PostgreSQL: one statement
    assert version.document_id == document.id
    assert isinstance(version.id, int)
    event = {"actor": drafter.name, "role": Role.DRAFTER, "channel": "api", "occurred_at": AT}
    point_to_version_with_rows(  # PostgreSQL: one statement; SQLite: one per table and the update
        session,
        document,
        version,
        [
            new_row(AuditEvent, action="first", document_id=document.id, after={"n": 1}, **event),
            new_row(Marking, version_id=version.id, attribute=Attribute.WITHHELD, marking_text="m"),
            new_row(AuditEvent, action="second", document_id=document.id, **event),
            new_row(
                RecordedFinding,
                version_id=version.id,
                rule="r1",
                severity=Severity.WARNING,
                message="注意",
                source="条例",
                recorded_at=AT,
            ),
        ],
    )
    document.title = "改过的标题"  # the session holds the inserted document: flushed as an update
    session.flush()
    session.expunge_all()

    stored_document = session.get(Document, document.id)
    assert stored_document is not None
    defaults = {
        "doc_number": None,
        "is_important_policy": False,
        "issued_in_government_name": False,
        "flow_run_id": None,
        "validity": "valid",
        "valid_until": None,
    }
    assert _columns(stored_document) == fields | defaults | {
        "title": "改过的标题",
        "current_version_id": version.id,
    }
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.document_id) == document.id)
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.after, e.before) for e in events] == [
        ("first", {"n": 1}, None),
        ("second", None, None),
    ]
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version.id)).one()
    assert (marking.attribute, marking.reason_codes) == (Attribute.WITHHELD, [])
    finding = session.exec(
        select(RecordedFinding).where(col(RecordedFinding.version_id) == version.id)
    ).one()
    assert (finding.severity, finding.message, finding.recorded_at) == (
        Severity.WARNING,
        "注意",
        AT,
    )
