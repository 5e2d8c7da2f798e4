"""Workers are cattle (issue 24): a flow run is claimed for its worker; a worker killed with
`kill -9` leaves no flow-run process behind; its runs are rescheduled once its lease has lapsed,
and a starting worker never takes a live sibling's run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.states import Scheduled
from sqlmodel import Session, col, select

from models.versions import RecordedFinding
from models.workers import RunClaim, WorkerLease
from policies.statuses import Status
from services.worker_leases import LEASE_LAPSE, ExecutingRun
from tests.conftest import _psycopg_dsn
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import new_document, run_on_own_loop, start_review, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def descendants(pid: int) -> set[int]:
    """Every live process below pid (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (the container's init may not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def state_names(run_id: UUID) -> list[str]:
    with get_client(sync_client=True) as client:
        return [state.name for state in client.read_flow_run_states(run_id)]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def flow_run_processes(worker: subprocess.Popen[bytes]) -> set[int]:
    """Every process below the worker, once one of them runs a flow."""
    below = descendants(worker.pid)
    if any(runs_a_flow(pid) for pid in below):
        return below
    return set()


def runs_a_flow(pid: int) -> bool:
    """A flow-run process: a fork of the worker's fork server (workflows/forkserver.py), or
    `python -m prefect.engine`, or a multiprocessing "spawn" child."""
    command = command_line(pid)
    if FORK_SERVER in command:
        return FORK_SERVER in command_line(parent_of(pid))
    return "prefect.engine" in command or "spawn_main" in command


FORK_SERVER = "multiprocessing.forkserver"  # in the fork server's command line and its forks'


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return 0


def fork_servers(worker: subprocess.Popen[bytes]) -> list[int]:
    """The worker's fork server (one, once started): its child running multiprocessing's."""
    return [
        pid
        for pid in descendants(worker.pid)
        if parent_of(pid) == worker.pid and FORK_SERVER in command_line(pid)
    ]


def test_a_run_is_claimed_for_its_worker_in_the_state_it_runs_in(stack: Stack) -> None:
    doc, version, _ = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        claim = session.get(RunClaim, str(run))
        assert claim is not None
        lease = session.get(WorkerLease, claim.worker_id)
    assert lease is not None
    assert stack.serve is not None
    assert lease.pid == stack.serve.pid
    with get_client(sync_client=True) as client:
        running = [s for s in client.read_flow_run_states(run) if s.type.value == "RUNNING"]
    assert running
    assert claim.claimed_at >= running[-1].timestamp  # claimed in the state it ran in


def test_a_worker_killed_9_leaves_no_flow_run_process_and_its_runs_go_on_elsewhere(
    stack: Stack,
) -> None:
    """kill -9 of the serve process alone (not its group): its flow-run processes die with it —
    at once when they run a flow, or, still starting, before they load it (so none proposes a
    state after the kill); the session's worker reschedules its runs once its lease has lapsed,
    and each document is read and routed once."""
    stack.stop_serve()  # only the worker under test picks runs up
    worker = stack.spawn_worker("doomed.log")
    try:
        documents = [new_document(stack) for _ in range(4)]
        runs = {doc: start_review(doc, version) for doc, version, _ in documents}
        seen: set[int] = set()

        def in_flight() -> bool:
            seen.update(flow_run_processes(worker))
            return len([pid for pid in seen if runs_a_flow(pid)]) >= 2

        wait_until(in_flight, timeout=120, what="two flow-run processes of the worker")
        seen |= flow_run_processes(worker)
        executing = [run for run in runs.values() if _executing(run)]
        killed_at = datetime.now(UTC)
        os.kill(worker.pid, signal.SIGKILL)  # the worker alone, not its process group
        worker.wait(timeout=10)
        wait_until(
            lambda: not [pid for pid in seen if alive(pid)],
            timeout=90,
            what=f"the flow-run processes {sorted(seen)} to end with their worker",
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        stack.start_serve()
        stack.wait_deployment()
    for doc, version, _ in documents:
        wait_suspended_at(stack, runs[doc], doc, Status.SECRECY_REVIEW, timeout=180)
        with Session(stack.engine) as session:
            findings = session.exec(
                select(RecordedFinding.rule, RecordedFinding.message).where(
                    col(RecordedFinding.version_id) == version
                )
            ).all()
        assert len(findings) == len(set(findings))
    assert executing
    for run in executing:  # nothing moved them after the kill until they were rescheduled
        with get_client(sync_client=True) as client:
            after = [s.name for s in client.read_flow_run_states(run) if s.timestamp > killed_at]
        assert after[:1] == ["Rescheduled"], after


def test_a_worker_killed_9_with_a_run_in_flight_takes_its_fork_server_and_the_run_along(
    stack: Stack,
) -> None:
    """The run's process is a fork of the worker's fork server, held in flight at its first
    write (this test locks the run claims); kill -9 of the worker alone ends the fork server and
    the run's process within seconds, and the run goes on elsewhere."""
    stack.stop_serve()  # only the worker under test picks the run up
    worker = stack.spawn_worker("in-flight.log")
    held = psycopg.connect(_psycopg_dsn(stack.database_url))
    try:
        (server,) = wait_until(lambda: fork_servers(worker), timeout=120, what="fork server")
        held.execute("LOCK TABLE run_claims IN ACCESS EXCLUSIVE MODE")
        doc, version, _ = new_document(stack)
        run = start_review(doc, version)
        in_flight = wait_until(
            lambda: [pid for pid in descendants(worker.pid) if runs_a_flow(pid)],
            timeout=120,
            what="the run's process",
        )
        assert [parent_of(pid) for pid in in_flight] == [server]
        os.kill(worker.pid, signal.SIGKILL)  # the worker alone, not its process group
        worker.wait(timeout=10)
        wait_until(
            lambda: not [pid for pid in [server, *in_flight] if alive(pid)],
            timeout=10,
            what=f"the fork server {server} and the run's process {in_flight} to end",
        )
    finally:
        held.rollback()
        held.close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        stack.start_serve()
        stack.wait_deployment()
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW, timeout=240)


def _executing(run: UUID) -> bool:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run).state
    return state is not None and state.type.value in ("PENDING", "RUNNING")


def test_a_starting_worker_never_takes_a_live_siblings_runs(stack: Stack) -> None:
    """A second worker starts while the first has runs in flight: none is rescheduled."""
    documents = [new_document(stack) for _ in range(3)]
    runs = {doc: start_review(doc, version) for doc, version, _ in documents}
    sibling = stack.spawn_worker("sibling.log")
    try:
        time.sleep(LEASE_LAPSE.total_seconds())  # the sibling's recovery had time to look
        for doc, _, _ in documents:
            wait_suspended_at(stack, runs[doc], doc, Status.SECRECY_REVIEW, timeout=120)
    finally:
        os.killpg(sibling.pid, signal.SIGTERM)
        sibling.wait(timeout=30)
    assert not [run for run in runs.values() if "Rescheduled" in state_names(run)]
    with Session(stack.engine) as session:
        assert session.get(WorkerLease, _lease_of(stack, sibling.pid)) is None  # released


def _lease_of(stack: Stack, pid: int) -> str:
    """The id of the lease the worker with this pid held (released leases leave none)."""
    with Session(stack.engine) as session:
        lease = session.exec(select(WorkerLease).where(col(WorkerLease.pid) == pid)).first()
    return lease.id if lease is not None else "released"


def _parked_run(doc: int, version: int) -> FlowRun:
    """A run of the review deployment scheduled a day ahead: no worker picks it up on its own."""
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("document-review/default")
        return client.create_flow_run_from_deployment(
            deployment.id,
            parameters={"document_id": doc, "version_id": version},
            state=Scheduled(scheduled_time=datetime.now(UTC) + timedelta(days=1)),
            name=f"doc-{doc}-v{version}",
        )


def test_a_run_left_submitting_under_a_stale_claim_of_a_live_worker_is_rescheduled(
    stack: Stack,
) -> None:
    """Chaos with three workers (issue 24): a run resumed on a worker that died while it was
    "Submitting", and a live worker had claimed it after that state began (its own process for
    the run's earlier execution lingered a moment after suspending). The live worker's next
    renewal ends that claim, so the run is rescheduled once unclaimed for the grace, and goes on.
    Without it the run stayed Submitting for ever."""
    from prefect.states import Submitting

    from services.worker_leases import UNCLAIMED_GRACE, claim_run
    from workflows.worker import RECOVERY_EVERY

    doc, version, _ = new_document(stack)
    run = _parked_run(doc, version).id
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run, Submitting(), force=True)  # its worker died here
    assert stack.serve is not None
    live = _lease_of(stack, stack.serve.pid)
    with Session(stack.engine) as session:  # the live worker's claim, newer than Submitting
        claim_run(session=session, flow_run_id=str(run), worker_id=live, at=datetime.now(UTC))
        session.commit()
    submitted = time.monotonic()
    wait_until(
        lambda: "Rescheduled" in state_names(run),
        timeout=UNCLAIMED_GRACE.total_seconds() + RECOVERY_EVERY + 60,
        what="the run left Submitting to be rescheduled",
    )
    print(f"\nrescheduled {time.monotonic() - submitted:.0f} s after the claim")
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW, timeout=120)


def test_a_run_is_claimed_for_its_worker_as_soon_as_its_runner_takes_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chaos (issue 24): a worker killed while its flow-run process was still starting left its
    runs Pending or Submitting and unclaimed, taken back only after the unclaimed grace (60 s
    then). The runner's own proposals claim the run for the worker (real Prefect server and
    database), so such a run is orphaned as soon as the worker's lease lapses."""
    from prefect.runner._scheduled_run_poller import ScheduledRunPoller
    from prefect.runner._state_proposer import StateProposer

    from config.settings import get_settings
    from services.worker_leases import orphaned_runs, register_worker
    from workflows import runner_claims, runtime

    for cls, name in (
        (StateProposer, "propose_pending"),
        (StateProposer, "propose_submitting"),
        (ScheduledRunPoller, "_submit_run"),
    ):  # as they are now, again after the test
        monkeypatch.setattr(cls, name, getattr(cls, name))
    monkeypatch.setenv("GONGKAI_DATABASE_URL", stack.database_url)
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    doc, version, _ = new_document(stack)
    started = datetime.now(UTC)
    with Session(stack.engine) as session:  # started after the session's serve: not recovering
        register_worker(session=session, worker_id="taker", host="h", pid=1, at=started)
        session.commit()
    run = _parked_run(doc, version)
    runner_claims.install("taker")
    try:
        for propose in ("propose_pending", "propose_submitting"):
            assert run_on_own_loop(_propose, propose, run)
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(run.id).state
            assert state is not None
            since = state.timestamp

            def claimed_since(since: datetime = since) -> bool:
                with Session(stack.engine) as session:
                    claim = session.get(RunClaim, str(run.id))
                    return claim is not None and claim.claimed_at >= since

            wait_until(claimed_since, timeout=10, what=f"the claim after {propose}")
            with Session(stack.engine) as session:
                claim = session.get(RunClaim, str(run.id))
                assert claim is not None
                assert claim.worker_id == "taker"
                executing = [ExecutingRun(str(run.id), state_since=state.timestamp)]
                alive_at = started + LEASE_LAPSE - timedelta(seconds=1)
                assert orphaned_runs(session=session, executing=executing, at=alive_at) == []
                lapsed = started + LEASE_LAPSE + timedelta(seconds=1)
                assert orphaned_runs(session=session, executing=executing, at=lapsed) == [
                    str(run.id)
                ]
        assert str(run.id) in runner_claims.taken()
    finally:
        runtime.engine().dispose()
        runtime.engine.cache_clear()
        get_settings.cache_clear()
        with get_client(sync_client=True) as client:
            parked = Scheduled(scheduled_time=datetime.now(UTC) + timedelta(days=1))
            client.set_flow_run_state(run.id, parked, force=True)


async def _propose(name: str, run: object) -> bool:
    from prefect.client.orchestration import get_client as get_async_client
    from prefect.runner._state_proposer import StateProposer

    async with get_async_client() as client:
        return bool(await getattr(StateProposer(client=client), name)(run))


def test_a_worker_s_claim_ends_once_its_run_s_process_has_ended(stack: Stack) -> None:
    """The runs a worker's runner took stay its own only until their process ends: a run that
    suspended is no longer claimed after the worker's next renewals (else a live worker's stale
    claim would keep the run from being taken back once it resumed on a worker that died)."""
    doc, version, _ = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)

    def unclaimed() -> bool:
        with Session(stack.engine) as session:
            return session.get(RunClaim, str(run)) is None

    wait_until(unclaimed, timeout=60, what="the worker's claim on the suspended run to end")
