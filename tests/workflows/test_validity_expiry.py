"""The scheduled validity expiry on a real Prefect server (issue 4; seed 004 §二(二); rule 15):
the `validity-expiry/hourly` deployment, run by hand for a given instant, expires a published
document past its end date once; a second run changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from sqlmodel import Session, col, select

from config.settings import Settings
from models.documents import Document
from models.validity import ValidityChangeRecord
from services.publication.publishing import JsonFileSink, publish_version
from tests.factories import T0, id_of
from tests.publication_helpers import signed_off_document
from tests.workflows.conftest import Stack
from tests.workflows.helpers import wait_final

pytestmark = pytest.mark.usefixtures("prefect_client_settings")
DEPLOYMENT = "validity-expiry/hourly"


def run_expiry(as_of: str) -> FlowRun:
    run = run_deployment(
        DEPLOYMENT,
        parameters={"as_of": as_of},
        timeout=0,
        _sync=True,  # Playwright's sync API may leave an event loop running in this thread
    )
    assert isinstance(run, FlowRun)
    final = wait_final(run.id)
    assert final.state is not None
    assert final.state.is_completed(), final.state
    return final


def test_the_expiry_deployment_expires_a_document_past_its_end_date_once(stack: Stack) -> None:
    settings = Settings(data_dir=stack.data_dir, database_url=stack.database_url)
    with Session(stack.engine, expire_on_commit=False) as session:
        document = signed_off_document(session, settings, title="有效期至 2025-06-30 的通知")
        publish_version(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            publisher=JsonFileSink(stack.data_dir / "portal"),
            at=T0,
        )
        document.valid_until = date(2025, 6, 30)
        session.add(document)
        session.commit()

    run_expiry("2025-06-30T23:30:00+08:00")  # the last valid day: nothing happens
    with Session(stack.engine) as session:
        assert session.get(Document, document.id).validity == "valid"  # type: ignore[union-attr]
    run_expiry("2025-07-01T00:30:00+08:00")
    run_expiry("2025-07-02T00:30:00+08:00")  # again: already expired, nothing new
    with Session(stack.engine) as session:
        assert session.get(Document, document.id).validity == "expired"  # type: ignore[union-attr]
        changes = session.exec(
            select(ValidityChangeRecord).where(col(ValidityChangeRecord.document_id) == document.id)
        ).all()
    assert [(c.to_validity.value, c.actor, str(c.effective_on)) for c in changes] == [
        ("expired", "system", "2025-07-01")
    ]
