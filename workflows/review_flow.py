"""The review of one document version: marking → secrecy review → interpretation → publication.

One flow run per version (parameters are ids). Served as deployment "document-review/default".
"""

from __future__ import annotations

from prefect import flow

from policies.statuses import Status
from workflows.interpretation import interpretation_stage
from workflows.marking import marking_stage
from workflows.publication import publication_stage
from workflows.secrecy_review import secrecy_review_stage
from workflows.worker import claim_this_run

FLOW_NAME = "document-review"


@flow(name=FLOW_NAME, persist_result=True)
def review_document(document_id: int, version_id: int) -> str:
    """Route one version through the four stages; returns the status it ends in."""
    claim_this_run()  # its worker's, until it suspends or ends (issue 24)
    status = marking_stage(document_id, version_id)
    if status == Status.SECRECY_REVIEW:
        status = secrecy_review_stage(document_id, version_id)
    if status == Status.AWAITING_INTERPRETATION:
        status = interpretation_stage(document_id, version_id)
    if status == Status.AWAITING_SIGNOFF:
        status = publication_stage(document_id, version_id)
    return status
