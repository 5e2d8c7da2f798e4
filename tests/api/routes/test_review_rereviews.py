"""GET /rereviews and POST /rereviews/{id}/decision through the real app, on both databases
(条例 arts. 18, 44): roles, the one error shape, the audit log, and a conversion left for the
reconciler when Prefect is down."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.db import session_scope
from models.documents import Document
from models.users import User
from models.versions import Marking
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.roles import Role
from policies.statuses import Status
from services.accounts import assign_organ, create_user, ensure_organ, issue_token
from services.review import create_due_rereviews, versions_awaiting_review_start
from tests.api.conftest import Person, TestClient
from tests.factories import id_of, make_document

FILED_AT = datetime(2025, 3, 3, 10, tzinfo=SHANGHAI)


def filed_with_task(app: FastAPI, people: dict[str, Person]) -> tuple[int, int]:
    """A filed 不予公开 document of organ wm and its open periodic re-review."""
    with session_scope(app.state.engine) as session:
        drafter = session.get(User, people["drafter"].user.id)
        document = make_document(
            session,
            drafter=drafter,
            status=Status.FILED,
            status_changed_at=FILED_AT,
            document_type="notice",
            marking={
                "attribute": Attribute.WITHHELD,
                "marking_text": Attribute.WITHHELD.marking,
                "reason_codes": ["NS-6"],
            },
        )
        [task] = create_due_rereviews(session, at=datetime(2026, 3, 4, tzinfo=SHANGHAI))
        return id_of(document), id_of(task)


def test_the_office_lists_open_rereviews_and_a_drafter_may_not(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    document_id, task_id = filed_with_task(app, people)
    refused = client.get("/rereviews", headers=people["drafter"].headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    listed = client.get("/rereviews", headers=people["office"].headers)
    assert listed.status_code == 200
    [item] = listed.json()
    assert (item["id"], item["document_id"], item["kind"], item["status"]) == (
        task_id,
        document_id,
        "periodic",
        "open",
    )
    assert "条例 art. 18" in item["basis"]
    # Domain §10 rules 10, 16: due at the end of Tue 2026-03-03, so to be decided within 20 WD
    # from Wed 03-04 (day zero): by the end of Wed 04-01. Long past today, and still open.
    assert datetime.fromisoformat(item["decide_by"]) == datetime(2026, 4, 2, tzinfo=SHANGHAI)
    assert (item["decide_by_provisional"], item["overdue"]) == (False, True)
    kept = client.get("/rereviews?status=kept", headers=people["reviewer"].headers)
    assert kept.json() == []


def test_keep_is_recorded_once_and_audited(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    document_id, task_id = filed_with_task(app, people)
    body = {"decision": "keep", "reason_codes": ["NS-6"], "explanation": "仍属过程性信息"}
    first = client.post(
        f"/rereviews/{task_id}/decision", json=body, headers=people["office"].headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["rereview"]["status"] == "kept"
    assert first.json()["rereview"]["overdue"] is False  # decided: no longer overdue
    assert first.json()["review"] == "none"
    again = client.post(
        f"/rereviews/{task_id}/decision", json=body, headers=people["office"].headers
    )
    assert again.status_code == 409
    assert set(again.json()) >= {"error", "detail", "findings"}
    missing = client.post("/rereviews/99999/decision", json=body, headers=people["office"].headers)
    assert missing.status_code == 404
    with Session(app.state.engine) as session:
        events = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.document_id) == document_id,
                col(AuditEvent.action) == "rereview.kept",
            )
        ).all()
    [event] = events
    assert (event.actor, event.channel, event.reason) == ("office", "api", "仍属过程性信息")


def test_invalid_decisions_are_422_with_the_field_named(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    _, task_id = filed_with_task(app, people)
    url, headers = f"/rereviews/{task_id}/decision", people["office"].headers
    no_attribute = client.post(
        url, json={"decision": "convert", "explanation": "可以公开"}, headers=headers
    )
    assert no_attribute.status_code == 422
    assert [f["field"] for f in no_attribute.json()["findings"]] == ["to_attribute"]
    wrong_reason = client.post(
        url,
        json={
            "decision": "convert",
            "to_attribute": "proactive",
            "reason_codes": ["NS-1"],
            "explanation": "可以公开",
        },
        headers=headers,
    )
    assert wrong_reason.status_code == 422
    assert wrong_reason.json()["findings"]
    malformed = client.post(url, json={"decision": "publish", "explanation": "x"}, headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["error"] == "invalid_request"
    drafter = client.post(
        url, json={"decision": "keep", "explanation": "x"}, headers=people["drafter"].headers
    )
    assert drafter.status_code == 403
    with Session(app.state.engine) as session:
        listed = client.get("/rereviews", headers=headers).json()
        assert [item["status"] for item in listed] == ["open"]
        assert session.exec(select(Document)).one().status is Status.FILED


def test_a_conversion_puts_the_new_version_on_the_review_path_even_if_prefect_is_down(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    document_id, task_id = filed_with_task(app, people)
    response = client.post(
        f"/rereviews/{task_id}/decision",
        json={
            "decision": "convert",
            "to_attribute": "proactive",
            "explanation": "情势变化可以公开",
        },
        headers=people["reviewer"].headers,
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["rereview"]["status"] == "converted"
    assert out["rereview"]["converted_to"] == "proactive"
    assert out["review"] in ("starting", "pending")
    with Session(app.state.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert document.status is Status.SUBMITTED  # back in review, not published
        assert document.flow_run_id is None  # Prefect is unreachable in these tests
        [waiting] = versions_awaiting_review_start(session=session)
        assert (waiting.document_id, waiting.version_id, waiting.version_number) == (
            document_id,
            out["rereview"]["converted_version_id"],
            2,
        )


def test_a_secrecy_reviewer_of_another_organ_may_not_decide_its_rereviews(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    """保密法实施条例 2024 art. 42: a unit's documents are reviewed by its own reviewers or
    those assigned to it — a re-review's keep or conversion included."""
    document_id, task_id = filed_with_task(app, people)
    with session_scope(app.state.engine) as session:
        organ = ensure_organ(session=session, code="zw", name=None, at=FILED_AT)
        stranger = create_user(
            session=session,
            name="外机关审查员",
            organ=organ,
            role=Role.SECRECY_REVIEWER,
            at=FILED_AT,
        )
        _, token = issue_token(session=session, user=stranger, label="test", at=FILED_AT)
        stranger_id = id_of(stranger)
    url = f"/rereviews/{task_id}/decision"
    headers = {"Authorization": f"Bearer {token}"}
    convert = {"decision": "convert", "to_attribute": "on_request", "explanation": "可依申请公开"}
    refused = client.post(url, json=convert, headers=headers)
    assert refused.status_code == 403, refused.text
    assert "not assigned to the organ" in refused.json()["detail"]
    keep = client.post(url, json={"decision": "keep", "explanation": "仍不公开"}, headers=headers)
    assert keep.status_code == 403
    with Session(app.state.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert document.status is Status.FILED
        assert session.exec(select(Marking.attribute)).all() == [Attribute.WITHHELD]  # one version
    assert client.get("/rereviews", headers=people["office"].headers).json()[0]["status"] == "open"
    with session_scope(app.state.engine) as session:
        assign_organ(
            session=session,
            user=session.get_one(User, stranger_id),
            organ=ensure_organ(session=session, code="wm", name=None, at=FILED_AT),
            at=FILED_AT,
        )
    assigned = client.post(url, json=convert, headers=headers)
    assert assigned.status_code == 201, assigned.text
