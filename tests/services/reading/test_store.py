"""Each stored file is read once and its reading kept (issue 23): later steps take the kept text,
even if the bytes could no longer be read (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from models.readings import FileReading
from services.reading.store import file_text
from tests.factories import T0, id_of, make_stored_file


def _store(session: Session, files_dir: Path, data: bytes, name: str) -> int:
    stored = make_stored_file(session, original_name=name)
    path = files_dir / stored.storage_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return id_of(stored)


def test_a_file_is_read_once_and_its_text_kept(session: Session, tmp_path: Path) -> None:
    file_id = _store(session, tmp_path, "关于\n身份证号：11010519491231002X".encode(), "a.txt")
    first = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            path.write_bytes(b"changed on disk")  # a second reading would see this
    again = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    assert first == again
    assert again.text == "关于\n身份证号：11010519491231002X"
    rows = session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).all()
    assert len(rows) == 1


def test_the_findings_of_a_reading_are_kept_with_it(session: Session, tmp_path: Path) -> None:
    file_id = _store(session, tmp_path, b"", "empty.txt")
    first = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    again = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    assert [f.rule for f in again.findings] == ["reading.unreadable"]
    assert again.findings == first.findings
    assert again.name == "empty.txt"


def test_a_missing_stored_file_is_a_finding(session: Session, tmp_path: Path) -> None:
    file_id = id_of(make_stored_file(session))
    read = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    assert read.text == ""
    assert "the stored file is missing" in read.findings[0].message
