"""Submitted versions whose review flow has not started: each is started once its submission
commits, and a sweep starts those Prefect missed (unreachable, deployment not yet registered) at
start-up and periodically, so that none is left behind."""

from __future__ import annotations

import logging

import anyio
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.deps import now
from api.review_starter import ReviewStarter
from models.db import session_scope
from services.review import ReviewToStart, record_review_started, versions_awaiting_review_start

log = logging.getLogger("gongkai.unstarted_reviews")
SWEEP_BATCH = 100


def _record(writer: Engine, review: ReviewToStart, flow_run_id: str) -> None:
    # The writing engine: on SQLite it takes the write lock at BEGIN, so a burst of starts queues
    # instead of failing with "database is locked" (api/deps.py).
    with session_scope(writer) as session:
        record_review_started(
            session=session,
            document_id=review.document_id,
            version_id=review.version_id,
            flow_run_id=flow_run_id,
            at=now(),
        )


async def start_review(writer: Engine, starter: ReviewStarter, review: ReviewToStart) -> bool:
    """Start one version's review and record its flow run; False when Prefect did not answer."""
    flow_run_id = await starter.start(review)
    if flow_run_id is None:
        return False
    await run_in_threadpool(_record, writer, review, flow_run_id)
    return True


def _awaiting(engine: Engine) -> list[ReviewToStart]:
    with session_scope(engine) as session:
        return versions_awaiting_review_start(session=session, limit=SWEEP_BATCH)


async def sweep(writer: Engine, starter: ReviewStarter) -> int:
    """Start the reviews of submitted versions that have none; stops at the first failure."""
    started = 0
    for review in await run_in_threadpool(_awaiting, writer):
        if not await start_review(writer, starter, review):
            break  # Prefect is down: the next sweep tries again
        started += 1
    if started:
        log.info("started %d review(s) that had not started", started)
    return started


async def sweep_forever(writer: Engine, starter: ReviewStarter, interval: float) -> None:
    """Sweep at start-up, then every interval seconds (interval 0: once only)."""
    while True:
        try:
            await sweep(writer, starter)
        except Exception:  # a sweep must never kill the app; the next one retries
            log.exception("the sweep of unstarted reviews failed")
        if interval <= 0:
            return
        await anyio.sleep(interval)
