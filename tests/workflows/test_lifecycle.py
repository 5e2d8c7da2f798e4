"""The scheduled lifecycle deployments on a real Prefect server (issue 4): run by hand for an
instant (`as_of`), their alerts and re-reviews land in the database once; a conversion's new
review run waits at the secrecy review before anything reaches the portal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from sqlmodel import Session, col, select

from api.app import create_app
from config.settings import Settings
from models.alerts import Alert
from models.documents import Document
from models.publications import Publication
from models.rereviews import Rereview
from models.users import User
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.statuses import Status
from services.accounts import issue_token
from tests.api.conftest import TestClient
from tests.services.publication.test_windows import SIGNED, signed_off
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import new_document, wait_final, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")

WINDOWS = "check-windows/every-10-minutes"
REREVIEWS = "create-rereviews/daily"


@pytest.fixture(scope="module", autouse=True)
def lifecycle_deployments(stack: Stack) -> None:
    """Wait until the serve process has registered the scheduled deployments too (it registers
    them one after the other; the stack waits for the review deployment only)."""
    for name in (WINDOWS, REREVIEWS):

        def registered(name: str = name) -> bool:
            try:
                response = httpx.get(
                    f"{stack.api_url}/deployments/name/{name}", timeout=2, auth=stack.auth
                )
            except httpx.HTTPError:
                return False
            return response.status_code == 200 and bool(response.json().get("schedules"))

        wait_until(registered, timeout=90, what=f"deployment {name} with its schedule")


def run_by_hand(name: str, *instants: datetime) -> None:
    """Run a scheduled deployment for each instant, as from the UI's "Run" with parameters; the
    runs go at once (the serve process runs up to four) and must all complete."""
    runs = []
    for as_of in instants:
        run = run_deployment(
            name,
            parameters={"as_of": as_of.isoformat()},
            timeout=0,
            _sync=True,  # Playwright's sync API may leave an event loop running in this thread
        )
        assert isinstance(run, FlowRun)
        runs.append(run.id)
    for run_id in runs:
        state = wait_final(run_id, timeout=120).state
        assert state is not None
        assert state.is_completed(), state


def test_the_windows_deployment_run_by_hand_alerts_each_threshold_once(stack: Stack) -> None:
    with Session(stack.engine, expire_on_commit=False) as session:
        document = signed_off(session, "majiang", "notice", SIGNED)
    # 50% of the 2-hour window, overdue, and overdue again, concurrently: each key once.
    run_by_hand(WINDOWS, *(SIGNED + timedelta(hours=h) for h in (1, 2, 2)))
    with Session(stack.engine) as session:
        alerts = session.exec(
            select(Alert).where(col(Alert.document_id) == document.id).order_by(col(Alert.id))
        ).all()
    assert [(a.payload["deadline_kind"], a.threshold) for a in alerts] == [
        ("publication_local", "50%"),
        ("publication_local", "overdue"),
    ]
    assert all("seed 000 §三(二十二)" in a.message for a in alerts)
    assert all(a.notified_at is not None and a.notifier == "log" for a in alerts)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[TestClient]:
    """The real API on the stack's database and Prefect server."""
    settings = Settings(
        data_dir=stack.data_dir,
        database_url=stack.database_url,
        prefect_api_url=stack.api_url,
        review_sweep_seconds=0,
    )
    app = create_app(settings, sweep_reviews=False)
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://gongkai.test")
        yield TestClient(portal, http)
        portal.call(http.aclose)
    app.state.engine.dispose()


def bearer(stack: Stack, name: str) -> dict[str, str]:
    with Session(stack.engine) as session:
        user = session.exec(select(User).where(col(User.name) == name)).one()
        _, token = issue_token(session=session, user=user, label="test", at=datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_converted_document_is_reviewed_again_and_waits_at_the_secrecy_review(
    stack: Stack, api: TestClient
) -> None:
    filed_at = datetime(2025, 3, 3, 10, tzinfo=SHANGHAI)
    document_id, _, people = new_document(
        stack,
        status=Status.FILED,
        status_changed_at=filed_at,
        marking={
            "attribute": Attribute.WITHHELD,
            "marking_text": Attribute.WITHHELD.marking,
            "reason_codes": ["NS-6"],
        },
    )
    run_by_hand(REREVIEWS, *[datetime(2026, 3, 4, tzinfo=SHANGHAI)] * 2)
    with Session(stack.engine) as session:
        [task] = session.exec(
            select(Rereview).where(col(Rereview.document_id) == document_id)
        ).all()
    assert (task.kind, task.status) == ("periodic", "open")

    response = api.post(
        f"/rereviews/{task.id}/decision",
        json={"decision": "convert", "to_attribute": "proactive", "explanation": "可以公开"},
        headers=bearer(stack, people["secrecy_reviewer"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["review"] == "starting"

    def run_recorded() -> str | None:
        with Session(stack.engine) as session:
            document = session.get(Document, document_id)
            assert document is not None
            return document.flow_run_id

    run_id = UUID(wait_until(run_recorded, timeout=60, what="the new version's review run"))
    wait_suspended_at(stack, run_id, document_id, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        published = session.exec(
            select(Publication).where(col(Publication.document_id) == document_id)
        ).all()
    assert published == []
