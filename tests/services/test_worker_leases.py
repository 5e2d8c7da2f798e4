"""Which runs are orphaned (issue 24): by the lease of the worker that claimed them, never a
live sibling's; unclaimed only after the grace; a claim older than the run's state covers
nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.workers import RunClaim, WorkerLease
from services.worker_leases import (
    KEPT_FOR,
    LEASE_LAPSE,
    LEASE_RENEWAL,
    UNCLAIMED_GRACE,
    ExecutingRun,
    claim_run,
    claims_of_gone_workers,
    end_claim,
    forget_gone_workers,
    hold_runs,
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


def test_a_lingering_process_s_claim_ends_with_its_worker_s_next_renewal(
    session: Session,
) -> None:
    """Chaos with three workers: a run suspended on "old", whose process lingered a moment, was
    resumed and went to "new" (Submitting), and "new" died before claiming it. The lingering
    process's claim, newer than the Submitting state and held by a live worker, covered the run
    for ever; "old"'s next renewal without that process ends the claim, and the run is orphaned
    once unclaimed for the grace. Claims made after the renewal began, and other workers'
    claims, stay."""
    _workers(session)
    at = T0 + timedelta(days=1)
    submitting = ExecutingRun("r", state_since=at)  # "new" took it, then died
    lingered = at + timedelta(seconds=1)
    hold_runs(session=session, worker_id="old", run_ids={"r", "s"}, at=lingered)
    claim_run(session=session, flow_run_id="t", worker_id="new", at=lingered)
    renewed = lingered + timedelta(seconds=3)
    claim_run(session=session, flow_run_id="u", worker_id="old", at=renewed + timedelta(1))
    hold_runs(session=session, worker_id="old", run_ids={"s"}, at=renewed)
    assert session.get(RunClaim, "r") is None
    assert session.get(RunClaim, "s") is not None  # still its process's
    assert session.get(RunClaim, "t") is not None  # another worker's
    assert session.get(RunClaim, "u") is not None  # claimed by its flow since the renewal began
    later = at + UNCLAIMED_GRACE + timedelta(seconds=1)
    renew_lease(session=session, worker_id="old", at=later)
    assert orphaned_runs(session=session, executing=[submitting], at=later) == ["r"]


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


def test_the_claims_of_gone_workers_are_those_whose_lease_lapsed_or_ended(
    session: Session,
) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    renew_lease(session=session, worker_id="old", at=at)
    renew_lease(session=session, worker_id="new", at=at - LEASE_LAPSE - timedelta(seconds=1))
    register_worker(session=session, worker_id="stopped", host="h", pid=3, at=at)
    for run, worker in (("a", "old"), ("b", "new"), ("c", "stopped")):
        claim_run(session=session, flow_run_id=run, worker_id=worker, at=at)
    release_worker(session=session, worker_id="stopped")
    gone = claims_of_gone_workers(session=session, at=at)
    assert [(c.flow_run_id, c.worker_id) for c in gone] == [("b", "new"), ("c", "stopped")]


def test_a_gone_worker_s_claim_ends_but_not_a_newer_claim_of_another(session: Session) -> None:
    _workers(session)
    at = T0 + timedelta(days=1)
    claim_run(session=session, flow_run_id="a", worker_id="new", at=at)
    claim_run(session=session, flow_run_id="b", worker_id="new", at=at)
    claim_run(session=session, flow_run_id="b", worker_id="old", at=at)  # taken meanwhile
    end_claim(session=session, flow_run_id="a", worker_id="new")
    end_claim(session=session, flow_run_id="b", worker_id="new")
    assert session.get(RunClaim, "a") is None
    kept = session.get(RunClaim, "b")
    assert kept is not None
    assert kept.worker_id == "old"


def test_an_unclaimed_run_is_given_as_long_as_a_lease_may_go_unrenewed() -> None:
    """A live worker claims its runs at each state its runner proposes and at each renewal."""
    assert UNCLAIMED_GRACE == LEASE_LAPSE
    assert LEASE_RENEWAL * 3 < LEASE_LAPSE
