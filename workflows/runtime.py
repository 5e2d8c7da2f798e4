"""What every task needs: settings, one engine per process, a unit of work, the clock."""

from __future__ import annotations

from collections.abc import Iterator
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
