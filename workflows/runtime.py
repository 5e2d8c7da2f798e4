"""What every task needs: settings, one engine per process, a unit of work, the clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import get_settings
from models.db import make_writing_engine, session_scope
from policies.calendar import SHANGHAI
from services.reading.limits import ReadingLimits
from services.reading.store import files_to_read, keep_reading, read_unkept

# A human step waits as a suspended run, holding nothing; this is only a far backstop (prefect.md
# §2.4: expiry fails the run). Overdue is tracked in our deadlines table, not by Prefect.
SUSPEND_BACKSTOP_SECONDS = 180 * 24 * 3600


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine on the configured database, created once per flow-run process. On SQLite each
    unit of work takes the write lock when it begins: flow runs in a burst write concurrently."""
    return make_writing_engine(get_settings().database_url)


def reading_limits() -> ReadingLimits:
    """What reading one file may cost, from the settings."""
    s = get_settings()
    return ReadingLimits(
        max_decompressed_bytes=s.reading_max_decompressed_bytes,
        max_pages=s.reading_max_pages,
        max_chars=s.reading_max_chars,
        max_ocr_pages=s.reading_max_ocr_pages,
        max_seconds=s.reading_max_seconds,
        max_memory_bytes=s.reading_max_memory_bytes,
    )


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits once at the end (services never commit)."""
    with session_scope(engine()) as session:
        yield session


def read_ahead(
    file_ids_of: Callable[[Session], Sequence[int]],
    *,
    at: datetime,
    limits: ReadingLimits | None = None,
) -> int:
    """Read, before a step's unit of work, the files it will read (`file_ids_of`, the step's
    service function) that have no kept reading, with no transaction open while reading (on
    SQLite a unit of work holds the write lock: every other writer, uploads included, would
    wait behind a reading of seconds); keep each in a short unit of work of its own. The step
    then takes the kept rows and reads nothing. Returns how many files were read."""
    files_dir = get_settings().files_dir
    with unit_of_work() as session:
        unkept = files_to_read(session=session, file_ids=file_ids_of(session), files_dir=files_dir)
    for unread in unkept:
        reading = read_unkept(unread, limits or reading_limits())
        with unit_of_work() as session:
            keep_reading(session=session, file_id=unread.file_id, reading=reading, at=at)
    return len(unkept)


def as_of_instant(as_of: str | None) -> datetime:
    """The instant a scheduled run works for: `as_of` (ISO; without an offset it is read as
    Asia/Shanghai time), or now when it is empty (a run from the schedule)."""
    if not as_of or not as_of.strip():
        return now()
    moment = datetime.fromisoformat(as_of.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


def results_dir() -> Path:
    """Where task results are persisted: shared by every process that resumes a run."""
    return (get_settings().data_dir / "prefect-results").resolve()


def document_url(document_id: int) -> str:
    """The reviewer's page of the document (a browser sign-in opens it), for the form's link."""
    return f"{get_settings().api_base_url.rstrip('/')}/review/documents/{document_id}"
