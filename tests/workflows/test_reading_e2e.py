"""The engine reads the documents themselves (issue 25, "Done when"): drafts uploaded through the
real API (multipart, bearer tokens) in every format, read by the real review flow on the real
Prefect server and serve process; their evidence, printed marking and 版头 密级 are found."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import Session, col, select

from models.db import session_scope
from models.documents import Document
from models.readings import FileReading
from models.versions import RecordedFinding
from policies.roles import Role
from policies.statuses import Status
from services.accounts import create_user, ensure_organ, issue_token
from services.reading.ocr import ocr_available
from tests.documents import docx_bytes, ofd_bytes, scanned_pdf_bytes, text_pdf_bytes
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import wait_final, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ID_LINE = "申请人身份证号：11010519491231002X"
PHONES = ["联系人：张三，手机13812345678", "办公电话：0745-5833778"]


@pytest.fixture(scope="module")
def drafter(stack: Stack) -> dict[str, str]:
    """A drafter's bearer header."""
    with session_scope(stack.engine) as session:
        organ = ensure_organ(session=session, code="reading-e2e", name="测试县政府办", at=AT)
        user = create_user(
            session=session, name="起草人-reading", organ=organ, role=Role.DRAFTER, at=AT
        )
        _, token = issue_token(session=session, user=user, label="e2e", at=AT)
    return {"Authorization": f"Bearer {token}"}


def _submit(api: Any, drafter: dict[str, str], name: str, data: bytes, **fields: str) -> int:
    form = {
        "title": "关于做好政务公开工作的通知",
        "doc_number": "测政办发〔2026〕25号",
        "document_type": "notice",
        "written_on": "2026-03-02",
        "attribute": "proactive",
    } | fields
    files = {"file": (name, io.BytesIO(data), "application/octet-stream")}
    created = api.post("/documents", data=form, files=files, headers=drafter)
    assert created.status_code == 201, created.text
    return int(created.json()["document"]["id"])


def _run_of(stack: Stack, document_id: int) -> UUID:
    def probe() -> str | None:
        with Session(stack.engine) as session:
            document = session.get(Document, document_id)
            assert document is not None
            return document.flow_run_id

    return UUID(wait_until(probe, timeout=30, what=f"a review run of document {document_id}"))


def _findings(stack: Stack, document_id: int) -> dict[str, str]:
    with Session(stack.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        rows = session.exec(
            select(RecordedFinding.rule, RecordedFinding.message).where(
                col(RecordedFinding.version_id) == document.current_version_id
            )
        ).all()
    found: dict[str, str] = {}
    for rule, message in rows:
        found[rule] = found.get(rule, "") + message
    return found


def _at_secrecy_review(
    stack: Stack, api: Any, drafter: dict[str, str], name: str, data: bytes, **fields: str
) -> dict[str, str]:
    doc = _submit(api, drafter, name, data, **fields)
    wait_suspended_at(stack, _run_of(stack, doc), doc, Status.SECRECY_REVIEW)
    return _findings(stack, doc)


def _returned(
    stack: Stack, api: Any, drafter: dict[str, str], name: str, data: bytes
) -> dict[str, str]:
    doc = _submit(api, drafter, name, data)
    final = wait_final(_run_of(stack, doc))
    assert final.state is not None
    assert final.state.is_completed()
    with Session(stack.engine) as session:
        document = session.get(Document, doc)
        assert document is not None
        assert document.status is Status.RETURNED
    return _findings(stack, doc)


def test_an_ofd_drafts_text_is_prescreened_and_its_id_number_found(
    stack: Stack, api: Any, drafter: dict[str, str]
) -> None:
    data = ofd_bytes([["关于做好政务公开工作的通知", ID_LINE], ["（此件公开发布）"]])
    found = _at_secrecy_review(stack, api, drafter, "通知.ofd", data)
    assert "110105********002X" in found["prescreen.id_number"]
    assert "11010519491231002X" not in "".join(found.values())  # masked
    assert "printed.marking_missing" not in found


def test_a_scanned_pdf_yields_ocr_evidence_or_the_blocking_unreadable_finding(
    stack: Stack, api: Any, drafter: dict[str, str]
) -> None:
    data = scanned_pdf_bytes(["秘密★5年", "关于做好政务公开工作的通知", ID_LINE, "（此件不公开）"])
    found = _at_secrecy_review(
        stack,
        api,
        drafter,
        "扫描件.pdf",
        data,
        attribute="withheld",
        secrecy_level="秘密",
        secrecy_period_years="5",
        reason_codes="NS-1",
        reason_explanation="属于国家秘密（条例第十四条）",
    )
    if ocr_available() is None:
        assert "page(s) 1" in found["reading.ocr"]
        assert "confidence" in found["reading.ocr"]
        assert "110105********002X" in found["prescreen.id_number"]
        assert "秘密★5年" in found["prescreen.classification_mark"]
    else:
        assert "read these pages themselves" in found["reading.pages_unread"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("通知.docx", docx_bytes(["关于做好政务公开工作的通知", *PHONES]), id="DOCX"),
        pytest.param(
            "通知.pdf", text_pdf_bytes([["关于做好政务公开工作的通知", *PHONES]]), id="PDF"
        ),
    ],
)
def test_a_docx_and_a_text_layer_pdf_carry_a_mobile_and_a_landline_that_are_found(
    stack: Stack, api: Any, drafter: dict[str, str], name: str, data: bytes
) -> None:
    found = _at_secrecy_review(stack, api, drafter, name, data)
    assert "138****5678" in found["prescreen.mobile"]
    assert "0745*****78" in found["prescreen.landline"]
    assert "printed.marking_missing" in found  # a warning: the draft carries no marking


def test_a_proactive_draft_printing_a_non_canonical_marking_is_returned_with_the_canonical_text(
    stack: Stack, api: Any, drafter: dict[str, str]
) -> None:
    text = "关于做好政务公开工作的通知\n正文。\n（此件主动公开）\n"
    found = _returned(stack, api, drafter, "通知.txt", text.encode())
    assert "“此件公开发布”" in found["printed.marking_not_canonical"]


def test_a_secret_mark_in_the_header_of_an_unclassified_proactive_draft_is_returned(
    stack: Stack, api: Any, drafter: dict[str, str]
) -> None:
    data = docx_bytes(["关于做好政务公开工作的通知", "（此件公开发布）"], header=["秘密★10年"])
    found = _returned(stack, api, drafter, "通知.docx", data)
    assert "秘密★10年" in found["printed.classification_contradicts"]
    with Session(stack.engine) as session:
        assert session.exec(select(FileReading)).first() is not None  # kept for later steps
