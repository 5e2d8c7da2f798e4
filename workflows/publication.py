"""Stage 4, publication: 签发, then a publication record through the publisher, once."""

from __future__ import annotations

from prefect import task

from config.settings import get_settings
from policies.statuses import Status
from services.publication import LocalSink, publish_version
from services.review import Step
from workflows.human import wait_for_decision
from workflows.runtime import now, unit_of_work


def default_publisher() -> LocalSink:
    """The local sink under <data_dir>/portal (the portal issue replaces it)."""
    return LocalSink(get_settings().data_dir / "portal")


@task(persist_result=True)
def publish_task(document_id: int, version_id: int) -> str:
    """Publish the signed-off version (idempotent per version); returns its 索引号."""
    with unit_of_work() as session:
        return publish_version(
            session=session,
            document_id=document_id,
            version_id=version_id,
            publisher=default_publisher(),
            at=now(),
        ).index_number


def publication_stage(document_id: int, version_id: int) -> str:
    """签发 → published with marking and validity; return / file end the review instead."""
    status = wait_for_decision(document_id, version_id, Step.SIGN_OFF)
    if status == Status.AWAITING_SIGNOFF:  # signed off: publish
        publish_task(document_id, version_id)
        status = Status.PUBLISHED.value
    return status
