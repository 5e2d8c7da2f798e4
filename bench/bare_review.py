"""The baseline flow of bench_review_start.py and bench_waiting.py: the review's shape (three
persisted tasks, a suspend with a RunInput form; on resume two tasks and a second suspend) and
nothing else. Its module imports only Prefect, so its flow-run processes start as fast as any
Prefect flow's."""

from __future__ import annotations

from prefect import flow, task
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

BACKSTOP_SECONDS = 180 * 24 * 3600  # as workflows.runtime.SUSPEND_BACKSTOP_SECONDS


class BareDecision(RunInput):
    """A flat form like workflows.forms.StepDecision."""

    decision: str
    reviewer: str


@task(persist_result=True)
def bare_step(n: int, name: str) -> int:
    """A trivial persisted task (the review's tasks each read and write our database)."""
    return n


@flow(name="bare-review", persist_result=True)
def bare_review(n: int) -> str:
    """Three tasks, a suspend; on resume two tasks and a second suspend (as the review's
    secrecy step closes and the sign-off step opens)."""
    bare_step(n, "recheck")
    bare_step(n, "prescreen")
    bare_step(n, "open-secrecy")
    first = suspend_flow_run(
        wait_for_input=BareDecision.with_initial_data(description=f"## bare {n}"),
        key=f"bare-{n}-1",
        timeout=BACKSTOP_SECONDS,
    )
    bare_step(n, f"close-{first.decision}")
    bare_step(n, "open-signoff")
    second = suspend_flow_run(
        wait_for_input=BareDecision.with_initial_data(description=f"## bare {n} (2)"),
        key=f"bare-{n}-2",
        timeout=BACKSTOP_SECONDS,
    )
    return second.decision
