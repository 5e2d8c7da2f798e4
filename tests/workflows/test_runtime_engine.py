"""Flow runs in a burst write our database at once (issue 24). On SQLite each unit of work of a
flow run's tasks takes the write lock when it begins (BEGIN IMMEDIATE, models.db
.make_writing_engine): writers queue for the lock for up to a minute instead of failing with
"database is locked" after SQLite's 5 s, and what a unit of work read before it writes is still
true when it commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from models.workers import RunClaim
from services.worker_leases import claim_run
from workflows import runtime

pytestmark = pytest.mark.usefixtures("configured")


def _at_once(writers: int, write: Callable[[int], None]) -> None:
    """Run write(n) for each writer on threads of its own, started together; raise the first
    error."""
    start = threading.Barrier(writers)

    def run(n: int) -> None:
        start.wait()
        write(n)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for future in [pool.submit(run, n) for n in range(writers)]:
            future.result()


def _claim(worker: str) -> None:
    with runtime.unit_of_work() as session:
        claim_run(session=session, flow_run_id="run-1", worker_id=worker, at=runtime.now())


def test_writers_that_hold_the_lock_for_seconds_all_commit(database_url: str) -> None:
    """Five flow runs' units of work at once, each writing and then working on for 1.5 s
    before its commit: the last waits 6 s for the lock, and commits."""
    _claim("first")

    def write(n: int) -> None:
        with runtime.unit_of_work() as session:
            claim_run(session=session, flow_run_id="run-1", worker_id=f"w{n}", at=runtime.now())
            time.sleep(1.5)

    _at_once(5, write)
    with Session(runtime.engine()) as session:
        claim = session.get(RunClaim, "run-1")
    assert claim is not None
    assert claim.worker_id != "first"


def test_a_unit_of_work_that_reads_then_writes_loses_no_concurrent_write(
    database_url: str,
) -> None:
    """Eight writers each read a count and write it back plus one, forty times in all: the
    count is forty (on SQLite the reads are inside the transaction that holds the lock;
    PostgreSQL's READ COMMITTED would need a row lock, which no flow-run service relies on)."""
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock at the start of the unit of work")
    _claim("0")

    def count(n: int) -> None:
        for _ in range(5):
            with runtime.unit_of_work() as session:
                claim = session.get(RunClaim, "run-1")
                assert claim is not None
                seen = int(claim.worker_id)
                time.sleep(0.01)  # another writer would commit here
                claim_run(
                    session=session,
                    flow_run_id="run-1",
                    worker_id=str(seen + 1),
                    at=runtime.now(),
                )

    _at_once(8, count)
    with Session(runtime.engine()) as session:
        claim = session.get(RunClaim, "run-1")
    assert claim is not None
    assert claim.worker_id == "40"
