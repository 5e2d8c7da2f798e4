"""Uploaded files: streamed to a staging file while hashed and size-checked, typed by content,
then placed under an immutable content-addressed path (design.md "Files").

Durability: a committed row never points at bytes a power loss can take away. The content is
fsynced before it is renamed into its content-addressed path (a torn file under a hash name would
be trusted by every later upload of that content), and the directory — with any directory made
for it — after the rename. The content's fsync starts in a thread pool as soon as the upload is
staged (`FileStager.finish`), so it overlaps receiving the rest of the request; `store_file` waits
for it, places the content and only then writes the row, all before the caller's transaction
commits. A transaction that fails after `store_file` leaves the content stored with no row
(harmless: content-addressed and immutable; a later upload of it reuses it). Only a benchmark
turns `FSYNC` off, to measure its cost; the product never does.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import unicodedata
import uuid
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

import sqlalchemy as sa
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, col, select

from models.db import table_of
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
    """Keep the staged content once (dedup by sha256), read-only and synced in its content-
    addressed path, and return its row: written now, or the one recorded before for this content
    (INSERT … ON CONFLICT DO NOTHING: also when a concurrent upload of it recorded it first)."""
    place_file(files_dir=files_dir, staged=staged)
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


def place_file(*, files_dir: Path, staged: StagedFile) -> None:
    """Move the staged content to its content-addressed path: synced before the rename, read-only,
    its directory synced after (content already there is kept and the staged copy dropped)."""
    target = files_dir / storage_path_for(staged.sha256)
    if target.exists():
        # Stored bytes are immutable and named by their hash: content already there was kept by
        # an earlier upload (whose transaction may have failed, so the row may be missing) or a
        # concurrent one. Its writer synced it before the rename; its directory entry may still
        # be on the way, so the directory is synced all the same.
        staged.discard()
        _sync_directory(target.parent)
        return
    _make_directories(target.parent)
    staged.wait_synced()
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
