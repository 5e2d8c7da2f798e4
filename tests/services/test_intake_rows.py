"""Intake writes its new rows with Core statements (services/intake/rows.py): a row built by
`new_row` is written with the same column values as one built by the model's __init__; a new
document, its version and their rows (`insert_new_document`, one statement on PostgreSQL) read
back as written, the rows pointing to them, and the session holds the document like a loaded one
(a later change is flushed as an update); a new version's rows are written with the
current-version update (`point_to_version_with_rows`, one statement on PostgreSQL)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.db import new_row
from models.deadlines import Deadline
from models.documents import Document
from models.files import StoredFile
from models.users import User
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from policies.attributes import Attribute
from policies.findings import Severity
from policies.roles import Role
from policies.statuses import Status
from services.intake.rows import (
    FileRef,
    file_id_of,
    insert_new_document,
    insert_row,
    point_to_version_with_rows,
)
from services.storage import storage_path_for
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


def test_a_row_built_before_any_query_reads_its_attributes() -> None:
    # A fresh interpreter, where no query has configured the mappers yet (a server's first
    # request builds its User with new_row before the ORM has run anything).
    script = (
        "import models\n"
        "from models.db import new_row\n"
        "from models.users import User\n"
        "print(new_row(User, name='起草人').name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "起草人"


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


def _document_fields(drafter: User, title: str) -> dict[str, Any]:
    return {
        "title": title,
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


def test_a_new_document_its_version_and_their_rows_read_back_as_written(
    session: Session,
) -> None:
    drafter = make_user(session)
    stored = make_stored_file(session)
    fields = _document_fields(drafter, "关于核心写入的通知")
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


def _file_to_store(content: str, name: str = "附件.pdf") -> StoredFile:
    """A stored_files row not written yet (as services.storage.file_to_store returns it)."""
    sha256 = hashlib.sha256(content.encode()).hexdigest()
    return StoredFile(
        sha256=sha256,
        size_bytes=len(content),
        media_type="application/pdf",
        original_name=name,
        storage_path=storage_path_for(sha256),
        created_at=AT,
    )


def _new_document(session: Session, main: StoredFile, attachments: list[StoredFile]) -> Any:
    drafter = make_user(session)
    document = new_row(Document, **_document_fields(drafter, "关于文件一并写入的通知"))
    version = new_row(
        Version,
        number=1,
        submitted_by=id_of(drafter),
        submitted_at=AT,
        main_file_id=file_id_of(main),
    )
    rows = [new_row(VersionAttachment, file_id=file_id_of(f), kind="other") for f in attachments]
    insert_new_document(session, document, version, rows, [main, *attachments])
    return version, rows


def test_a_new_documents_files_are_written_with_it_and_point_to_by_their_ids(
    session: Session,
) -> None:
    recorded = make_stored_file(session, original_name="先传的.pdf")
    main = _file_to_store("正文")
    again = _file_to_store("正文", name="同一内容.pdf")  # the same content twice: one row
    known = _file_to_store("x", name="后传的.pdf")
    known.sha256, known.storage_path = recorded.sha256, recorded.storage_path
    assert file_id_of(main) == FileRef(main.sha256) == file_id_of(again)
    version, rows = _new_document(session, main, [again, known])
    session.flush()

    assert isinstance(main.id, int)
    assert again.id == main.id
    # Content recorded before is found, as first recorded (its name), not written again.
    assert (known.id, known.original_name) == (recorded.id, "先传的.pdf")
    assert version.main_file_id == main.id
    assert [row.file_id for row in rows] == [main.id, recorded.id]
    session.expunge_all()
    assert session.get(Version, version.id).main_file_id == main.id  # type: ignore[union-attr]
    attachments = session.exec(
        select(VersionAttachment.file_id)
        .where(col(VersionAttachment.version_id) == version.id)
        .order_by(col(VersionAttachment.id))
    ).all()
    assert attachments == [main.id, recorded.id]
    shas = session.exec(select(StoredFile.sha256).order_by(col(StoredFile.id))).all()
    assert shas == [recorded.sha256, main.sha256]


@pytest.mark.postgres
def test_content_recorded_by_a_concurrent_upload_meanwhile_is_found_on_a_second_try(
    postgres_engine: Engine,
) -> None:
    """The same content recorded by another transaction that commits while this statement
    waits on it: not in the statement's snapshot, so nothing is written and the statement runs
    again, then finding it — one document, pointing to the other upload's row."""
    from tests.conftest import _truncate_all  # the PostgreSQL fixtures' own cleaning

    _truncate_all(postgres_engine)
    main = _file_to_store("同时上传的正文")
    other = postgres_engine.connect()
    other_begun = other.begin()
    other.execute(
        sa.insert(StoredFile.__table__),  # type: ignore[attr-defined]
        {k: v for k, v in main.model_dump().items() if k != "id"},
    )  # not committed yet: this statement's insert of the same sha256 waits for it
    results: list[Any] = []

    def register() -> None:
        with Session(postgres_engine) as session:
            version, _ = _new_document(session, main, [])
            results.append((version.id, main.id))
            session.commit()

    worker = threading.Thread(target=register)
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # waiting on the other transaction's row
    other_begun.commit()
    other.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    [(version_id, main_file_id)] = results
    with Session(postgres_engine) as session:
        [row] = session.exec(select(StoredFile)).all()
        assert main_file_id == row.id
        assert session.get(Version, version_id).main_file_id == row.id  # type: ignore[union-attr]
        assert session.exec(select(sa.func.count()).select_from(Document)).one() == 1
