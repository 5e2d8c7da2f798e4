"""Intake writes its new rows with Core statements (services/intake/rows.py): a row built by
`new_row` is written with the same column values as one built by the model's __init__; a new
document, its version and their rows (`insert_new_document`, one statement on PostgreSQL) read
back as written, the rows pointing to them, and the session holds the document like a loaded one
(a later change is flushed as an update); a new version's rows are written with the
current-version update (`point_to_version_with_rows`, one statement on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.documents import Document
from models.versions import Marking, RecordedFinding, Version
from policies.attributes import Attribute
from policies.findings import Severity
from policies.roles import Role
from policies.statuses import Status
from services.intake.rows import (
    insert_new_document,
    insert_row,
    new_row,
    point_to_version_with_rows,
)
from tests.factories import id_of, make_document, make_stored_file, make_user

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


def _finding(rule: str, field: str | None = None) -> RecordedFinding:
    return new_row(
        RecordedFinding,
        rule=rule,
        severity=Severity.WARNING,
        message=f"注意 {rule}",
        source="条例",
        field=field,
        recorded_at=AT,
    )


def _event(actor: str, action: str, **values: Any) -> AuditEvent:
    fields = {"actor": actor, "role": Role.DRAFTER, "channel": "api", "occurred_at": AT}
    return new_row(AuditEvent, action=action, **fields, **values)


def test_a_new_document_its_version_and_their_rows_read_back_as_written(
    session: Session,
) -> None:
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
        Version, number=1, submitted_by=id_of(drafter), submitted_at=AT, main_file_id=id_of(stored)
    )
    rows: list[Any] = [  # no parent ids yet: they are the new document's and version's
        _event(drafter.name, "first", after={"n": 1}),
        new_row(Marking, attribute=Attribute.WITHHELD, marking_text="m"),
        _finding("r1"),
        _finding("r2", field="title"),  # two rows of a table: UNION ALL on PostgreSQL
        new_row(Deadline, kind="publication", due_at=AT, basis="条例 art. 26", created_at=AT),
        _event(drafter.name, "second"),
    ]
    insert_new_document(session, document, version, rows)  # PostgreSQL: one statement
    assert isinstance(version.id, int)
    assert version.document_id == document.id
    assert document.current_version_id == version.id
    assert [getattr(row, "version_id", version.id) for row in rows] == [version.id] * len(rows)
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
    stored_version = session.get(Version, version.id)
    assert stored_version is not None
    assert (stored_version.document_id, stored_version.main_file_id) == (document.id, stored.id)
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.document_id) == document.id)
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.version_id, e.after, e.before) for e in events] == [
        ("first", version.id, {"n": 1}, None),
        ("second", version.id, None, None),
    ]
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version.id)).one()
    assert (marking.attribute, marking.reason_codes) == (Attribute.WITHHELD, [])
    findings = session.exec(
        select(RecordedFinding)
        .where(col(RecordedFinding.version_id) == version.id)
        .order_by(col(RecordedFinding.id))
    ).all()
    assert [(f.rule, f.field, f.message, f.recorded_at) for f in findings] == [
        ("r1", None, "注意 r1", AT),
        ("r2", "title", "注意 r2", AT),
    ]
    deadline = session.exec(select(Deadline).where(col(Deadline.document_id) == document.id)).one()
    assert (deadline.version_id, deadline.due_at, deadline.provisional) == (version.id, AT, False)


def test_a_new_versions_rows_are_written_with_the_current_version_update(
    session: Session,
) -> None:
    document = make_document(session)
    drafter_id = document.created_by
    version = new_row(
        Version,
        document_id=document.id,
        number=2,
        submitted_by=drafter_id,
        submitted_at=AT,
        main_file_id=id_of(make_stored_file(session)),
    )
    insert_row(session, version)
    rows = [
        new_row(Marking, version_id=version.id, attribute=Attribute.PROACTIVE, marking_text="m"),
        _event("drafter", "resubmitted", document_id=document.id, version_id=version.id),
    ]
    point_to_version_with_rows(session, document, version, rows)  # PostgreSQL: one statement
    session.flush()
    session.expunge_all()

    reloaded = session.get(Document, document.id)
    assert reloaded is not None
    assert reloaded.current_version_id == version.id
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version.id)).one()
    assert marking.attribute is Attribute.PROACTIVE
    event = session.exec(select(AuditEvent).where(col(AuditEvent.version_id) == version.id)).one()
    assert (event.action, event.document_id) == ("resubmitted", document.id)
