"""Keeping uploaded files: a staged upload (received and staged by api/uploads.py) placed under
an immutable content-addressed path, and its row (design.md "Files").

Durability: a committed row never points at bytes a power loss can take away. The content is
fsynced before it is renamed into its content-addressed path (a torn file under a hash name would
be trusted by every later upload of that content), and the directory — with any directory made
for it — after the rename, all before the row's transaction commits. The staging task
(`prepare_place`, begun as soon as an upload is staged) fsyncs the content and makes its
directory. `store_file` waits for it, places the content, then writes the row; a submission
starts placing its files (`start_placing`) before it writes its rows, and has every placement's
result before it returns. A transaction that fails after a placement leaves the content stored
with no row (harmless: content-addressed and immutable; a later upload of it reuses it). Only a
benchmark turns `FSYNC` off, to measure its cost; the product never does.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, col, select

from models.db import table_of
from models.files import StoredFile
from services.stored_content import digest_of

logger = logging.getLogger("gongkai.storage")
STAGING = ".staging"  # where uploads wait, under files_dir, until they are kept or discarded
FSYNC = True  # see the module docstring: switched off by bench/bench_upload.py only


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A fully received upload waiting in the staging folder, and what it is: the submission's
    main file ("main") or an attachment kind."""

    kind: str
    path: Path
    sha256: str
    size_bytes: int
    media_type: str
    original_name: str
    synced: Future[None] = field(compare=False, repr=False)  # the staging task (prepare_place)

    def discard(self) -> None:
        """Remove the staging file (after a refusal, or when the content is already stored)."""
        self.path.unlink(missing_ok=True)

    def wait_synced(self) -> None:
        """Return once the content is on disk (raise the fsync's error if it failed)."""
        self.synced.result()


def sweep_staging(*, files_dir: Path, older_than: timedelta, at: datetime) -> int:
    """Remove staged uploads (`.part`) last written more than `older_than` before `at`: left by
    a request that died without cleaning up (a killed process, a power loss). How many went."""
    cutoff = (at - older_than).timestamp()
    swept = 0
    for path in (files_dir / STAGING).glob("*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                swept += 1
        except FileNotFoundError:  # a request kept or discarded it meanwhile
            continue
    return swept


def storage_path_for(sha256: str) -> str:
    """Where content with this hash lives, relative to files_dir: ab/cd/<sha256>."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store_file(
    *, session: Session, files_dir: Path, staged: StagedFile, at: datetime
) -> StoredFile:
    """Keep the staged content once (dedup by sha256), read-only and synced in its content-
    addressed path, and return its row (`place_file`, then `record_file`)."""
    place_file(files_dir=files_dir, staged=staged)
    return record_file(session=session, staged=staged, at=at)


def record_file(*, session: Session, staged: StagedFile, at: datetime) -> StoredFile:
    """The stored_files row of the staged content: written now, or the one recorded before for
    this content (INSERT … ON CONFLICT DO NOTHING: also when a concurrent upload of it recorded
    it first). The content must be placed (`place_file`) before the transaction commits."""
    values = {
        "sha256": staged.sha256,
        "size_bytes": staged.size_bytes,
        "media_type": staged.media_type,
        "original_name": staged.original_name,
        "storage_path": storage_path_for(staged.sha256),
        "created_at": at,
    }
    written: StoredFile | None = session.scalars(_RECORD_FILE, values).first()
    if written is not None:
        return written
    return session.exec(select(StoredFile).where(col(StoredFile.sha256) == staged.sha256)).one()


def _record_file() -> Executable:
    """INSERT … ON CONFLICT (sha256) DO NOTHING RETURNING the row, as the session's StoredFile (the
    same SQL on SQLite and PostgreSQL). Written as text because the dialects' `insert()
    .on_conflict_do_nothing()` cannot be cached: it would be compiled again for every upload."""
    table = table_of(StoredFile)
    columns = [column for column in table.c if column.key != "id"]
    names = ", ".join(column.name for column in columns)
    values = ", ".join(f":{column.key}" for column in columns)
    insert = sa.text(
        f"INSERT INTO {table.name} ({names}) VALUES ({values}) "
        "ON CONFLICT (sha256) DO NOTHING RETURNING *"
    ).bindparams(*(sa.bindparam(column.key, type_=column.type) for column in columns))
    return select(StoredFile).from_statement(insert.columns(*table.c))


_RECORD_FILE = _record_file()


def start_placing(*, files_dir: Path, staged: StagedFile) -> Future[None]:
    """Place the staged content (`place_file`) as soon as its staging task is done, on the thread
    that ran it, while the caller writes its rows; its result (or error) must be had before the
    caller's transaction commits."""
    placed: Future[None] = Future()

    def place(_: object) -> None:
        try:
            place_file(files_dir=files_dir, staged=staged)
        except BaseException as error:
            placed.set_exception(error)
        else:
            placed.set_result(None)

    staged.synced.add_done_callback(place)
    return placed


def prepare_place(*, files_dir: Path, path: Path, sha256: str) -> None:
    """Begun as soon as a file is staged: its content fsynced and its content-addressed directory
    made (an empty directory is harmless if the upload is then refused)."""
    _make_directories((files_dir / storage_path_for(sha256)).parent)
    _sync_file(path)


def place_file(*, files_dir: Path, staged: StagedFile) -> None:
    """Move the staged content to its content-addressed path: synced before the rename, read-only,
    its directory synced after. Content already there is kept and the staged copy dropped, when
    its bytes still hash to their name; bytes altered on disk since are replaced by this upload
    of the content (and the office is told in the log)."""
    target = files_dir / storage_path_for(staged.sha256)
    staged.wait_synced()
    if target.exists():
        if digest_of(target) == (staged.sha256, staged.size_bytes):
            # Stored bytes are immutable and named by their hash: content already there was kept
            # by an earlier upload (whose transaction may have failed, so the row may be missing)
            # or a concurrent one. Its writer synced it before the rename; its directory entry
            # may still be on the way, so the directory is synced all the same.
            staged.discard()
            _sync_directory(target.parent)
            return
        logger.error(
            "stored content %s no longer hashed to its name: replaced by an upload of it",
            target,
        )
    _make_directories(target.parent)
    os.chmod(staged.path, 0o444)
    os.replace(staged.path, target)
    _sync_directory(target.parent)


def _make_directories(directory: Path) -> None:
    """Make the directory and any missing parents, each one's entry synced in its parent (one
    that a concurrent upload makes first is synced all the same)."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        _sync_directory(path.parent)


def _sync_file(path: Path, flags: int = os.O_RDONLY) -> None:
    if not FSYNC:
        return
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(path: Path) -> None:
    _sync_file(path, os.O_RDONLY | os.O_DIRECTORY)
