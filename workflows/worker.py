"""A worker's life (issue 24): workers are cattle.

- A serve process becomes a worker (`become_worker`): an id and its pid in the environment that
  its flow-run processes inherit, and a lease in our database that `LeaseKeeper` renews.
- Each flow-run process dies with its worker: the worker's fork server (workflows.forkserver)
  dies with it (`die_with_worker`, run when a process other than the worker first imports the
  `workflows` package: the fork server, which preloads our flow modules), and each flow run
  forked from it dies with the fork server.
- The worker claims each run when its runner takes it (Pending, then Submitting:
  workflows.runner_claims), the runs it holds with each renewal of its lease (and drops its
  claims on runs whose process has ended), and each flow run claims itself for its worker when
  its flow starts (`claim_this_run`).
- The longest-running live worker reschedules the runs of workers that are gone, and gives back
  the form of a run one of them suspended but did not save the form of
  (workflows.reconcile.recover_runs_of_gone_workers), at its start and every RECOVERY_EVERY.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.lifetime import die_with_parent

if TYPE_CHECKING:
    from sqlmodel import Session

WORKER_ID_ENV = "GONGKAI_WORKER_ID"
WORKER_PID_ENV = "GONGKAI_WORKER_PID"
RECOVERY_EVERY = 5.0  # seconds between two looks for orphaned runs by the recovering worker

log = logging.getLogger("gongkai.worker")


def become_worker() -> str:
    """This process is a worker: its id, passed on to every flow-run process it starts."""
    worker_id = uuid.uuid4().hex
    os.environ[WORKER_ID_ENV] = worker_id
    os.environ[WORKER_PID_ENV] = str(os.getpid())
    return worker_id


def die_with_worker() -> None:
    """In a worker's flow-run process: end with the worker, even when it is killed -9."""
    worker_pid = os.environ.get(WORKER_PID_ENV)
    if worker_pid and worker_pid.isdigit() and int(worker_pid) != os.getpid():
        die_with_parent(int(worker_pid))


def claim_this_run() -> None:
    """Claim the current flow run for this process's worker (nothing outside a worker: a flow
    called in-process)."""
    worker_id = os.environ.get(WORKER_ID_ENV)
    if not worker_id:
        return
    from prefect.runtime import flow_run

    from services.worker_leases import claim_run
    from workflows.runtime import now, unit_of_work

    run_id = flow_run.get_id()
    if run_id is None:
        return
    try:
        with unit_of_work() as session:
            claim_run(session=session, flow_run_id=str(run_id), worker_id=worker_id, at=now())
    except Exception:  # the worker's next renewal claims it: never fail the review for this
        log.exception("flow run %s not claimed now; its worker claims it", run_id)


def runs_of_my_processes() -> set[str] | None:
    """The flow runs this worker's processes execute: workflows.forkserver records the run of
    each process it starts, for as long as the process lives."""
    from workflows.forkserver import runs_started

    return runs_started()


class LeaseKeeper(threading.Thread):
    """Keeps the worker's lease while the process lives; as the recovering worker, recovers the
    runs of gone workers every RECOVERY_EVERY seconds. A database or Prefect that does not answer is
    logged and tried again: it never stops the worker."""

    def __init__(
        self, worker_id: str, recover: Callable[[], Coroutine[Any, Any, list[str]]]
    ) -> None:
        super().__init__(name="gongkai-lease", daemon=True)
        self.worker_id = worker_id
        self._recover = recover
        self._stopped = threading.Event()

    def register(self) -> None:
        """The lease, before the worker serves anything."""
        from workflows.runtime import now, unit_of_work

        with unit_of_work() as session:
            self._register(session, now())

    def _register(self, session: Session, at: datetime) -> None:
        from services.worker_leases import register_worker

        register_worker(
            session=session,
            worker_id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            at=at,
        )

    def run(self) -> None:
        from services.worker_leases import LEASE_RENEWAL

        last_recovery = 0.0
        while not self._stopped.wait(LEASE_RENEWAL.total_seconds()):
            try:
                leading = self._renew()
                if leading and (time.monotonic() - last_recovery) >= RECOVERY_EVERY:
                    last_recovery = time.monotonic()
                    recovered = asyncio.run(self._recover())
                    if recovered:
                        log.warning("recovered run(s) of gone workers: %s", ", ".join(recovered))
            except Exception:  # the database or Prefect away for a moment: try again
                log.exception("worker lease or recovery failed; trying again")

    def _renew(self) -> bool:
        """Renew (or take again) the lease; whether this worker is the recovering one."""
        from services.worker_leases import hold_runs, recovering_worker, renew_lease
        from workflows.runner_claims import taken
        from workflows.runtime import now, unit_of_work

        at = now()
        with unit_of_work() as session:
            if not renew_lease(session=session, worker_id=self.worker_id, at=at):
                self._register(session, at)  # forgotten or released: taken again
            # The runs its runner has taken (from Pending until their process ends) and those of
            # its processes; its claims on any other run end (their process has ended).
            runs = taken() | (runs_of_my_processes() or set())
            hold_runs(session=session, worker_id=self.worker_id, run_ids=runs, at=at)
            return recovering_worker(session=session, at=at) == self.worker_id

    def release(self) -> None:
        """Stop renewing and end the lease (a clean stop: no lapse to wait for)."""
        from services.worker_leases import release_worker
        from workflows.runtime import unit_of_work

        self._stopped.set()
        with unit_of_work() as session:
            release_worker(session=session, worker_id=self.worker_id)
