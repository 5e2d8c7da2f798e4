"""Stage 1, marking (属性认定): re-check under today's rules; office pre-review if needed."""

from __future__ import annotations

from prefect import task

from config.settings import get_settings
from policies.statuses import Status
from policies.steps import Step
from services.review import files_of_recheck, recheck_marking
from workflows.human import wait_for_decision
from workflows.runtime import now, read_ahead, reading_limits, unit_of_work


@task(persist_result=True)
def recheck_marking_task(document_id: int, version_id: int) -> str:
    """Re-check the marking (rules may have changed since intake) and route the document."""
    at, limits = now(), reading_limits()
    read_ahead(
        lambda s: files_of_recheck(session=s, document_id=document_id, version_id=version_id),
        at=at,
        limits=limits,
    )
    with unit_of_work() as session:
        return recheck_marking(
            session=session,
            document_id=document_id,
            version_id=version_id,
            at=at,
            files_dir=get_settings().files_dir,
            limits=limits,
        ).value


def marking_stage(document_id: int, version_id: int) -> str:
    """Returned, or on to secrecy review (through the office first for rule 5)."""
    status = recheck_marking_task(document_id, version_id)
    if status == Status.OFFICE_PREREVIEW:
        status = wait_for_decision(document_id, version_id, Step.OFFICE_PREREVIEW)
    return status
