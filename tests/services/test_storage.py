"""Stored files are on disk before the row that points at them commits: the content is fsynced
(from the moment it is staged) before its rename into the content-addressed path, the directories
after; `store_file` completes all of it before it returns, and a placement begun with
`start_placing` before its result is had (services/storage.py). Content recorded by a concurrent
upload is found, not recorded twice."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.uploads import FileStager
from models.files import StoredFile
from services import storage
from services.storage import StagedFile, record_file, start_placing, storage_path_for, store_file

AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def staged(files_dir: Path, data: bytes = PDF) -> StagedFile:
    stager = FileStager(files_dir, original_name="通知.pdf", max_bytes=1 << 20)
    stager.write(data)
    return stager.finish()


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every fsync, in order, as (path of the descriptor, whether it is a directory); the real
    fsync still runs."""
    calls: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        calls.append((path, os.path.isdir(path)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return calls


def test_content_is_synced_before_its_rename_and_every_new_directory_after(
    session: Session, tmp_path: Path, synced: list[tuple[str, bool]]
) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    stored = store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    target = files_dir / storage_path_for(upload.sha256)
    assert stored.storage_path == storage_path_for(upload.sha256)
    assert target.read_bytes() == PDF
    assert not upload.path.exists()
    # The staging file itself (still under .staging, so before the rename; its fsync began when
    # it was staged), the parents of the two directories this upload created (ab/ and ab/cd/),
    # and the file's directory last, after the rename.
    assert len(synced) == 4
    assert synced[-1] == (str(target.parent), True)
    assert sorted(synced[:-1]) == sorted(
        [(str(upload.path), False), (str(target.parent.parent), True), (str(files_dir), True)]
    )
    session.commit()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 1


def test_content_already_stored_is_not_rewritten_and_its_directory_is_synced(
    session: Session, tmp_path: Path, synced: list[tuple[str, bool]]
) -> None:
    files_dir = tmp_path / "files"
    first = store_file(session=session, files_dir=files_dir, staged=staged(files_dir), at=AT)
    session.commit()
    synced.clear()
    again = staged(files_dir)
    second = store_file(session=session, files_dir=files_dir, staged=again, at=AT)
    session.commit()
    assert second.id == first.id
    assert not again.path.exists()  # the duplicate staging file is dropped
    # (its staging copy was fsynced as it was staged, before the duplicate was known: harmless)
    directories = [path for path, is_directory in synced if is_directory]
    assert directories == [str((files_dir / first.storage_path).parent)]
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 1


def test_content_altered_on_disk_is_replaced_by_the_next_upload_of_it(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes changed under a content-addressed name no longer match it; the next upload of the
    real content puts it back (read-only, its directory synced), and the log says so, instead of
    being dropped as a duplicate of bytes nobody may be served."""
    files_dir = tmp_path / "files"
    first = store_file(session=session, files_dir=files_dir, staged=staged(files_dir), at=AT)
    session.commit()
    path = files_dir / first.storage_path
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.4\n% altered after it was stored\n")
    with caplog.at_level("ERROR", logger="gongkai.storage"):
        second = store_file(session=session, files_dir=files_dir, staged=staged(files_dir), at=AT)
    session.commit()
    assert second.id == first.id
    assert path.read_bytes() == PDF
    assert path.stat().st_mode & 0o777 == 0o444
    assert "no longer hashed to its name" in caplog.text
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 1


def test_stored_content_is_read_only(session: Session, tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    stored = store_file(session=session, files_dir=files_dir, staged=staged(files_dir), at=AT)
    session.commit()
    mode = (files_dir / stored.storage_path).stat().st_mode & 0o777
    assert mode == 0o444


def test_a_failed_placement_records_no_row(session: Session, tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    upload.discard()  # the staged bytes vanish before they are placed
    with pytest.raises(FileNotFoundError):
        store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    session.commit()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0


def test_a_failed_content_fsync_records_nothing_and_places_nothing(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files_dir = tmp_path / "files"
    real_fsync = os.fsync

    def failing(fd: int) -> None:
        if not os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(5, "Input/output error")  # the disk refused the content
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    upload = staged(files_dir)
    with pytest.raises(OSError, match="Input/output error"):
        store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    session.commit()
    assert not (files_dir / storage_path_for(upload.sha256)).exists()  # never renamed into place
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0


def test_a_rollback_keeps_the_placed_content_and_no_row(session: Session, tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    session.rollback()
    # The content is in place (unreferenced, reused by a later upload of it), no row.
    assert (files_dir / storage_path_for(upload.sha256)).read_bytes() == PDF
    assert not upload.path.exists()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0
    again = staged(files_dir)
    stored = store_file(session=session, files_dir=files_dir, staged=again, at=AT)
    session.commit()
    assert stored.sha256 == upload.sha256
    assert not again.path.exists()


def test_the_staging_task_makes_the_content_directory_and_places_nothing(
    tmp_path: Path, synced: list[tuple[str, bool]]
) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    upload.wait_synced()
    target = files_dir / storage_path_for(upload.sha256)
    assert target.parent.is_dir()  # made, empty: nothing is kept before the submission is
    assert not target.exists()
    assert sorted(synced) == sorted(
        [(str(upload.path), False), (str(target.parent.parent), True), (str(files_dir), True)]
    )


def test_a_placement_begun_before_the_row_is_complete_when_its_result_is_had(
    session: Session, tmp_path: Path, synced: list[tuple[str, bool]]
) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    placed = start_placing(files_dir=files_dir, staged=upload)
    stored = record_file(session=session, staged=upload, at=AT)  # the row, written meanwhile
    placed.result()
    target = files_dir / stored.storage_path
    assert target.read_bytes() == PDF
    assert target.stat().st_mode & 0o777 == 0o444
    assert not upload.path.exists()
    # the content's fsync (at staging, under its staging name), the directory after the rename
    assert (str(upload.path), False) in synced[:-1]
    assert synced[-1] == (str(target.parent), True)
    session.commit()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 1


def test_a_failed_placement_is_raised_by_its_result(tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    upload.wait_synced()
    upload.discard()  # the staged bytes vanish before they are placed
    with pytest.raises(FileNotFoundError):
        start_placing(files_dir=files_dir, staged=upload).result(timeout=10)
    assert not (files_dir / storage_path_for(upload.sha256)).exists()


def test_the_sync_switch_is_on(tmp_path: Path) -> None:
    # Only bench/bench_upload.py turns it off, in its own server process, to measure the cost.
    assert storage.FSYNC is True


@pytest.mark.postgres
def test_content_recorded_by_a_concurrent_upload_is_found_not_recorded_twice(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """Another transaction records the same content and commits while this one's insert waits
    on it: the insert then does nothing, and the row the other upload recorded is returned."""
    from tests.conftest import _truncate_all  # the PostgreSQL fixtures' own cleaning

    _truncate_all(postgres_engine)
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    other = postgres_engine.connect()
    other_begun = other.begin()
    values = {
        "sha256": upload.sha256,
        "size_bytes": upload.size_bytes,
        "media_type": upload.media_type,
        "original_name": "其他.pdf",
        "storage_path": storage_path_for(upload.sha256),
        "created_at": AT,
    }
    other.execute(sa.insert(StoredFile), values)  # not committed yet
    found: list[StoredFile] = []

    def store() -> None:
        with Session(postgres_engine, expire_on_commit=False) as session:
            found.append(store_file(session=session, files_dir=files_dir, staged=upload, at=AT))
            session.commit()

    worker = threading.Thread(target=store)
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # waiting on the other transaction's row
    other_begun.commit()
    other.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    [stored] = found
    assert stored.original_name == "其他.pdf"  # the row the other upload recorded
    with Session(postgres_engine) as session:
        assert session.exec(select(func.count()).select_from(StoredFile)).one() == 1
