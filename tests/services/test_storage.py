"""Stored files are on disk before the row that points at them commits: the content is fsynced
(from the moment it is staged) before its rename into the content-addressed path, the directories
after; the unit of work's commit waits for all of it (services/storage.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from models.files import StoredFile
from services import storage
from services.storage import FileStager, StagedFile, storage_path_for, store_file

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
    session.commit()  # completes the placement first
    assert stored.storage_path == storage_path_for(upload.sha256)
    assert target.read_bytes() == PDF
    assert not upload.path.exists()
    # The staging file itself (still under .staging, so before the rename) and, meanwhile, the
    # parents of the two directories this upload created (ab/ and ab/cd/); the file's directory
    # last, after the rename.
    assert len(synced) == 4
    assert synced[-1] == (str(target.parent), True)
    assert sorted(synced[:-1]) == sorted(
        [(str(upload.path), False), (str(target.parent.parent), True), (str(files_dir), True)]
    )


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


def test_stored_content_is_read_only(session: Session, tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    stored = store_file(session=session, files_dir=files_dir, staged=staged(files_dir), at=AT)
    session.commit()
    mode = (files_dir / stored.storage_path).stat().st_mode & 0o777
    assert mode == 0o444


def test_a_failed_placement_fails_the_commit(session: Session, tmp_path: Path) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    upload.discard()  # the staged bytes vanish before they are placed
    store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    with pytest.raises(FileNotFoundError):
        session.commit()
    session.rollback()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0


def test_a_failed_content_fsync_fails_the_commit_and_places_nothing(
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
    store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    with pytest.raises(OSError, match="Input/output error"):
        session.commit()
    session.rollback()
    assert not (files_dir / storage_path_for(upload.sha256)).exists()  # never renamed into place
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0


def test_a_rollback_waits_for_the_placement_and_keeps_no_row(
    session: Session, tmp_path: Path
) -> None:
    files_dir = tmp_path / "files"
    upload = staged(files_dir)
    store_file(session=session, files_dir=files_dir, staged=upload, at=AT)
    session.rollback()
    # Settled: the content is in place (unreferenced, reused by a later upload of it), no row.
    assert (files_dir / storage_path_for(upload.sha256)).read_bytes() == PDF
    assert not upload.path.exists()
    assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0
    again = staged(files_dir)
    stored = store_file(session=session, files_dir=files_dir, staged=again, at=AT)
    session.commit()
    assert stored.sha256 == upload.sha256
    assert not again.path.exists()


def test_the_sync_switch_is_on(tmp_path: Path) -> None:
    # Only bench/bench_upload.py turns it off, in its own server process, to measure the cost.
    assert storage.FSYNC is True
