"""An application registered while Prefect did not answer gets its run from the sweep of
unstarted runs (api/unstarted_reviews.py), on the real Prefect server: the run is created by its
idempotency key and recorded, and a start repeated later finds the same run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from sqlmodel import Session

from api.review_starter import ReviewStarter, application_run_key
from api.unstarted_reviews import start_application
from config.settings import Settings
from models.applications import Application
from policies.applications import ApplicantType, Channel
from services.accounts import ensure_organ
from services.applications import (
    ApplicationRequest,
    applications_awaiting_run_start,
    register_application,
)
from tests.workflows.conftest import Stack
from tests.workflows.helpers import read_run, run_on_own_loop

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def test_an_application_prefect_missed_is_started_once_and_recorded(stack: Stack) -> None:
    at = datetime.now(UTC)
    with Session(stack.engine, expire_on_commit=False) as session:
        organ = ensure_organ(session=session, code="unstarted", name="测试县财政局", at=at)
        application, new = register_application(
            session=session,
            organ=organ,
            request=ApplicationRequest(
                applicant_type=ApplicantType.NATURAL_PERSON,
                applicant_name="孙八",
                applicant_id_number="110101198001011234",
                contact="13900000002",
                description="本县2026年征地补偿标准",
                requested_form="电子邮件",
                channel=Channel.ONLINE,
                confirmed_on=date(2026, 9, 25),
            ),
            profile="national",
            at=at,
        )
        session.commit()
    assert new
    assert application.id is not None
    with Session(stack.engine) as session:
        assert application.id in applications_awaiting_run_start(session=session, limit=1000)

    starter = ReviewStarter(Settings(prefect_api_url=stack.api_url))
    assert run_on_own_loop(start_application, stack.engine, starter, application.id)
    with Session(stack.engine) as session:
        stored = session.get(Application, application.id)
        assert stored is not None
        recorded = stored.flow_run_id
        assert application.id not in applications_awaiting_run_start(session=session, limit=1000)
    assert recorded is not None
    assert read_run(UUID(recorded)).name == application_run_key(application.id)

    # A start repeated (a sweep racing the registration's own start) finds the same run.
    assert run_on_own_loop(start_application, stack.engine, starter, application.id)
    with Session(stack.engine) as session:
        again = session.get(Application, application.id)
        assert again is not None
        assert again.flow_run_id == recorded
