"""Bursts of uploads on the embedded default (issue 24): `.venv/bin/python
bench/bench_review_burst.py [--spaced 26] [--every 2] [--burst 100] [--limit 4]`.

The embedded default as `make run` runs it: a Prefect server on SQLite, our database on SQLite,
`python -m workflows.serve` (its default limit of 4 flow-run processes) and the real API (in a
uvicorn thread of this process). The API's sweep of unstarted reviews is off, so that a review
the starter gave up on never reaches its form: every document counted as waiting got there
through the starter alone (with its retries of a 503 or a timeout), none through the 60 s sweep.

1. `--spaced` uploads `--every` seconds apart (the burst issue 24 saw: 5 of 26 review starts got
   a 503 and waited for the sweep);
2. then `--burst` uploads at once (25 concurrent clients).

For each: the time from the first upload until every document waits at its first form (status
`secrecy_review`, its run Suspended, the form's schema stored), the starter's retries and
give-ups, and the documents whose review never started. Target: 100 in a burst all at their
first form within 2 minutes, none left to the sweep. The machine is shared: the load average is
printed before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_review_latency import (  # noqa: E402
    Stack,
    form_ready,
    stack,
    tree_pids,
    upload,
    wait_for,
)

CONCURRENT_UPLOADS = 25
UPLOAD_TIMEOUT = 300  # an upload waits for SQLite's write lock behind the flow runs' writes


class StarterLog(logging.Handler):
    """Counts the review starter's retries and give-ups (its log, in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.given_up = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Prefect busy"):
            self.retries += 1
        elif "not started yet" in message:
            self.given_up += 1


def flow_run_processes(pid: int) -> list[int]:
    """The runner's flow-run processes: forks of its fork server (workflows/forkserver.py), or
    multiprocessing spawn children (not its fork server itself, nor its resource tracker)."""
    found = []
    for child in tree_pids(pid)[1:]:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            parent = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1]
            forked = b"multiprocessing.forkserver" in command and parent != str(pid)
            if forked or b"spawn_main" in command:
                found.append(child)
        except (OSError, IndexError):
            continue
    return found


def waiting(st: Stack, client: object, ids: list[int], done: set[int]) -> tuple[int, int]:
    """Adds to done the documents waiting at the secrecy reviewer's form; (started, waiting).
    Reads our table first and asks Prefect only about documents in `secrecy_review`, so that
    probing adds little load to the server under test."""
    from sqlmodel import Session, col, select

    from models.documents import Document

    with Session(st.engine) as session:
        rows = session.exec(
            select(Document.id, Document.status, Document.flow_run_id).where(
                col(Document.id).in_(ids)
            )
        ).all()
    started = sum(1 for _, _, run in rows if run)
    for document_id, status, run in rows:
        if document_id in done or run is None or status.value != "secrecy_review":
            continue
        if form_ready(client, UUID(run)):
            done.add(document_id)
    return started, len(done)


def measure(
    st: Stack, client: object, label: str, count: int, every: float, log: StarterLog, cap: float
) -> None:
    retries, given_up = log.retries, log.given_up
    ids: list[int] = []
    done: set[int] = set()
    t0 = time.perf_counter()
    answered: list[float] = []

    def timed_upload(n: int) -> int:
        start = time.perf_counter()
        document_id = upload(st, n, UPLOAD_TIMEOUT)
        answered.append(time.perf_counter() - start)
        return document_id

    with ThreadPoolExecutor(CONCURRENT_UPLOADS) as pool:
        futures = []
        for n in range(count):
            futures.append(pool.submit(timed_upload, 10_000 * (1 + len(label)) + n))
            if every:
                time.sleep(every)
        ids = [future.result() for future in futures]
    uploaded = time.perf_counter() - t0
    started = 0
    while len(done) < count and time.perf_counter() - t0 < cap:
        started, _ = waiting(st, client, ids, done)
        gave_up = log.given_up - given_up
        if gave_up and len(done) + gave_up >= count:
            break  # the rest were given up: they would wait for the sweep
        time.sleep(1)
    took = time.perf_counter() - t0
    print(
        f"{label}: {count} uploads in {uploaded:.1f} s (answer median "
        f"{statistics.median(answered):.1f} s, max {max(answered):.1f} s); every document at "
        f"its first form after "
        f"{took:.1f} s"
        + ("" if len(done) == count else f" — NOT: only {len(done)}")
        + f"; starter retries after a 503 or timeout {log.retries - retries}, given up "
        f"{log.given_up - given_up}; reviews never started (left to the sweep) "
        f"{count - started}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaced", type=int, default=26)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--limit", type=int, default=4, help="serve's flow-run processes")
    parser.add_argument("--give-up-after", type=float, default=900, help="seconds per phase")
    args = parser.parse_args(argv)
    log = StarterLog()
    logging.getLogger("gongkai.review_starter").addHandler(log)
    logging.getLogger("gongkai.review_starter").setLevel(logging.INFO)
    shown = logging.StreamHandler()  # the API's warnings and errors (it runs in this process)
    shown.setLevel(logging.WARNING)
    logging.getLogger("gongkai").addHandler(shown)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with stack("sqlite") as st:
        serve = subprocess.Popen(
            [sys.executable, "-m", "workflows.serve", "--limit", str(args.limit)],
            env=st.env,
            cwd=ROOT,
            stdout=(st.workdir / "serve-workflows.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        st.serves.append(serve)
        st.wait_served("document-review/default")
        with st.client() as client:
            # The starter's first probe goes alone (api/review_starter.py); then wait until the
            # scheduled flows serve starts on registering them have ended (idle runner).
            first = upload(st, 1)
            wait_for(lambda: waiting(st, client, [first], set())[1], 600, "the first form")
            wait_for(lambda: not flow_run_processes(serve.pid), 600, "an idle runner", 1)
            if args.spaced:
                measure(st, client, f"{args.spaced} spaced {args.every:g} s", args.spaced,
                        args.every, log, args.give_up_after)  # fmt: skip
            if args.burst:
                measure(
                    st, client, f"{args.burst} in a burst", args.burst, 0, log, args.give_up_after
                )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
