"""Each stored file is read once and its reading kept (issue 23): later steps take the kept text,
even if the bytes could no longer be read (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models.readings import FileReading
from services.reading.formats import Reading
from services.reading.store import file_text, files_to_read, keep_reading, read_unkept
from services.stored_content import StoredContentAltered
from tests.factories import T0, id_of, make_stored_file


def _store(session: Session, files_dir: Path, data: bytes, name: str) -> int:
    sha256 = hashlib.sha256(data).hexdigest()
    stored = make_stored_file(
        session,
        original_name=name,
        sha256=sha256,
        size_bytes=len(data),
        storage_path=f"{sha256[:2]}/{sha256[2:4]}/{sha256}",
    )
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


def test_files_to_read_are_those_with_no_kept_reading_each_once(
    session: Session, tmp_path: Path
) -> None:
    kept = _store(session, tmp_path, "已读".encode(), "kept.txt")
    file_text(session=session, file_id=kept, files_dir=tmp_path, at=T0)
    unkept = _store(session, tmp_path, "未读".encode(), "unkept.txt")
    found = files_to_read(
        session=session, file_ids=[kept, unkept, unkept, 999_999], files_dir=tmp_path
    )
    assert [(f.file_id, f.name) for f in found] == [(unkept, "unkept.txt")]
    assert read_unkept(found[0]).text == "未读"
    assert files_to_read(session=session, file_ids=[], files_dir=tmp_path) == []


def test_the_first_kept_reading_wins(session: Session, tmp_path: Path) -> None:
    """Two runs read the same file ahead: the second keeps nothing and gets the first's row."""
    file_id = _store(session, tmp_path, "正文".encode(), "a.txt")
    first = keep_reading(session=session, file_id=file_id, reading=Reading(text="第一"), at=T0)
    second = keep_reading(session=session, file_id=file_id, reading=Reading(text="第二"), at=T0)
    assert second.text == "第一"
    assert second.id == first.id
    read = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    assert read.text == "第一"
    assert files_to_read(session=session, file_ids=[file_id], files_dir=tmp_path) == []


def test_no_text_is_kept_of_bytes_that_no_longer_match_their_record_实施条例_art_42(
    session: Session, tmp_path: Path
) -> None:
    """Bytes changed in the files folder before their first reading were never received, so
    no reading of them is kept for the reviewer or the portal; once restored, they are read."""
    data = "关于做好春耕工作的通知".encode()
    file_id = _store(session, tmp_path, data, "a.txt")
    sha256 = hashlib.sha256(data).hexdigest()
    path = tmp_path / sha256[:2] / sha256[2:4] / sha256
    path.write_bytes("关于做好秋收工作的通知".encode())  # the same size: only the hash tells
    with pytest.raises(StoredContentAltered):
        file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    (unkept,) = files_to_read(session=session, file_ids=[file_id], files_dir=tmp_path)
    with pytest.raises(StoredContentAltered):
        read_unkept(unkept)
    assert session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).all() == []

    path.write_bytes(data)
    read = file_text(session=session, file_id=file_id, files_dir=tmp_path, at=T0)
    assert read.text == "关于做好春耕工作的通知"
