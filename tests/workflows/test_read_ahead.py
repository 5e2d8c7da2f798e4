"""A flow run's step reads its files before its unit of work (issue 24): while a file is being
read no transaction is open, so another writer commits at once (SQLite's write lock, taken when
a unit of work begins; PostgreSQL's row lock on the document the step takes), and the step then
takes the kept reading and reads nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from config.settings import get_settings
from models.documents import Document
from models.files import StoredFile
from models.readings import FileReading
from models.versions import RecordedFinding, Version
from services.review import files_of_version
from tests.documents import many_pages_pdf_bytes
from tests.factories import id_of, make_document, record_content
from workflows import runtime
from workflows.marking import recheck_marking_task
from workflows.secrecy_review import prescreen_task

pytestmark = pytest.mark.usefixtures("configured")

# Tiny on disk, seconds to read (tests/documents.py): the reading of a real file, not a stand-in.
SLOW_PDF = many_pages_pdf_bytes(80, operations_per_page=2000)


def _submitted_with_main_file(data: bytes) -> tuple[int, int, int, Path]:
    """A submitted document whose main file holds `data` on disk: ids and the file's path."""
    with runtime.unit_of_work() as session:
        document = make_document(session)
        version = session.get(Version, document.current_version_id)
        assert version is not None
        stored = session.get(StoredFile, version.main_file_id)
        assert stored is not None
        record_content(stored, data)
        session.add(stored)
        path = get_settings().files_dir / stored.storage_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return id_of(document), id_of(version), id_of(stored), path


def _kept(file_id: int) -> list[FileReading]:
    with Session(runtime.engine()) as session:
        return list(
            session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).all()
        )


def test_while_a_step_reads_its_file_another_writer_commits_at_once() -> None:
    """The marking re-check reads a file that takes seconds; meanwhile another unit of work
    writes the same document and commits before that reading is kept: the step holds no lock
    while it reads (reading inside its unit of work, the writer would wait for its commit)."""
    document_id, version_id, file_id, _ = _submitted_with_main_file(SLOW_PDF)
    outcome: list[str] = []
    step = threading.Thread(
        target=lambda: outcome.append(recheck_marking_task.fn(document_id, version_id))
    )
    step.start()
    try:
        time.sleep(0.5)  # the step has found what it must read and is reading it
        assert step.is_alive()
        started = time.monotonic()
        with runtime.unit_of_work() as session:
            document = session.get(Document, document_id)
            assert document is not None
            document.title = f"{document.title}（修订）"
            session.add(document)
        waited = time.monotonic() - started
        assert _kept(file_id) == [], f"the writer waited {waited:.1f} s for the step to commit"
        assert step.is_alive()  # still reading
    finally:
        step.join(timeout=120)
    assert not step.is_alive()
    assert outcome, "the step failed"
    assert len(_kept(file_id)) == 1


def test_a_step_takes_the_reading_kept_ahead_and_reads_nothing() -> None:
    """Read ahead, then the bytes are gone from disk: the pre-screen still finds the evidence in
    the kept text (reading again it would find the file missing), and nothing is left to read."""
    _, version_id, file_id, path = _submitted_with_main_file(
        "关于\n申请人身份证号：11010519491231002X".encode()
    )

    def files(session: Session) -> list[int]:
        return files_of_version(session=session, version_id=version_id)

    assert runtime.read_ahead(files, at=runtime.now()) == 1
    path.unlink()
    assert prescreen_task.fn(version_id) >= 1
    assert runtime.read_ahead(files, at=runtime.now()) == 0
    assert len(_kept(file_id)) == 1
    with Session(runtime.engine()) as session:
        messages = session.exec(
            select(RecordedFinding.message).where(col(RecordedFinding.version_id) == version_id)
        ).all()
    assert not [m for m in messages if "missing" in m]
