"""Material sent after intake, before the portal shows it (issue 21): pre-screened, then the same
human step as the review (the StepDecision form, suspended with no process held), decided by a
secrecy reviewer through the same service as the REST door (services/review/materials.py).

One run per material (deployment "material-review/default", started by the API after the
upload commits). A refused input never fails the run: the form comes back with the reason. A
decision made through the REST door meanwhile ends the run.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from services.errors import DomainError
from services.review import DEFAULT_TERMS
from services.review.materials import decide_material, material_files, material_for_review
from workflows.forms import describe_material
from workflows.human import audit_refusal, proven_reviewer, spend_code, wait_for_form
from workflows.runtime import (
    document_url,
    now,
    read_ahead,
    reading_limits,
    unit_of_work,
)
from workflows.worker import claim_this_run

MATERIAL_FLOW = "material-review"


@task(cache_policy=NO_CACHE, persist_result=False)
def open_material_step(material_id: int) -> dict[str, Any]:
    """Pre-screen the material and render the form's description; whether it still waits."""
    at, limits = now(), reading_limits()
    read_ahead(lambda s: material_files(session=s, material_id=material_id), at=at, limits=limits)
    with unit_of_work() as session:
        item = material_for_review(
            session=session,
            material_id=material_id,
            files_dir=get_settings().files_dir,
            terms=DEFAULT_TERMS,
            at=at,
            limits=limits,
        )
        if item is None:
            return {"pending": False, "description": "", "document_id": None}
        url = document_url(item.material.document_id)
        return {
            "pending": True,
            "description": describe_material(item, url=url),
            "document_id": item.material.document_id,
        }


@task(cache_policy=NO_CACHE, persist_result=False)
def close_material_step(
    material_id: int, document_id: int, response: dict[str, Any]
) -> dict[str, Any]:
    """Record the form's decision as the named secrecy reviewer's, proved by their one-time
    code, or say why not (the refusal audited)."""
    try:
        with unit_of_work() as session:
            reviewer = proven_reviewer(session, response)
            decide_material(
                session=session,
                material_id=material_id,
                reviewer=reviewer,
                decision=response["decision"],
                channel="ui",
                reason_codes=list(response.get("reason_codes") or []),
                comment=response.get("comment") or "",
                at=now(),
            )
    except DomainError as refused:
        with unit_of_work() as session:
            spend_code(session, response)
            audit_refusal(session, document_id, None, f"material-{material_id}", response, refused)
        return {"ok": False, "problem": refused.message}
    return {"ok": True}


@flow(name=MATERIAL_FLOW, persist_result=True)
def review_material(material_id: int) -> str:
    """Wait until the material is decided (here or over REST); returns "decided"."""
    claim_this_run()  # its worker's, until it suspends or ends (issue 24)
    problem, round_ = "", 0
    while True:
        round_ += 1
        opened = open_material_step(material_id)
        if not opened["pending"]:
            return "decided"
        description = opened["description"]
        if problem:
            description = f"> **上次提交未被接受:** {problem}\n\n{description}"
        answer = wait_for_form(description, f"material-{material_id}-r{round_}")
        outcome = close_material_step(material_id, opened["document_id"], answer)
        problem = "" if outcome["ok"] else str(outcome["problem"])
