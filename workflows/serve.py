"""Serve the review deployment: `python -m workflows.serve [--limit N]`.

Runs in its own process. Prefect reads its settings when it is imported, so the environment is
prepared first: persisted results in one folder under the data dir (every resumed run must read
them, prefect.md §2.5); the runner's poll and the flow runs' heartbeats come from
workflows/runner_options.py (hand-off latency, issue 24).

Each flow is added to the runner with `Runner.add_flow`, so that the runner starts its runs from
the flow object in memory (Prefect's `DirectSubprocessStarter`) rather than as `python -m
prefect.engine`, and those processes are forked from the worker's pre-warmed fork server
(workflows/forkserver.py): a run starts without importing Prefect and our code again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from workflows.worker import LeaseKeeper, become_worker

if TYPE_CHECKING:
    from config.settings import Settings

DEPLOYMENT = "default"


@dataclass(frozen=True)
class Served:
    """A flow the worker serves: its deployment's name, and how often it runs by itself."""

    flow: Any
    name: str
    interval: timedelta | None = None
    description: str | None = None


def served_flows() -> list[Served]:
    """The review, material and application flows as `default`, and the scheduled flows."""
    from workflows.application.flow import handle_application
    from workflows.material_review import review_material
    from workflows.review_flow import review_document
    from workflows.schedules import SCHEDULED, load_flow

    return [
        Served(review_document, DEPLOYMENT),
        Served(review_material, DEPLOYMENT),
        Served(handle_application, DEPLOYMENT),
        *(Served(load_flow(e.flow), e.name, e.every, e.description) for e in SCHEDULED),
    ]


def prepare_environment() -> None:
    """Set the Prefect variables this process and its flow-run children need."""
    from config.settings import get_settings
    from workflows.runner_options import poll_environment

    settings = get_settings()
    results = (settings.data_dir / "prefect-results").resolve()
    results.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_API_URL", settings.prefect_api_url)
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(results))
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
    for name, value in poll_environment(settings).items():
        os.environ.setdefault(name, value)


def main(argv: Sequence[str] | None = None) -> int:
    """Become a worker (a lease; flow-run processes that die with it), then serve until stopped.

    The runner runs on a thread of its own, so that Prefect installs no SIGTERM handler: on
    SIGTERM or Ctrl-C the worker ends its lease and exits at once, its flow-run processes end
    with it, and its runs are rescheduled by the recovering worker, as after a `kill -9`. (The
    runner's own handler would cancel every run it holds — "Runner is shutting down." — and a
    cancelled run waits for the office's restart.)
    """
    parser = argparse.ArgumentParser(prog="workflows.serve")
    parser.add_argument("--limit", type=int, default=4, help="flow-run processes at once")
    args = parser.parse_args(argv)
    prepare_environment()
    worker_id = become_worker()

    from workflows import forkserver, runner_claims, runner_guard
    from workflows.reconcile import (
        FORM_SAVE_GRACE,
        recover_runs_of_gone_workers,
        restore_missing_forms,
    )
    from workflows.runtime import now

    served = served_flows()
    # A run suspended while the runner picks it up must not end serve (runner_guard.py).
    runner_guard.install()
    # Each run the runner takes is claimed for this worker at once (runner_claims.py).
    runner_claims.install(worker_id)
    # Flow runs fork from a server that has imported Prefect and our flows (forkserver.py).
    forkserver.install(entry.flow.fn.__module__ for entry in served)
    keeper = LeaseKeeper(worker_id, partial(recover_runs_of_gone_workers, DEPLOYMENT))
    keeper.register()
    # A form whose save failed is given back; not one a live sibling may be saving right now.
    restored = asyncio.run(
        restore_missing_forms(DEPLOYMENT, suspended_before=now() - FORM_SAVE_GRACE)
    )
    if restored:
        print(f"restored the form of {len(restored)} suspended run(s): {', '.join(restored)}")
    keeper.start()
    runner = threading.Thread(
        target=partial(run_runner, served, args.limit),
        name="gongkai-runner",
        daemon=True,
    )
    signal.signal(signal.SIGTERM, _stop)
    try:
        runner.start()
        while runner.is_alive():
            runner.join(timeout=1)
        return 1  # the runner ended by itself
    except KeyboardInterrupt:
        return 0
    finally:
        keeper.release()


def run_runner(served: Sequence[Served], limit: int, settings: Settings | None = None) -> None:
    """The runner, until it ends: every flow added with `Runner.add_flow`, at most `limit` runs
    at once, with the runner options (workflows/runner_options.py) of the settings (default: the
    configured ones). Entered on a thread of its own, whose context does not inherit the main
    thread's settings."""
    from prefect.runner import Runner

    from config.settings import get_settings
    from workflows.runner_options import flow_run_settings, runner_options

    settings = settings or get_settings()
    with flow_run_settings(settings):
        # Schedules stay active when it stops: a restart must not need anyone to unpause.
        runner = Runner(limit=limit, pause_on_shutdown=False, **runner_options(settings))
        for entry in served:
            runner.add_flow(
                entry.flow,
                name=entry.name,
                interval=entry.interval,
                description=entry.description,
            )
        # What operators (and the chaos test) read to know the worker takes runs from now on.
        print(f"worker {os.getpid()}: {len(served)} deployments being served", flush=True)
        asyncio.run(runner.start())


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the worker like Ctrl-C


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # now: the runner's thread holds no work worth waiting for (see main)
