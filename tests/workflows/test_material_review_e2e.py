"""Issue 21 on a real Prefect server: material added after publication starts its own secrecy
review run (the same StepDecision form); the portal does not show it while the run waits; a
refused input leaves the run waiting with the reason; the reviewer's approval in the form clears
it, the run ends, and the portal lists and serves it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun
from sqlmodel import Session, col, select

from config.settings import Settings
from models.decisions import Decision
from models.documents import Document
from models.organs import Organ
from models.publications import InterpretationMaterial
from policies.roles import Role
from services.accounts import assign_organ, ensure_organ, issue_token
from tests.api.conftest import TestClient
from tests.codes import enrol_users
from tests.factories import make_user
from tests.publication_helpers import publish
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import decide_in_ui, wait_final

pytestmark = pytest.mark.usefixtures("prefect_client_settings")
TEXT = "政策解读：本材料涉及涉密事项。"


def _run_named(name: str) -> FlowRun | None:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
    return runs[0] if runs else None


SEEN = ["nothing yet"]


def _waiting(name: str, round_: int) -> FlowRun | None:
    """The run, once suspended at the given round of its form (its schema saved)."""
    run = _run_named(name)
    SEEN[0] = f"run {name}: " + (
        f"{run.state.name} {run.state.state_details}" if run and run.state else "none"
    )
    if run is None or run.state is None or not run.state.is_paused():
        return None
    details = run.state.state_details
    if details.pause_key != f"{name}-r{round_}" or not details.run_input_keyset:
        return None
    with get_client(sync_client=True) as client:  # the state turns Paused before the form is saved
        try:
            client.read_flow_run_input(run.id, details.run_input_keyset["schema"])
        except Exception:
            return None
    return run


def test_material_after_publication_waits_for_the_reviewer_in_the_form(
    stack: Stack, api: TestClient
) -> None:
    settings = Settings(data_dir=stack.data_dir, database_url=stack.database_url)
    pub = publish(stack.engine, settings)
    with Session(stack.engine, expire_on_commit=False) as session:
        organ = ensure_organ(session=session, code="mr", name=None, at=datetime.now(UTC))
        admin = make_user(session, organ=organ, role=Role.ADMIN, name="admin-mr")
        reviewer = make_user(
            session,
            organ=organ,
            role=Role.SECRECY_REVIEWER,
            name="reviewer-mr",
            login="reviewer-mr",
        )
        document = session.get(Document, pub.document_id)
        assert document is not None
        own_organ = session.get(Organ, document.organ_id)
        assert own_organ is not None
        assign_organ(session=session, user=reviewer, organ=own_organ, at=datetime.now(UTC))
        _, token = issue_token(session=session, user=admin, label="t", at=datetime.now(UTC))
        session.commit()
    enrol_users(stack.engine, "reviewer-mr")
    added = api.post(
        f"/documents/{pub.document_id}/attachments",
        files={"interpretation_material": ("解读.txt", io.BytesIO(TEXT.encode()), "text/plain")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert added.status_code == 201, added.text
    material_id, file_id = added.json()["id"], added.json()["file"]["id"]
    name = f"material-{material_id}"
    try:
        run = wait_until(lambda: _waiting(name, 1), timeout=90, what=f"run {name} waiting")
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed}; last seen: {SEEN[0]}")
    assert run.state is not None
    page = f"/portal/documents/{pub.index_number}"
    assert f"/files/{file_id}" not in api.get(page).text
    assert api.get(f"{page}/files/{file_id}").status_code == 404

    decide_in_ui(stack, run.id, decision="approve", reviewer="nobody-of-that-name", code="1")
    wait_until(lambda: _waiting(name, 2), timeout=90, what=f"run {name} waiting again")
    assert api.get(f"{page}/files/{file_id}").status_code == 404

    decide_in_ui(stack, run.id, decision="approve", reviewer="reviewer-mr")
    final = wait_final(run.id)
    assert final.state is not None
    assert final.state.is_completed()
    assert api.get(f"{page}/files/{file_id}").status_code == 200
    with Session(stack.engine) as session:
        material = session.get(InterpretationMaterial, material_id)
        decisions: list[Any] = list(
            session.exec(
                select(Decision.step, Decision.kind, Decision.channel)
                .where(col(Decision.document_id) == pub.document_id)
                .order_by(col(Decision.id))
            ).all()
        )
    assert material is not None
    assert material.cleared_at is not None
    assert decisions == [
        ("secrecy_review", "approve", "api"),  # the document's own clearance before publication
        ("sign_off", "sign_off", "api"),  # and its 签发
        ("material_review", "approve", "ui"),
    ]
