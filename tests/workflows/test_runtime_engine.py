"""Flow runs in a burst write our database at once (issue 24): on SQLite each unit of work of a
flow run's tasks takes the write lock when it begins (BEGIN IMMEDIATE), so that one that read
before another's commit queues for the lock instead of failing with "database is locked"."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from models.workers import RunClaim
from services.worker_leases import claim_run
from workflows import runtime

WRITERS = 8
ROUNDS = 5


@pytest.mark.usefixtures("configured")
def test_concurrent_units_of_work_of_flow_runs_all_commit(database_url: str) -> None:
    """Eight writers at once, each reading a row and writing it a moment later (as a task
    reads a document, then records its step): every unit of work commits (on PostgreSQL the
    writers queue on the row's lock)."""
    with runtime.unit_of_work() as session:
        claim_run(session=session, flow_run_id="run-1", worker_id="first", at=runtime.now())
    start = threading.Barrier(WRITERS)

    def write(worker: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            with runtime.unit_of_work() as session:
                session.get(RunClaim, "run-1")  # the read that opens the transaction
                time.sleep(0.02)  # another writer commits meanwhile
                claim_run(
                    session=session,
                    flow_run_id="run-1",
                    worker_id=f"worker-{worker}-{round_}",
                    at=runtime.now(),
                )

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for future in [pool.submit(write, n) for n in range(WRITERS)]:
            future.result()  # raises the first writer's error, if any
    with Session(runtime.engine()) as session:
        claim = session.get(RunClaim, "run-1")
    assert claim is not None
    assert claim.worker_id.endswith(f"-{ROUNDS - 1}")  # the last round of some writer
