"""Prefect flows and tasks: orchestration only.

A process a worker starts (its fork server, which preloads our flows; a flow-run process spawned
without one) dies with the worker from its first import of this package on (workflows.worker,
workflows.forkserver, issue 24).
"""

from workflows.worker import die_with_worker

die_with_worker()
