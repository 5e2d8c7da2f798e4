"""Prefect flows and tasks: orchestration only.

A worker's flow-run process imports this package first; it dies with its worker from then on
(workflows.worker, issue 24).
"""

from workflows.worker import die_with_worker

die_with_worker()
