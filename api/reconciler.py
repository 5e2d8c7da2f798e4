"""Starting reviews after the transaction commits, and the reconciler that starts any review
Prefect missed (unreachable, deployment not yet registered): at start-up and periodically."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.deps import WRITE, now
from api.review_starter import ReviewStarter
from models.db import session_scope
from services.review.starts import (
    ReviewToStart,
    record_review_started,
    versions_awaiting_review_start,
)

log = logging.getLogger("gongkai.reconciler")
SWEEP_BATCH = 100


def _record(engine: Engine, review: ReviewToStart, flow_run_id: str) -> None:
    # A write unit of work: on SQLite it takes the write lock at BEGIN, so a burst of starts queues
    # instead of failing with "database is locked" (api/deps.py).
    with session_scope(engine.execution_options(**{WRITE: True})) as session:
        record_review_started(
            session=session,
            document_id=review.document_id,
            version_id=review.version_id,
            flow_run_id=flow_run_id,
            at=now(),
        )


async def start_review(engine: Engine, starter: ReviewStarter, review: ReviewToStart) -> bool:
    """Start one version's review and record its flow run; False when Prefect did not answer."""
    flow_run_id = await starter.start(review)
    if flow_run_id is None:
        return False
    await run_in_threadpool(_record, engine, review, flow_run_id)
    return True


def _awaiting(engine: Engine) -> list[ReviewToStart]:
    with session_scope(engine) as session:
        return versions_awaiting_review_start(session=session, limit=SWEEP_BATCH)


async def sweep(engine: Engine, starter: ReviewStarter) -> int:
    """Start the reviews of submitted versions that have none; stops at the first failure."""
    started = 0
    for review in await run_in_threadpool(_awaiting, engine):
        if not await start_review(engine, starter, review):
            break  # Prefect is down: the next sweep tries again
        started += 1
    if started:
        log.info("reconciler started %d review(s)", started)
    return started


async def sweep_forever(engine: Engine, starter: ReviewStarter, interval: float) -> None:
    """Sweep at start-up, then every interval seconds (interval 0: once only)."""
    while True:
        try:
            await sweep(engine, starter)
        except Exception:  # a sweep must never kill the app; the next one retries
            log.exception("reconciler sweep failed")
        if interval <= 0:
            return
        await anyio.sleep(interval)
