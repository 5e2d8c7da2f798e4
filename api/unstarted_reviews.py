"""Runs that have not started: each document version's review, each material's secrecy review
and each application's handling is started once its transaction commits, and a sweep starts
those Prefect missed (unreachable, busy beyond the retries, deployment not yet registered) at
start-up and periodically, so that none is left behind. Prefect's idempotency key makes a start
the sweep repeats return the run already there."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial

import anyio
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import now
from api.review_starter import ReviewStarter
from models.db import session_scope
from services.applications import applications_awaiting_run_start, record_application_run_started
from services.review import (
    ReviewToStart,
    materials_awaiting_review_start,
    record_material_review_started,
    record_review_started,
    versions_awaiting_review_start,
)

log = logging.getLogger("gongkai.unstarted_reviews")
SWEEP_BATCH = 100
Record = Callable[[Session, str], None]


def _record(writer: Engine, record: Record, flow_run_id: str) -> None:
    # The writing engine: on SQLite it takes the write lock at BEGIN, so a burst of starts queues
    # instead of failing with "database is locked" (models/db.py make_serving_engine).
    with session_scope(writer) as session:
        record(session, flow_run_id)


async def _start(writer: Engine, start: Awaitable[str | None], record: Record) -> bool:
    flow_run_id = await start
    if flow_run_id is None:
        return False
    await run_in_threadpool(_record, writer, record, flow_run_id)
    return True


async def start_review(writer: Engine, starter: ReviewStarter, review: ReviewToStart) -> bool:
    """Start one version's review and record its flow run; False when Prefect did not answer."""

    def record(session: Session, run: str) -> None:
        record_review_started(
            session=session,
            document_id=review.document_id,
            version_id=review.version_id,
            flow_run_id=run,
            at=now(),
        )

    return await _start(writer, starter.start(review), record)


async def start_material_review(writer: Engine, starter: ReviewStarter, material_id: int) -> bool:
    """Start the secrecy review of material sent after intake and record its run."""

    def record(session: Session, run: str) -> None:
        record_material_review_started(session=session, material_id=material_id, run=run)

    return await _start(writer, starter.start_material_review(material_id), record)


async def start_application(writer: Engine, starter: ReviewStarter, application_id: int) -> bool:
    """Start the run handling an application and record it."""

    def record(session: Session, run: str) -> None:
        record_application_run_started(session=session, application_id=application_id, run=run)

    return await _start(writer, starter.start_application(application_id), record)


def _awaiting(engine: Engine) -> tuple[list[ReviewToStart], list[int], list[int]]:
    with session_scope(engine) as session:
        return (
            versions_awaiting_review_start(session=session, limit=SWEEP_BATCH),
            materials_awaiting_review_start(session=session, limit=SWEEP_BATCH),
            applications_awaiting_run_start(session=session, limit=SWEEP_BATCH),
        )


async def sweep(writer: Engine, starter: ReviewStarter) -> int:
    """Start the runs that have none: reviews, material reviews, applications; stops at the
    first failure (Prefect is down: the next sweep tries again)."""
    reviews, materials, applications = await run_in_threadpool(_awaiting, writer)
    starts: list[Callable[[], Awaitable[bool]]] = [
        *(partial(start_review, writer, starter, review) for review in reviews),
        *(partial(start_material_review, writer, starter, m) for m in materials),
        *(partial(start_application, writer, starter, a) for a in applications),
    ]
    started = 0
    for start in starts:
        if not await start():
            break
        started += 1
    if started:
        log.info("started %d run(s) that had not started", started)
    return started


async def sweep_forever(writer: Engine, starter: ReviewStarter, interval: float) -> None:
    """Sweep at start-up, then every interval seconds (interval 0: once only)."""
    while True:
        try:
            await sweep(writer, starter)
        except Exception:  # a sweep must never kill the app; the next one retries
            log.exception("the sweep of unstarted runs failed")
        if interval <= 0:
            return
        await anyio.sleep(interval)
