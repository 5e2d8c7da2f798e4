"""Uploaded files: streamed to a staging file while hashed and size-checked, typed by content,
then moved to an immutable content-addressed path (design.md "Files").

Durability: a committed row never points at bytes a power loss can take away. The content is
fsynced before it is renamed into its content-addressed path (a torn file under a hash name would
be trusted by every later upload of that content), and the directory — with any directory made
for it — after the rename. To keep this off the request's critical path, the content's fsync
starts in a thread pool as soon as the upload is staged (`FileStager.finish`); `store_file` hands
the placement to a second pool and writes the row meanwhile: it makes and syncs any new directory
while the fsync runs, then leaves the rename and the directory's sync to the fsync's own thread,
which does them as soon as the fsync returns (no other thread has to wake up for it; two pools,
so that a placement never holds a worker an fsync needs). The unit of work's commit waits for
the placement (`before_commit`: after the rows are written, before the database commits). The
fsync thus overlaps receiving the rest of the request and writing the rows. As before, a
transaction that fails after `store_file` may leave the content stored with no row (harmless:
content-addressed and immutable; a later upload of it reuses it). Only a benchmark turns `FSYNC`
off, to measure its cost; the product never does.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import threading
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from models.db import new_row, table_of
from models.driver import execute_one
from models.files import StoredFile
from services.errors import EmptyFile, UnsupportedFileType, UploadTooLarge

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain; charset=utf-8"
TXT_GB18030 = "text/plain; charset=gb18030"
MAX_NAME_CHARS = 120
STAGING = ".staging"
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f")
# A name that claims a type must match the content (the content decides, the name may not lie).
_CLAIMED_BY_SUFFIX = {".pdf": (PDF,), ".docx": (DOCX,), ".txt": (TXT, TXT_GB18030)}
FSYNC = True  # see the module docstring: switched off by bench/bench_upload.py only
_SYNCS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gongkai-fsync")
_PLACEMENTS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gongkai-place")
_PLACING = "gongkai_files_placing"  # Session.info key: placements the commit waits for


def safe_filename(name: str) -> str:
    """The basename only, without control characters or NUL, at most 120 characters."""
    base = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    if len(cleaned) > MAX_NAME_CHARS:
        _, dot, suffix = cleaned.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        cleaned = cleaned[: MAX_NAME_CHARS - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return cleaned or "upload"


class _TextSniffer:
    """Decides, while streaming, whether content is UTF-8 or GB18030 text without control junk."""

    def __init__(self) -> None:
        self._decoders = {
            TXT: codecs.getincrementaldecoder("utf-8-sig")(),
            TXT_GB18030: codecs.getincrementaldecoder("gb18030")(),
        }

    def feed(self, chunk: bytes | memoryview, *, final: bool = False) -> None:
        for media_type, decoder in list(self._decoders.items()):
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                del self._decoders[media_type]
                continue
            if any(
                unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS_ALLOWED for c in text
            ):
                del self._decoders[media_type]

    @property
    def media_type(self) -> str | None:
        return next(iter(self._decoders), None)


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A fully received upload waiting in the staging folder."""

    path: Path
    sha256: str
    size_bytes: int
    media_type: str
    original_name: str
    synced: ContentSync | None = field(default=None, compare=False, repr=False)

    def discard(self) -> None:
        """Remove the staging file (after a refusal, or when the content is already stored)."""
        self.path.unlink(missing_ok=True)

    def after_synced(self, step: Callable[[BaseException | None], None]) -> None:
        """Run `step` with the error of the content's fsync (None if it succeeded) once it is
        done (see `ContentSync.then`)."""
        if self.synced is None:
            step(None)
            return
        self.synced.then(step)


class ContentSync:
    """The fsync of one staged file, started in the fsync pool as soon as the file is staged,
    and the one step to run when it is done: in the fsync's thread right after it returns, or at
    once in the caller's thread when it is done already. Either way no thread waits for another."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._done = False
        self._error: BaseException | None = None
        self._step: Callable[[BaseException | None], None] | None = None
        _SYNCS.submit(self._sync)

    def _sync(self) -> None:
        try:
            _sync_file(self._path)
        except BaseException as error:  # handed to the step, which reports it
            self._error = error
        with self._lock:
            self._done = True
            step, self._step = self._step, None
        if step is not None:
            step(self._error)

    def then(self, step: Callable[[BaseException | None], None]) -> None:
        """Run `step(error)` once the fsync is done (one step per file)."""
        with self._lock:
            if not self._done:
                assert self._step is None, "one step per staged file"
                self._step = step
                return
        step(self._error)


class FileStager:
    """Receives one upload chunk by chunk: hashes it, enforces the limit, types it by content."""

    def __init__(self, files_dir: Path, *, original_name: str, max_bytes: int) -> None:
        staging = files_dir / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        self.path = staging / f"{uuid.uuid4().hex}.part"
        self.original_name = safe_filename(original_name)
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._sniffer: _TextSniffer | None = _TextSniffer()
        self._file = self.path.open("xb")

    def write(self, chunk: bytes | memoryview) -> None:
        """Append a chunk; refuse as soon as the file passes the size limit."""
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.discard()
            raise UploadTooLarge(
                f"“{self.original_name}” is larger than the limit of {self._max_bytes} bytes."
            )
        if len(self._head) < len(_PDF_MAGIC):
            self._head = (self._head + chunk)[: len(_PDF_MAGIC)]
            if self._head.startswith((_PDF_MAGIC, _ZIP_MAGIC)):
                self._sniffer = None  # binary: typed by magic (and zip content) instead
        if self._sniffer is not None:
            self._sniffer.feed(chunk)
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        """Close the file and type it: PDF by magic, DOCX as a Word zip, else UTF-8/GB18030 text."""
        self._file.close()
        if self._size == 0:
            self.discard()
            raise EmptyFile(f"“{self.original_name}” is empty.")
        media_type = self._media_type()
        if media_type is None:
            self.discard()
            raise UnsupportedFileType(
                f"“{self.original_name}” is not a PDF, DOCX or plain-text (UTF-8/GB18030) file; "
                "its content decides the type, not its name."
            )
        claimed = _CLAIMED_BY_SUFFIX.get(PurePosixPath(self.original_name).suffix.lower())
        if claimed is not None and media_type not in claimed:
            self.discard()
            raise UnsupportedFileType(
                f"“{self.original_name}” is named like {claimed[0]} but its content is "
                f"{media_type}; upload the real file or name it for what it is."
            )
        synced = ContentSync(self.path) if FSYNC else None
        return StagedFile(
            self.path, self._hash.hexdigest(), self._size, media_type, self.original_name, synced
        )

    def discard(self) -> None:
        """Close and remove the partial file."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)

    def _media_type(self) -> str | None:
        if self._head.startswith(_PDF_MAGIC):
            return PDF
        if self._head.startswith(_ZIP_MAGIC):
            return DOCX if _is_word_document(self.path) else None
        if self._sniffer is None:
            return None
        self._sniffer.feed(b"", final=True)
        return self._sniffer.media_type


def _is_word_document(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def storage_path_for(sha256: str) -> str:
    """Where content with this hash lives, relative to files_dir: ab/cd/<sha256>."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store_file(
    *, session: Session, files_dir: Path, staged: StagedFile, at: datetime
) -> StoredFile:
    """Keep the staged content once (dedup by sha256), read-only, and return its row. The content
    is moved to its content-addressed path and synced in the background; the session's commit
    waits for that before the database commits."""
    place_file(session=session, files_dir=files_dir, staged=staged)
    return insert_stored_file(session, stored_file_values(staged, at))


def insert_stored_file(session: Session, values: dict[str, Any]) -> StoredFile:
    """Write the stored_files row with these values, or find the one recorded before for this
    content; either way as recorded, with its id. One statement instead of look-up, savepoint,
    insert: a row that exists already (or that a concurrent upload of the same content inserts
    first) makes the insert do nothing."""
    new_id = execute_one(session.connection(), _insert_stored_file(), values)
    if new_id is not None:
        return new_row(StoredFile, id=new_id, **values)
    existing = session.exec(
        select(StoredFile).where(col(StoredFile.sha256) == values["sha256"])
    ).first()
    if existing is None:
        raise AssertionError(f"stored file {values['sha256']} neither inserted nor found")
    return existing


def file_to_store(
    *, session: Session, files_dir: Path, staged: StagedFile, at: datetime
) -> StoredFile:
    """`store_file` without writing the row: the content is placed in the same way, and the row,
    returned without an id, is left for the caller's own statement to write (with the rows that
    point to it, in one round trip: services/intake/rows.py `insert_new_document`)."""
    place_file(session=session, files_dir=files_dir, staged=staged)
    return new_row(StoredFile, **stored_file_values(staged, at))


def place_file(*, session: Session, files_dir: Path, staged: StagedFile) -> None:
    """Start moving the staged content to its content-addressed path; the session's commit waits
    for it."""
    target = files_dir / storage_path_for(staged.sha256)
    # Stored bytes are immutable and named by their hash: content already there was kept (and
    # synced) by an earlier upload, whose transaction may have failed, so the row may be missing.
    placement = _Placement(staged, target, already_stored=target.exists())
    _PLACEMENTS.submit(placement.begin)
    session.info.setdefault(_PLACING, []).append(placement.placed)


def stored_file_values(staged: StagedFile, at: datetime) -> dict[str, Any]:
    """The columns of the stored_files row of this content (all but its id)."""
    return {
        "sha256": staged.sha256,
        "size_bytes": staged.size_bytes,
        "media_type": staged.media_type,
        "original_name": staged.original_name,
        "storage_path": storage_path_for(staged.sha256),
        "created_at": at,
    }


@dataclass(frozen=True, slots=True)
class _Placement:
    """Moving one staged upload to its content-addressed path, durably; `placed` is done when the
    content is there and synced (or holds why it is not)."""

    staged: StagedFile
    target: Path
    already_stored: bool
    placed: Future[None] = field(default_factory=Future)

    def begin(self) -> None:
        """In the placement pool: what does not need the content's fsync, then the rest after it."""
        try:
            if self.already_stored or self.target.exists():
                # Its writer synced the content before the rename; its directory entry may still
                # be on the way (a concurrent upload), so the directory is synced all the same.
                self.staged.discard()
                _sync_directory(self.target.parent)
                self.placed.set_result(None)
                return
            # New directories' entries (each lives in its parent) are synced while the content's
            # fsync is still running: after it, only the rename's own entry is left to sync.
            for directory in _make_directories(self.target.parent):
                _sync_directory(directory.parent)
        except BaseException as error:  # reported by the commit that waits for it
            self.placed.set_exception(error)
            return
        self.staged.after_synced(self._rename)

    def _rename(self, sync_error: BaseException | None) -> None:
        try:
            if sync_error is not None:
                raise sync_error
            os.chmod(self.staged.path, 0o444)
            os.replace(self.staged.path, self.target)
            _sync_directory(self.target.parent)
        except BaseException as error:  # reported by the commit that waits for it
            self.placed.set_exception(error)
        else:
            self.placed.set_result(None)


@sa.event.listens_for(OrmSession, "before_commit")
def _wait_for_placements(session: OrmSession) -> None:
    """Runs before every commit, for every session: the files this unit of work stored are in
    their content-addressed paths, synced (a failed placement fails the commit)."""
    placing: list[Future[None]] = session.info.pop(_PLACING, [])
    for future in placing:
        future.result()


@sa.event.listens_for(OrmSession, "after_soft_rollback")
def _settle_placements(session: OrmSession, _previous: Any) -> None:
    """A rolled-back unit of work lets its placements finish first (their errors no longer
    matter), so that a retry or a discard of the staged files never races with them."""
    if session.in_transaction():
        return  # a savepoint: the outer transaction's commit still waits for them
    for future in session.info.pop(_PLACING, []):
        future.exception()


def _make_directories(directory: Path) -> list[Path]:
    """Create the directory and any missing parents; the ones that were missing (a concurrent
    upload may create some first: their entries are synced all the same)."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return missing


def _sync_file(path: Path) -> None:
    if not FSYNC:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(path: Path) -> None:
    if not FSYNC:
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@lru_cache(maxsize=1)
def _insert_stored_file() -> sa.TextClause:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id into stored_files (the same SQL on SQLite and
    PostgreSQL). Written as text with typed parameters because SQLAlchemy's dialect `insert()
    .on_conflict_do_nothing()` has no cache key: it was compiled anew on every upload (~0.3 ms);
    a text statement is compiled once and then found in the engine's compiled cache."""
    table = table_of(StoredFile)
    columns = [column for column in table.c if column.key != "id"]
    names = ", ".join(column.name for column in columns)
    params = ", ".join(f":{column.key}" for column in columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) VALUES ({params}) ON CONFLICT DO NOTHING RETURNING id"
    )
    return sa.text(sql).bindparams(*(sa.bindparam(c.key, type_=c.type) for c in columns))
