"""Uploaded files: streamed to a staging file while hashed and size-checked, typed by content,
then moved to an immutable content-addressed path (design.md "Files").

Durability: a committed row never points at bytes a power loss can take away. The content is
fsynced before it is renamed into its content-addressed path (a torn file under a hash name would
be trusted by every later upload of that content), and the directory — with any directory made
for it — after the rename. The content's fsync starts in a thread pool as soon as the upload is
staged (`FileStager.finish`), so it overlaps receiving the rest of the request and writing the
rows; a directory still to be made is made and synced meanwhile in a second pool (two pools, so
that one never holds a worker the other needs). The thread that commits completes the placement
(`before_commit`: after the rows are written, before the database commits): it waits for the
fsync, renames, and syncs the directory. Doing that last step in the fsync's own thread, as soon
as the fsync returned, gained nothing: that thread could not take the GIL back from the unit of
work, so the rename ran only once the commit waited for it, after two hand-offs between threads.
A transaction that fails after `store_file` may leave the content stored with no row (harmless:
content-addressed and immutable; a later upload of it reuses it). Only a benchmark turns `FSYNC`
off, to measure its cost; the product never does.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import unicodedata
import uuid
import zipfile
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
    synced: Future[None] | None = field(default=None, compare=False, repr=False)

    def discard(self) -> None:
        """Remove the staging file (after a refusal, or when the content is already stored)."""
        self.path.unlink(missing_ok=True)

    def wait_synced(self) -> None:
        """Return once the content is on disk (raise the fsync's error if it failed)."""
        if self.synced is not None:
            self.synced.result()


class FileStager:
    """Receives one upload chunk by chunk: hashes it, enforces the limit, types it by content."""

    def __init__(self, files_dir: Path, *, original_name: str, max_bytes: int) -> None:
        self.path = files_dir / STAGING / f"{uuid.uuid4().hex}.part"
        self.original_name = safe_filename(original_name)
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._sniffer: _TextSniffer | None = _TextSniffer()
        try:
            self._file = self.path.open("xb")
        except FileNotFoundError:  # the first upload (or the folder was removed): make it
            self.path.parent.mkdir(parents=True, exist_ok=True)
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
        synced = _SYNCS.submit(_sync_file, self.path) if FSYNC else None
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
    """Keep the staged content once (dedup by sha256), read-only, and return its row. The
    session's commit moves the content to its content-addressed path, synced, before the
    database commits."""
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
    """Prepare moving the staged content to its content-addressed path; the session's commit
    completes it (`_Placement.complete`) before the database commits."""
    target = files_dir / storage_path_for(staged.sha256)
    directories = None
    if not target.parent.exists():  # made and synced meanwhile (rare: 65,536 of them in all)
        directories = _PLACEMENTS.submit(_make_directories, target.parent)
    session.info.setdefault(_PLACING, []).append(_Placement(staged, target, directories))


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
    """Moving one staged upload to its content-addressed path, durably, completed by the thread
    that commits (no hand-off to another thread on the request's path)."""

    staged: StagedFile
    target: Path
    directories: Future[None] | None = None

    def complete(self) -> None:
        """The content in its path and synced, or the error why it is not."""
        if self.directories is not None:
            self.directories.result()
        if self.target.exists():
            # Stored bytes are immutable and named by their hash: content already there was kept
            # by an earlier upload (whose transaction may have failed, so the row may be missing)
            # or a concurrent one. Its writer synced it before the rename; its directory entry
            # may still be on the way, so the directory is synced all the same.
            self.staged.discard()
            _sync_directory(self.target.parent)
            return
        self.staged.wait_synced()
        os.chmod(self.staged.path, 0o444)
        os.replace(self.staged.path, self.target)
        _sync_directory(self.target.parent)


@sa.event.listens_for(OrmSession, "before_commit")
def _wait_for_placements(session: OrmSession) -> None:
    """Runs before every commit, for every session: the files this unit of work stored are in
    their content-addressed paths, synced (a failed placement fails the commit)."""
    placing: list[_Placement] = session.info.pop(_PLACING, [])
    for placement in placing:
        placement.complete()


@sa.event.listens_for(OrmSession, "after_soft_rollback")
def _settle_placements(session: OrmSession, _previous: Any) -> None:
    """A rolled-back unit of work completes its placements all the same (their errors no longer
    matter): the content is kept, unreferenced, for a retry or a later upload of it."""
    if session.in_transaction():
        return  # a savepoint: the outer transaction's commit still completes them
    for placement in session.info.pop(_PLACING, []):
        with contextlib.suppress(Exception):
            placement.complete()


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
