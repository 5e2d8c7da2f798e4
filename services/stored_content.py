"""Stored content read back only as it was recorded: the bytes under a content-addressed path
must still hash to the SHA-256 and size recorded when they were received, or none of them is
handed out.

The secrecy review (先审查、后公开: 保密法实施条例 2024 art. 42; 条例 art. 17) cleared the content
its record names by hash. Bytes changed in the files folder afterwards — by anyone who can write
it — were never reviewed, and the content-addressed path alone does not prove them: nothing
checks a name against its bytes unless it is checked here. Every door that hands stored bytes to
a person (the portal's downloads, the applicant's delivery link, the reviewer's download) opens
them with `open_verified` and sends them with `verified_chunks`; a reading of a file checks them
before and after it reads (services.reading.store), so no text is kept of unrecorded bytes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from models.files import StoredFile
from services.errors import DomainError, NotFound

logger = logging.getLogger("gongkai.storage")
CHUNK_BYTES = 1 << 16


class Recorded(Protocol):
    """What was recorded of a stored file when it was received (a StoredFile row, or a
    RecordedContent kept past its session)."""

    @property
    def id(self) -> int | None: ...
    @property
    def storage_path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RecordedContent:
    """A stored file's record as a value, usable after its session has ended."""

    id: int | None
    storage_path: str
    sha256: str
    size_bytes: int

    @classmethod
    def of(cls, stored: StoredFile) -> RecordedContent:
        """The record of a stored file's row."""
        return cls(stored.id, stored.storage_path, stored.sha256, stored.size_bytes)


class StoredContentMissing(NotFound):
    """The recorded content is not in the files folder."""


class StoredContentAltered(DomainError):
    """The bytes in the files folder no longer hash to their record: they were changed after
    they were received (and reviewed), so none of them goes out."""


def open_verified(*, files_dir: Path, stored: Recorded) -> BinaryIO:
    """The stored content, opened and checked against its recorded SHA-256 and size, positioned
    at its start: StoredContentMissing when absent, StoredContentAltered when changed. The bytes
    sent later come from this open file, whatever is renamed over its path meanwhile."""
    path = files_dir / stored.storage_path
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        raise StoredContentMissing(f"stored file {stored.id} is not in storage") from None
    try:
        digest, size = _digest(iter(lambda: handle.read(CHUNK_BYTES), b""))
        require_recorded(stored, digest, size)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def verified_chunks(handle: BinaryIO, stored: Recorded) -> Iterator[bytes]:
    """The opened content in chunks, hashed again as it is sent; the last chunk is held back
    until the whole hashes to the record, so content altered while it is sent never arrives
    whole (the response breaks off). Closes the file."""
    try:
        digest = hashlib.sha256()
        size = 0
        held: bytes | None = None
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
            if held is not None:
                yield held
            held = block
        require_recorded(stored, digest.hexdigest(), size)
        if held is not None:
            yield held
    finally:
        handle.close()


def check_path(path: Path, stored: Recorded) -> None:
    """Raise StoredContentAltered unless the file at `path` hashes to the stored record (a
    missing file is left to the caller, which says so in its own way)."""
    if not path.is_file():
        return
    require_recorded(stored, *digest_of(path))


def digest_of(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the file at `path`."""
    with path.open("rb") as handle:
        return _digest(iter(lambda: handle.read(CHUNK_BYTES), b""))


def require_recorded(stored: Recorded, sha256: str, size: int) -> None:
    """Raise StoredContentAltered (and log it for the office) unless the hash and size are the
    recorded ones."""
    if sha256 == stored.sha256 and size == stored.size_bytes:
        return
    logger.error(
        "stored file %s (%s) was altered on disk: recorded sha256 %s, %d bytes; found %s, %d bytes",
        stored.id,
        stored.storage_path,
        stored.sha256,
        stored.size_bytes,
        sha256,
        size,
    )
    raise StoredContentAltered(
        f"stored file {stored.id} no longer matches the content recorded (and reviewed) when it "
        "was received: none of it is served; restore it from the backup of the files folder"
    )


def _digest(blocks: Iterator[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for block in blocks:
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size
