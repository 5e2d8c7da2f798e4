"""Which runs are orphaned (issue 24): by the lease of the worker that claimed them, never a
live sibling's; unclaimed only after the grace; a claim older than the run's state covers
nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.workers import WorkerLease
from services.worker_leases import (
    KEPT_FOR,
    LEASE_LAPSE,
    UNCLAIMED_GRACE,
    ExecutingRun,
    claim_run,
    forget_gone_workers,
    orphaned_runs,
    recovering_worker,
    register_worker,
    release_worker,
    renew_lease,
)
from tests.factories import T0


def _workers(session: Session) -> None:
    register_worker(session=session, worker_id="old", host="h", pid=1, at=T0)
    register_worker(session=session, worker_id="new", host="h", pid=2, at=T0 + timedelta(1))


def test_a_run_claimed_by_a_live_worker_is_never_orphaned(session: Session) -> None:
    _workers(session)
    at = T0 + timedelta(days=1, seconds=10)
    renew_lease(session=session, worker_id="old", at=at)
    claim_run(session=session, flow_run_id="r", worker_id="old", at=at)
    long_running = ExecutingRun("r", state_since=at - timedelta(hours=1))
    assert orphaned_runs(session=session, executing=[long_running], at=at + LEASE_LAPSE) == []


def test_a_run_whose_worker_stopped_renewing_is_orphaned_once_the_lease_lapses(
    session: Session,
) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    claim_run(session=session, flow_run_id="r", worker_id="new", at=at)
    run = ExecutingRun("r", state_since=at - timedelta(seconds=1))
    assert orphaned_runs(session=session, executing=[run], at=at + LEASE_LAPSE) == []
    lapsed = at + LEASE_LAPSE + timedelta(seconds=1)
    assert orphaned_runs(session=session, executing=[run], at=lapsed) == ["r"]


def test_a_released_worker_s_runs_are_orphaned_at_once(session: Session) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    claim_run(session=session, flow_run_id="r", worker_id="new", at=at)
    release_worker(session=session, worker_id="new")
    run = ExecutingRun("r", state_since=at)
    assert orphaned_runs(session=session, executing=[run], at=at) == ["r"]
    assert renew_lease(session=session, worker_id="new", at=at) is False


def test_an_unclaimed_run_waits_for_the_grace_then_is_orphaned(session: Session) -> None:
    at = T0 + timedelta(days=1)
    pending = ExecutingRun("p", state_since=at)
    assert orphaned_runs(session=session, executing=[pending], at=at + UNCLAIMED_GRACE) == []
    later = at + UNCLAIMED_GRACE + timedelta(seconds=1)
    assert orphaned_runs(session=session, executing=[pending], at=later) == ["p"]


def test_a_claim_from_an_earlier_execution_covers_nothing(session: Session) -> None:
    """Resumed elsewhere: the live worker that executed it before does not hold it now; the
    new worker gets the grace to claim it."""
    _workers(session)
    at = T0 + timedelta(days=1)
    claim_run(session=session, flow_run_id="r", worker_id="old", at=at)
    resumed = ExecutingRun("r", state_since=at + timedelta(hours=2))
    now = resumed.state_since + UNCLAIMED_GRACE + timedelta(seconds=1)
    renew_lease(session=session, worker_id="old", at=now)
    assert orphaned_runs(session=session, executing=[resumed], at=now) == ["r"]
    claim_run(session=session, flow_run_id="r", worker_id="old", at=resumed.state_since)
    assert orphaned_runs(session=session, executing=[resumed], at=now) == []


def test_the_longest_running_live_worker_recovers(session: Session) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    renew_lease(session=session, worker_id="old", at=at)
    renew_lease(session=session, worker_id="new", at=at)
    assert recovering_worker(session=session, at=at) == "old"
    later = at + LEASE_LAPSE + timedelta(seconds=1)
    renew_lease(session=session, worker_id="new", at=later)
    assert recovering_worker(session=session, at=later) == "new"
    assert recovering_worker(session=session, at=later + LEASE_LAPSE * 2) is None


def test_workers_gone_for_a_day_are_forgotten(session: Session) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    renew_lease(session=session, worker_id="new", at=at)
    assert forget_gone_workers(session=session, at=T0 + KEPT_FOR + timedelta(seconds=1)) == 1
    assert session.get(WorkerLease, "old") is None
    assert session.get(WorkerLease, "new") is not None
