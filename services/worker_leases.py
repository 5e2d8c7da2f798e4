"""Which workers are alive and which runs they execute (issue 24).

Each serve process holds a lease (`register_worker`) that it renews every few seconds; each
worker claims a run as soon as its runner takes it (Pending, Submitting), the runs it holds with
each renewal, and each flow run claims itself when its flow starts (`claim_run`); a worker's
claim on a run none of its processes executes any more ends with its next renewal
(`hold_runs`). A run that Prefect still counts as executing (Running, Pending, Cancelling) is
orphaned when it was claimed since it entered that state and the claiming worker's lease has
lapsed, or, unclaimed since then, when it has been in that state as long as a lease may go
unrenewed. Only orphaned runs are rescheduled: never a sibling's live run. A claim made before
the run's current state (an earlier execution, before it suspended and resumed elsewhere)
covers nothing. The claims of gone workers on runs no longer executing tell which suspended
runs may lack their form (`claims_of_gone_workers`), and end once looked at (`end_claim`).

Why our own lease: Prefect records no link from a served run to the runner that executes it (the
runner sets no infrastructure id, and has no worker row outside work pools), and its flow-run
heartbeats are events sent by the flow-run process itself, at most every 30 s, none while Pending.
Timestamps come from each worker's clock; the lapse (LEASE_LAPSE) is far above clock skew on
hosts kept in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from models.workers import RunClaim, WorkerLease
from services.timestamps import require_aware

LEASE_RENEWAL = timedelta(seconds=3)  # how often a live worker renews its lease
LEASE_LAPSE = timedelta(seconds=15)  # a lease not renewed for this long: its worker is gone
# A live worker claims a run right after each state its runner proposes (Pending, Submitting),
# its flow claims it when it starts Running, and every renewal claims what the worker holds: an
# executing run goes unclaimed at most until the next renewal. Unclaimed for as long as a lease
# may go unrenewed, its worker died between a state and its claim.
UNCLAIMED_GRACE = LEASE_LAPSE
KEPT_FOR = timedelta(days=1)  # leases and claims of workers gone this long are forgotten


@dataclass(frozen=True)
class ExecutingRun:
    """A run Prefect counts as executing, and since when it is in its state."""

    flow_run_id: str
    state_since: datetime


def register_worker(*, session: Session, worker_id: str, host: str, pid: int, at: datetime) -> None:
    """A worker starts: its lease, renewed from now on."""
    at = require_aware(at)
    session.add(WorkerLease(id=worker_id, host=host, pid=pid, started_at=at, seen_at=at))
    session.flush()


def renew_lease(*, session: Session, worker_id: str, at: datetime) -> bool:
    """The worker is alive at `at`; False when its lease is gone (released, or forgotten)."""
    lease = session.get(WorkerLease, worker_id)
    if lease is None:
        return False
    lease.seen_at = require_aware(at)
    session.add(lease)
    session.flush()
    return True


def release_worker(*, session: Session, worker_id: str) -> None:
    """A worker stops: its lease ends now, so its runs need not wait for the lapse."""
    lease = session.get(WorkerLease, worker_id)
    if lease is not None:
        session.delete(lease)
        session.flush()


def claim_run(*, session: Session, flow_run_id: str, worker_id: str, at: datetime) -> None:
    """The run is executed by this worker at `at`."""
    claim = session.get(RunClaim, flow_run_id)
    if claim is None:
        claim = RunClaim(flow_run_id=flow_run_id, worker_id=worker_id, claimed_at=at)
    claim.worker_id = worker_id
    claim.claimed_at = require_aware(at)
    session.add(claim)
    session.flush()


def hold_runs(*, session: Session, worker_id: str, run_ids: set[str], at: datetime) -> None:
    """A worker's renewal: its processes execute exactly these runs at `at`. Each is claimed, and
    the worker's claims made before `at` on any other run end: the process behind such a claim
    has ended. (A process that lingers a moment after its run suspended is still claimed; if the
    run resumed meanwhile and went to another worker that then died, that claim, newer than the
    run's state and held by a live worker, would keep the run from ever being rescheduled.)"""
    at = require_aware(at)
    for run_id in sorted(run_ids):  # one order: no deadlock between workers
        claim_run(session=session, flow_run_id=run_id, worker_id=worker_id, at=at)
    session.exec(
        delete(RunClaim).where(
            col(RunClaim.worker_id) == worker_id,
            col(RunClaim.claimed_at) < at,
            col(RunClaim.flow_run_id).not_in(run_ids),
        )
    )
    session.flush()


def _alive(lease: WorkerLease | None, at: datetime) -> bool:
    return lease is not None and lease.seen_at >= at - LEASE_LAPSE


def recovering_worker(*, session: Session, at: datetime) -> str | None:
    """The worker that reschedules orphaned runs: the longest-running live one (one at a time,
    so two workers never hand back the same run)."""
    leases = session.exec(
        select(WorkerLease).order_by(col(WorkerLease.started_at), col(WorkerLease.id))
    ).all()
    return next((lease.id for lease in leases if _alive(lease, require_aware(at))), None)


def orphaned_runs(
    *, session: Session, executing: Sequence[ExecutingRun], at: datetime
) -> list[str]:
    """Of these executing runs, those whose worker is gone (see the module's rule)."""
    at = require_aware(at)
    orphaned: list[str] = []
    for run in executing:
        claim = session.get(RunClaim, run.flow_run_id)
        if claim is None or claim.claimed_at < run.state_since:
            gone = run.state_since < at - UNCLAIMED_GRACE
        else:
            gone = not _alive(session.get(WorkerLease, claim.worker_id), at)
        if gone:
            orphaned.append(run.flow_run_id)
    return orphaned


def claims_of_gone_workers(*, session: Session, at: datetime) -> list[RunClaim]:
    """The claims held by workers whose lease has lapsed or ended: no process of theirs is left
    (each dies with its worker), so nothing of theirs is still under way on these runs."""
    alive = select(WorkerLease.id).where(
        col(WorkerLease.seen_at) >= require_aware(at) - LEASE_LAPSE
    )
    query = select(RunClaim).where(col(RunClaim.worker_id).not_in(alive))
    return list(session.exec(query.order_by(col(RunClaim.flow_run_id))).all())


def end_claim(*, session: Session, flow_run_id: str, worker_id: str) -> None:
    """The worker's claim on the run ends (a newer claim of another worker stays)."""
    session.exec(
        delete(RunClaim).where(
            col(RunClaim.flow_run_id) == flow_run_id, col(RunClaim.worker_id) == worker_id
        )
    )
    session.flush()


def forget_gone_workers(*, session: Session, at: datetime) -> int:
    """Drop the leases of workers gone for KEPT_FOR, and claims as old; how many leases."""
    before = require_aware(at) - KEPT_FOR
    leases = session.exec(select(WorkerLease).where(col(WorkerLease.seen_at) < before)).all()
    for lease in leases:
        session.delete(lease)
    session.exec(delete(RunClaim).where(col(RunClaim.claimed_at) < before))
    session.flush()
    return len(leases)
