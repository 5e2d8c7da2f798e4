"""Stage 2, secrecy review (保密审查, 条例 art. 17): pre-screen evidence, then a person decides."""

from __future__ import annotations

from prefect import task

from config.settings import get_settings
from policies.statuses import Status
from policies.steps import Step
from services.review import DEFAULT_TERMS, files_of_version, prescreen_version
from workflows.human import wait_for_decision
from workflows.runtime import now, read_ahead, reading_limits, unit_of_work


@task(persist_result=True)
def prescreen_task(version_id: int) -> int:
    """Extract and pre-screen every file of the version; returns the number of matches."""
    at, limits = now(), reading_limits()
    read_ahead(lambda s: files_of_version(session=s, version_id=version_id), at=at, limits=limits)
    with unit_of_work() as session:
        evidence = prescreen_version(
            session=session,
            version_id=version_id,
            files_dir=get_settings().files_dir,
            terms=DEFAULT_TERMS,
            limits=limits,
            at=at,
        )
    return len(evidence)


def secrecy_review_stage(document_id: int, version_id: int) -> str:
    """Approve / return / change the attribute / escalate; an escalation waits for the office's
    determination (rule 8) and blocks publication until then."""
    prescreen_task(version_id)
    status = wait_for_decision(document_id, version_id, Step.SECRECY_REVIEW)
    if status == Status.ESCALATED:
        status = wait_for_decision(document_id, version_id, Step.DETERMINATION)
    return status
