"""POST /documents/{id}/decisions without a Prefect server: who may decide, what is refused,
and that nothing is kept when the run cannot be resumed (issue 6). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from prefect.exceptions import FlowPauseTimeout, NotPausedError
from sqlmodel import Session

from models.decisions import Decision
from models.documents import Document
from policies.statuses import Status
from tests.api.conftest import Person, TestClient, count_rows
from tests.factories import id_of, make_document

APPROVE = {"step": "secrecy_review", "decision": "approve"}


def waiting_document(app: FastAPI, drafter: Person, *, flow_run: bool = True) -> int:
    """A document of the drafter's organ waiting for the secrecy reviewer."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        document = make_document(
            session,
            drafter=drafter.user,
            status=Status.SECRECY_REVIEW,
            document_type="notice",
            flow_run_id=str(uuid4()) if flow_run else None,
        )
        session.commit()
        return id_of(document)


def status_of(app: FastAPI, document_id: int) -> Status:
    with Session(app.state.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.status


def test_a_decision_without_a_token_is_401(client: TestClient, app: FastAPI) -> None:
    response = client.post("/documents/1/decisions", json=APPROVE)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_a_drafter_may_not_decide_the_secrecy_review(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    document_id = waiting_document(app, people["drafter"])
    response = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=people["office"].headers
    )
    assert response.status_code == 403, response.text
    assert "secrecy_reviewer" in response.json()["detail"]
    assert count_rows(app, Decision) == 0


def test_the_reviewer_who_drafted_the_document_may_not_review_it(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    reviewer = people["reviewer"]
    document_id = waiting_document(app, reviewer)  # the reviewer is also its drafter (回避)
    response = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=reviewer.headers
    )
    assert response.status_code == 403, response.text
    assert "回避" in response.json()["detail"]
    assert status_of(app, document_id) is Status.SECRECY_REVIEW


def test_a_decision_before_the_review_started_is_409(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    document_id = waiting_document(app, people["drafter"], flow_run=False)
    response = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=people["reviewer"].headers
    )
    assert response.status_code == 409
    assert "has not started" in response.json()["detail"]


def test_a_decision_for_a_step_the_document_is_not_at_is_409(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    document_id = waiting_document(app, people["drafter"])
    response = client.post(
        f"/documents/{document_id}/decisions",
        json={"step": "office_prereview", "decision": "approve"},
        headers=people["office"].headers,
    )
    assert response.status_code == 409
    assert "not waiting for 'office_prereview'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            {"step": "secrecy_review", "decision": "maybe"},
            "invalid_request",
            id="unknown decision",
        ),
        pytest.param(
            {"step": "publication", "decision": "approve"}, "invalid_request", id="unknown step"
        ),
        pytest.param(APPROVE | {"signed": True}, "invalid_request", id="unknown field"),
        pytest.param(
            {"step": "secrecy_review", "decision": "file"},
            "decision_invalid",
            id="file at secrecy review",
        ),
        pytest.param(
            {"step": "secrecy_review", "decision": "return"},
            "decision_invalid",
            id="return without reasons",
        ),
        pytest.param(
            APPROVE | {"reason_codes": ["NS-99"]}, "decision_invalid", id="unknown reason code"
        ),
        pytest.param(
            {"step": "secrecy_review", "decision": "change_attribute", "new_attribute": "withheld"},
            "decision_invalid",
            id="change without coded reason",
        ),
    ],
)
def test_a_malformed_or_unfitting_decision_is_422_and_nothing_is_recorded(
    client: TestClient,
    app: FastAPI,
    people: dict[str, Person],
    body: dict[str, Any],
    error: str,
) -> None:
    document_id = waiting_document(app, people["drafter"])
    response = client.post(
        f"/documents/{document_id}/decisions", json=body, headers=people["reviewer"].headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == error
    assert count_rows(app, Decision) == 0


def test_prefect_unreachable_keeps_nothing_and_is_503(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    document_id = waiting_document(app, people["drafter"])
    response = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=people["reviewer"].headers
    )
    assert response.status_code == 503, response.text
    assert count_rows(app, Decision) == 0
    assert status_of(app, document_id) is Status.SECRECY_REVIEW


@pytest.mark.parametrize(
    ("refusal", "status", "words"),
    [
        pytest.param(
            NotPausedError("Cannot resume a run that isn't paused!"),
            409,
            "not waiting",
            id="not paused",
        ),
        pytest.param(
            RuntimeError("Cannot resume this run: Run input schema not found."),
            409,
            "not ready",
            id="no schema",
        ),
        pytest.param(
            FlowPauseTimeout("Flow run can no longer be resumed."), 410, "expired", id="expired"
        ),
        pytest.param(
            RuntimeError("Cannot resume this run: Run input validation failed: 'x' is not one of"),
            422,
            "validation failed",
            id="rejected input",
        ),
    ],
)
def test_prefect_refusing_the_resume_is_mapped_and_rolls_the_decision_back(
    client: TestClient,
    app: FastAPI,
    people: dict[str, Person],
    monkeypatch: pytest.MonkeyPatch,
    refusal: Exception,
    status: int,
    words: str,
) -> None:
    # What aresume_flow_run raises for each answer of the server (prefect.md §2.3); the real
    # server's NotPausedError is exercised in tests/workflows/test_rest_decisions.py.
    async def refuse(*_: Any, **__: Any) -> None:
        raise refusal

    monkeypatch.setattr("api.review_resumer.aresume_flow_run", refuse)
    document_id = waiting_document(app, people["drafter"])
    response = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=people["reviewer"].headers
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert count_rows(app, Decision) == 0
    assert status_of(app, document_id) is Status.SECRECY_REVIEW


def test_an_accepted_resume_records_the_decision_once_with_the_api_channel(
    client: TestClient, app: FastAPI, people: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    async def accept(_: Any, run_input: dict[str, Any]) -> None:
        sent.append(run_input)

    monkeypatch.setattr("api.review_resumer.aresume_flow_run", accept)
    document_id = waiting_document(app, people["drafter"])
    reviewer = people["reviewer"]
    first = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=reviewer.headers
    )
    again = client.post(
        f"/documents/{document_id}/decisions", json=APPROVE, headers=reviewer.headers
    )

    assert first.status_code == 201, first.text
    assert first.json()["channel"] == "api"
    assert first.json()["status"] == "awaiting_signoff"
    assert sent == [
        {
            "decision": "approve",
            "reviewer": "reviewer",
            "reason_codes": [],
            "comment": "",
            "new_attribute": "",
        }
    ]
    assert again.status_code == 409
    assert count_rows(app, Decision) == 1


def test_the_decision_route_declares_its_errors_with_the_error_model(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/documents/{document_id}/decisions"][
        "post"
    ]
    for code in ("401", "403", "404", "409", "410", "422", "503"):
        schema = operation["responses"][code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}
