"""Stage 4, publication: 签发, then a publication record through the publisher, once."""

from __future__ import annotations

from prefect import task

from config.settings import get_settings
from policies.statuses import Status
from policies.steps import Step
from services.publication.publishing import (
    Publisher,
    configured_publisher,
    files_of_publication,
    publish_version,
)
from workflows.human import wait_for_decision
from workflows.runtime import now, read_ahead, reading_limits, unit_of_work


def default_publisher() -> Publisher:
    """The configured publisher: the portal (default) or a CMS webhook (GONGKAI_PUBLISHER)."""
    return configured_publisher(get_settings())


@task(persist_result=True)
def publish_task(document_id: int, version_id: int) -> str:
    """Publish the signed-off version (idempotent per version); returns its 索引号."""
    at, limits = now(), reading_limits()
    read_ahead(
        lambda s: files_of_publication(session=s, document_id=document_id, version_id=version_id),
        at=at,
        limits=limits,
    )
    with unit_of_work() as session:
        return publish_version(
            session=session,
            document_id=document_id,
            version_id=version_id,
            publisher=default_publisher(),
            at=at,
            files_dir=get_settings().files_dir,
            limits=limits,
        ).index_number


def publication_stage(document_id: int, version_id: int) -> str:
    """签发 → published with marking and validity; return / file end the review instead."""
    status = wait_for_decision(document_id, version_id, Step.SIGN_OFF)
    if status == Status.AWAITING_SIGNOFF:  # signed off: publish
        publish_task(document_id, version_id)
        status = Status.PUBLISHED.value
    return status
