"""Stage 3, interpretation material (政策解读): per profile, wait for it or go on."""

from __future__ import annotations

from prefect import task

from policies.statuses import Status
from policies.steps import Step
from services.review import advance_interpretation
from workflows.human import wait_for_decision
from workflows.runtime import now, unit_of_work


@task(persist_result=True)
def advance_interpretation_task(document_id: int, version_id: int) -> str:
    """Go on to sign-off unless the material must come with the document and has not."""
    with unit_of_work() as session:
        return advance_interpretation(
            session=session, document_id=document_id, version_id=version_id, at=now()
        ).value


def interpretation_stage(document_id: int, version_id: int) -> str:
    """TOGETHER profiles wait for the 解读材料; 3 WD ones go on (deadline set on publication)."""
    status = advance_interpretation_task(document_id, version_id)
    if status == Status.AWAITING_INTERPRETATION:
        status = wait_for_decision(document_id, version_id, Step.INTERPRETATION)
    return status
