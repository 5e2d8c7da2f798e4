"""Documents waiting for review (issue 6): `.venv/bin/python bench/bench_waiting.py
[--documents N] [--synthetic M] [--decisions K] [--prefect-db postgresql|sqlite]`.

On the stack of bench_review_start.py (Prefect server, one serve process with its default
limit of 4 flow-run processes, the real API; our database on PostgreSQL):

1. N documents go the full way: POST /documents one after the other, then the clock runs until
   every one waits for the secrecy reviewer (its run Suspended, its form stored). Prints the
   rate, and the peak of serve's child processes while they were being processed.
2. M synthetic waiting documents are added in bulk when the full way is too slow for the size
   asked (documented approach): copies of a real waiting document's row in our table, each with
   its own flow run of the review deployment created in Prefect and set Suspended (as prefect.md
   §6.5 did) — the rows and runs the office's queries and Prefect's services see, without the
   processes that made them.
3. While they all wait: serve's child processes (goal 0), RSS of the Prefect server and of
   serve against the same processes idle before the first document (ratios).
4. The office's list: GET /documents?status=secrecy_review (first page and total) against the
   same request on a status with no documents; Prefect's filter for Suspended runs (count and
   a page of 200) against the same filter on an empty state.
5. K REST decisions: POST /documents/{id}/decisions (approve) → the run has suspended again at
   sign-off with its form stored; against the bare flow of bench/bare_review.py resumed through
   Prefect's API → suspended again at its second step (same serve, same run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_review_start import (  # noqa: E402
    Stack,
    bare_start,
    children_of,
    document_row,
    document_waiting,
    form_ready,
    on_server,
    rss_mb,
    stack,
    upload,
    wait_for,
)


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its descendants (the server runs its services in-process)."""
    total = rss_mb(pid)
    for child in children_of(pid):
        total += tree_rss_mb(child)
    return total


def timed(call: Any, times: int = 15) -> float:
    """Median wall time of call(), ms (after one warm-up call)."""
    call()
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def full_way(st: Stack, client: Any, count: int) -> tuple[list[int], float, int]:
    """count documents uploaded and waiting; (ids, seconds, peak serve children)."""
    peak = 0
    t0 = time.perf_counter()
    # The API probes Prefect with one start at a time until it has answered once (uploads in
    # between are left to the reconciler, off here): the first document goes alone.
    ids = [upload(st, 1000)]
    wait_for(lambda: document_row(st, ids[0])[1], 60, "the first review start")
    ids += [upload(st, 1000 + n) for n in range(1, count)]
    pending = set(ids)
    while pending:
        peak = max(peak, len(children_of(st.serve.pid)))
        for document_id in list(pending):
            if document_waiting(st, client, document_id, "secrecy_review"):
                pending.discard(document_id)
        if time.perf_counter() - t0 > 120 + 10 * count:
            raise TimeoutError(f"{len(pending)} documents never reached the reviewer")
        time.sleep(0.5)
    return ids, time.perf_counter() - t0, peak


def synthetic(st: Stack, client: Any, template_id: int, count: int) -> float:
    """count waiting documents copied from a real one, each with a Suspended run; seconds."""
    import sqlalchemy as sa
    from prefect.states import Running, Suspended

    from models.documents import Document

    deployment = client.read_deployment_by_name("document-review/default")
    t0 = time.perf_counter()
    with st.engine.begin() as db:
        row = (
            db.execute(sa.select(Document.__table__).where(Document.__table__.c.id == template_id))
            .mappings()
            .one()
        )
        base = {
            k: v for k, v in row.items() if k not in ("id", "flow_run_id", "doc_number", "title")
        }
        for n in range(count):
            run = client.create_flow_run_from_deployment(
                deployment.id,
                parameters={"document_id": -1 - n, "version_id": base["current_version_id"]},
                name=f"synthetic-{n}",
                tags=["gongkai", "document-review", "synthetic"],
                # Never Scheduled: a runner that picks a run up as it turns Paused dies of the
                # Pending refusal (prefect 3.8.8-3.9.1 runner without workflows/runner_guard.py).
                state=Running(),
            )
            client.set_flow_run_state(
                run.id, Suspended(timeout_seconds=180 * 24 * 3600), force=True
            )
            db.execute(
                sa.insert(Document.__table__).values(
                    **base, title=f"{row['title']}（副本{n}）", flow_run_id=str(run.id)
                )
            )
            if n and n % 500 == 0:
                print(
                    f"  … {n} synthetic waiting documents ({n / (time.perf_counter() - t0):.0f}/s)",
                    flush=True,
                )
    return time.perf_counter() - t0


def decisions(st: Stack, client: Any, ids: list[int]) -> tuple[list[float], list[float]]:
    """REST decision → next form ready, for each id; and the bare flow's resume → next form."""
    headers = {"Authorization": f"Bearer {st.tokens['reviewer']}"}
    bare_runs = [on_server(st.prefect_api, bare_start, client, 5000 + n) for n in range(len(ids))]
    for run in bare_runs:
        wait_for(lambda run=run: form_ready(client, run), 300, "bare waiting", every=0.2)
    real, bare = [], []
    for document_id, run in zip(ids, bare_runs, strict=True):
        t0 = time.perf_counter()
        answer = httpx.post(
            f"{st.api}/documents/{document_id}/decisions",
            json={"step": "secrecy_review", "decision": "approve"},
            headers=headers,
            timeout=60,
        )
        answer.raise_for_status()
        wait_for(
            lambda d=document_id: document_waiting(st, client, d, "awaiting_signoff"),
            180,
            "signoff",
        )
        real.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        client.resume_flow_run(run, run_input={"decision": "approve", "reviewer": "bench"})
        wait_for(lambda r=run: second_form(client, r), 180, "bare second step")
        bare.append(time.perf_counter() - t0)
    return real, bare


def second_form(client: Any, run: UUID) -> bool:
    state = client.read_flow_run(run).state
    keyset = state.state_details.run_input_keyset if state is not None else None
    return bool(keyset and keyset["schema"].endswith("-2-schema") and form_ready(client, run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20, help="full-way documents")
    parser.add_argument("--synthetic", type=int, default=200, help="bulk waiting documents")
    parser.add_argument("--decisions", type=int, default=5)
    parser.add_argument("--prefect-db", choices=("sqlite", "postgresql"), default="postgresql")
    args = parser.parse_args(argv)
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )

    # Our database on PostgreSQL too: with many flow-run processes and the API writing at once,
    # SQLite's single writer makes the API's record of a started run fail ("database is
    # locked"; the reconciler records it later), which would blur what is measured here.
    with stack(args.prefect_db, our_db="postgresql") as st, st.client() as client:
        time.sleep(3)
        idle_server, idle_serve = tree_rss_mb(st.server.pid), tree_rss_mb(st.serve.pid)
        ids, seconds, peak = full_way(st, client, args.documents)
        rate = args.documents / seconds
        print(
            f"full way: {args.documents} documents uploaded and waiting in {seconds:.1f} s "
            f"({rate:.2f}/s, {seconds / args.documents:.2f} s each; 1,000 would take about "
            f"{1000 / rate / 60:.0f} min); peak flow-run processes while processing {peak} "
            f"(serve limit 4)",
            flush=True,
        )
        if args.synthetic:
            took = synthetic(st, client, ids[0], args.synthetic)
            print(
                f"bulk: {args.synthetic} synthetic waiting documents (row + Suspended run each) "
                f"in {took:.1f} s ({args.synthetic / took:.0f}/s)",
                flush=True,
            )
        waiting = args.documents + args.synthetic
        time.sleep(5)
        if st.serve.poll() is not None:
            raise RuntimeError(f"serve exited ({st.serve.returncode}); see {st.workdir}")
        held = len(children_of(st.serve.pid))
        server_mb, serve_mb = tree_rss_mb(st.server.pid), tree_rss_mb(st.serve.pid)
        print(
            f"{waiting} documents waiting: flow-run processes held {held} (goal 0); Prefect "
            f"server RSS {server_mb:.0f} MB ({server_mb / idle_server:.2f}× idle "
            f"{idle_server:.0f} MB); serve RSS {serve_mb:.0f} MB ({serve_mb / idle_serve:.2f}× "
            f"idle {idle_serve:.0f} MB)",
            flush=True,
        )
        office = {"Authorization": f"Bearer {st.tokens['office']}"}

        def listing(status: str) -> Any:
            def call() -> None:
                page = httpx.get(f"{st.api}/documents", params={"status": status}, headers=office)
                page.raise_for_status()

            return call

        total = httpx.get(
            f"{st.api}/documents", params={"status": "secrecy_review"}, headers=office
        ).json()["total"]
        listed = timed(listing("secrecy_review"))
        empty = timed(listing("published"))

        def suspended(name: str, page: bool) -> Any:
            flt = FlowRunFilter(state=FlowRunFilterState(name=FlowRunFilterStateName(any_=[name])))

            def call() -> None:
                if page:
                    client.read_flow_runs(flow_run_filter=flt, limit=200)
                else:
                    client.count_flow_runs(flow_run_filter=flt)

            return call

        count_ms, count_empty = (
            timed(suspended("Suspended", False)),
            timed(suspended("Cancelled", False)),
        )
        page_ms, page_empty = (
            timed(suspended("Suspended", True), 5),
            timed(suspended("Cancelled", True), 5),
        )
        print(
            f"office list GET /documents?status=secrecy_review (total {total}, first page of 50): "
            f"{listed:.0f} ms, {listed / empty:.2f}× the same list on an empty status "
            f"({empty:.0f} ms); Prefect count of Suspended runs {count_ms:.0f} ms "
            f"({count_ms / count_empty:.2f}× empty), a page of 200 {page_ms:.0f} ms "
            f"({page_ms / page_empty:.2f}× empty)",
            flush=True,
        )
        real, bare = decisions(st, client, ids[: args.decisions])
        r, b = statistics.median(real), statistics.median(bare)
        print(
            f"REST decision → run suspended at sign-off with its form stored: median {r:.2f} s "
            f"(min {min(real):.2f}, max {max(real):.2f}); bare flow resume → its next form "
            f"{b:.2f} s; ratio {r / b:.2f}× ({len(real)} decisions, with {waiting} waiting)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
