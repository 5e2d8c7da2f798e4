"""A returned draft's corrected version starts a new review run (issue 6, "Done when").

Everything through the real API (multipart uploads, bearer tokens) on the real Prefect server
and serve process: the drafter uploads a draft with a 居民身份证号, the pre-screen flags it, the
secrecy reviewer returns it through POST /documents/{id}/decisions, the drafter posts version 2
through POST /documents/{id}/versions, and a second flow run — named and parametrized for
version 2 — reaches the secrecy reviewer's wait.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import Session, col, select

from models.db import session_scope
from models.documents import Document
from models.versions import RecordedFinding, Version
from policies.roles import Role
from policies.statuses import Status
from services.accounts import create_user, ensure_organ, issue_token
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import read_run, wait_final, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
WITH_ID_NUMBER = "关于张三同志的通报\n身份证号：11010519491231002X\n请各单位周知。\n"
CORRECTED = "关于张三同志的通报\n（个人身份信息已删除）\n请各单位周知。\n"


def _people(stack: Stack) -> dict[str, dict[str, str]]:
    """A drafter and a secrecy reviewer of one organ, with their bearer headers."""
    made: dict[str, dict[str, str]] = {}
    with session_scope(stack.engine) as session:
        organ = ensure_organ(session=session, code="resubmit-e2e", name="测试县政府办", at=AT)
        for name, role in (("起草人-e2e", Role.DRAFTER), ("审查员-e2e", Role.SECRECY_REVIEWER)):
            user = create_user(session=session, name=name, organ=organ, role=role, at=AT)
            _, token = issue_token(session=session, user=user, label="e2e", at=AT)
            made[role.value] = {"Authorization": f"Bearer {token}"}
    return made


def _upload(text: str) -> dict[str, Any]:
    return {"file": ("通报.txt", io.BytesIO(text.encode("utf-8")), "text/plain")}


def _form() -> dict[str, str]:
    return {
        "title": "关于张三同志的通报",
        "doc_number": "测政办发〔2026〕9号",
        "document_type": "notice",
        "written_on": "2026-03-02",
        "attribute": "proactive",
    }


def _run_of(stack: Stack, document_id: int, not_: str | None = None) -> UUID:
    """The flow run the API recorded for the document's current version."""

    def probe() -> str | None:
        with Session(stack.engine) as session:
            document = session.get(Document, document_id)
            assert document is not None
            run = document.flow_run_id
        return run if run and run != not_ else None

    return UUID(wait_until(probe, timeout=30, what=f"a review run of document {document_id}"))


def test_a_returned_drafts_new_version_starts_a_new_run(stack: Stack, api: Any) -> None:
    people = _people(stack)
    created = api.post(
        "/documents", data=_form(), files=_upload(WITH_ID_NUMBER), headers=people["drafter"]
    )
    assert created.status_code == 201, created.text
    doc = created.json()["document"]["id"]
    version_1 = created.json()["version"]["id"]
    first = _run_of(stack, doc)
    wait_suspended_at(stack, first, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        flagged = set(
            session.exec(
                select(RecordedFinding.rule).where(col(RecordedFinding.version_id) == version_1)
            )
        )
    assert "prescreen.id_number" in flagged

    returned = api.post(
        f"/documents/{doc}/decisions",
        json={
            "step": "secrecy_review",
            "decision": "return",
            "reason_codes": ["NS-4"],
            "comment": "含个人身份证号，请删除后重新报送",
        },
        headers=people["secrecy_reviewer"],
    )
    assert returned.status_code == 201, returned.text
    assert returned.json()["status"] == "returned"
    ended = wait_final(first)
    assert ended.state is not None
    assert ended.state.is_completed()

    resubmitted = api.post(
        f"/documents/{doc}/versions",
        data=_form(),
        files=_upload(CORRECTED),
        headers=people["drafter"],
    )
    assert resubmitted.status_code == 201, resubmitted.text
    assert resubmitted.json()["version"]["number"] == 2
    version_2 = resubmitted.json()["version"]["id"]
    second = _run_of(stack, doc, not_=str(first))

    run = read_run(second)
    assert run.name == f"doc-{doc}-v2"
    assert run.parameters == {"document_id": doc, "version_id": version_2}
    assert f"doc:{doc}" in run.tags
    wait_suspended_at(stack, second, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        rules_2 = set(
            session.exec(
                select(RecordedFinding.rule).where(col(RecordedFinding.version_id) == version_2)
            )
        )
        current = session.get(Document, doc)
        assert current is not None
        versions = session.exec(select(Version.number).where(col(Version.document_id) == doc))
        numbers = sorted(versions)
    assert "prescreen.id_number" not in rules_2  # the corrected text is clean
    assert current.current_version_id == version_2
    assert numbers == [1, 2]
    assert read_run(first).state.is_completed()  # type: ignore[union-attr]  # v1's run untouched
