"""Serve the review deployment: `python -m workflows.serve [--limit N]`.

Runs in its own process. Prefect reads its settings when it is imported, so the environment is
prepared first: persisted results in one folder under the data dir (every resumed run must read
them, prefect.md §2.5), a short runner poll (hand-off latency, prefect.md §2.6).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

DEPLOYMENT = "default"


def prepare_environment() -> None:
    """Set the Prefect variables this process and its flow-run children need."""
    from config.settings import get_settings

    settings = get_settings()
    results = (settings.data_dir / "prefect-results").resolve()
    results.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_API_URL", settings.prefect_api_url)
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(results))
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")


def main(argv: Sequence[str] | None = None) -> int:
    """Reconcile orphaned runs, then serve until interrupted."""
    parser = argparse.ArgumentParser(prog="workflows.serve")
    parser.add_argument("--limit", type=int, default=4, help="flow-run processes at once")
    args = parser.parse_args(argv)
    prepare_environment()

    from prefect import serve

    from workflows import runner_guard
    from workflows.application.flow import handle_application
    from workflows.material_review import review_material
    from workflows.reconcile import reschedule_orphaned_runs, restore_missing_forms
    from workflows.review_flow import review_document
    from workflows.schedules import scheduled_deployments

    # A run suspended while the runner picks it up must not end serve (runner_guard.py).
    runner_guard.install()
    deployment = review_document.to_deployment(name=DEPLOYMENT)
    rescheduled = asyncio.run(reschedule_orphaned_runs(DEPLOYMENT))
    if rescheduled:
        print(f"rescheduled {len(rescheduled)} orphaned run(s): {', '.join(rescheduled)}")
    restored = asyncio.run(restore_missing_forms(DEPLOYMENT))
    if restored:
        print(f"restored the form of {len(restored)} suspended run(s): {', '.join(restored)}")
    materials = review_material.to_deployment(name=DEPLOYMENT)
    applications = handle_application.to_deployment(name=DEPLOYMENT)
    deployments = [deployment, materials, applications, *scheduled_deployments()]
    # Schedules stay active when this process stops: a restart must not need anyone to unpause.
    serve(*deployments, limit=args.limit, pause_on_shutdown=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
