"""The review's automatic steps read the uploaded files (issue 25), on SQLite and PostgreSQL:
drafts posted through the real API, then the marking stage and the pre-screen as the flow's
tasks call them (the flow itself runs in tests/workflows/test_reading_e2e.py, on PostgreSQL)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from config.settings import Settings
from models.readings import FileReading
from models.versions import RecordedFinding
from policies.statuses import Status
from services.review import (
    files_of_recheck,
    files_of_version,
    prescreen_version,
    recheck_marking,
)
from tests.api.conftest import Person, TestClient, form
from tests.documents import docx_bytes, ofd_bytes, text_pdf_bytes

AT = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
PHONES = ["联系人：张三，手机13812345678", "办公电话：0745-5833778"]


def _submit(
    client: TestClient, people: dict[str, Person], name: str, data: bytes
) -> tuple[int, int]:
    files = {"file": (name, io.BytesIO(data), "application/octet-stream")}
    created = client.post("/documents", data=form(), files=files, headers=people["drafter"].headers)
    assert created.status_code == 201, created.text
    return created.json()["document"]["id"], created.json()["version"]["id"]


def _review(app: FastAPI, settings: Settings, doc: int, version: int) -> tuple[Status, set[str]]:
    with Session(app.state.engine) as session:
        status = recheck_marking(
            session=session,
            document_id=doc,
            version_id=version,
            at=AT,
            files_dir=settings.files_dir,
        )
        if status is Status.SECRECY_REVIEW:
            prescreen_version(
                session=session, version_id=version, files_dir=settings.files_dir, terms=(), at=AT
            )
        session.commit()
        rules = set(
            session.exec(
                select(RecordedFinding.rule).where(col(RecordedFinding.version_id) == version)
            )
        )
    return status, rules


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        pytest.param(
            "通知.ofd",
            ofd_bytes([["关于……的通知", "身份证号：11010519491231002X", "（此件公开发布）"]]),
            {"prescreen.id_number"},
            id="OFD: the ID number",
        ),
        pytest.param(
            "通知.docx",
            docx_bytes(["关于……的通知", *PHONES]),
            {"prescreen.mobile", "prescreen.landline"},
            id="DOCX: mobile and landline",
        ),
        pytest.param(
            "通知.pdf",
            text_pdf_bytes([["关于……的通知", *PHONES]]),
            {"prescreen.mobile", "prescreen.landline"},
            id="text-layer PDF: mobile and landline",
        ),
    ],
)
def test_the_prescreen_finds_the_evidence_in_each_format(
    client: TestClient,
    people: dict[str, Person],
    app: FastAPI,
    settings: Settings,
    name: str,
    data: bytes,
    expected: set[str],
) -> None:
    status, rules = _review(app, settings, *_submit(client, people, name, data))
    assert status is Status.SECRECY_REVIEW
    assert expected <= rules
    with Session(app.state.engine) as session:
        assert len(session.exec(select(FileReading)).all()) == 1  # both steps, one reading


@pytest.mark.parametrize(
    ("name", "data", "rule"),
    [
        pytest.param(
            "通知.txt",
            "关于……的通知\n（此件主动公开）".encode(),
            "printed.marking_not_canonical",
            id="此件主动公开 on a 主动公开 draft",
        ),
        pytest.param(
            "通知.docx",
            docx_bytes(["关于……的通知", "（此件公开发布）"], header=["秘密★10年"]),
            "printed.classification_contradicts",
            id="秘密★10年 in the header of an unclassified draft",
        ),
    ],
)
def test_the_marking_stage_returns_a_draft_whose_file_contradicts_its_record(
    client: TestClient,
    people: dict[str, Person],
    app: FastAPI,
    settings: Settings,
    name: str,
    data: bytes,
    rule: str,
) -> None:
    status, rules = _review(app, settings, *_submit(client, people, name, data))
    assert status is Status.RETURNED
    assert rule in rules


def test_the_steps_name_the_files_they_read_and_the_recheck_none_once_routed(
    client: TestClient, people: dict[str, Person], app: FastAPI, settings: Settings
) -> None:
    """What the marking and pre-screen tasks read ahead (workflows/marking.py,
    secrecy_review.py): the draft while it waits for the re-check, nothing once routed; the
    pre-screen every file of the version."""
    doc, version = _submit(client, people, "通知.txt", "关于……的通知\n（此件公开发布）".encode())
    with Session(app.state.engine) as session:
        named = files_of_recheck(session=session, document_id=doc, version_id=version)
        assert named == files_of_version(session=session, version_id=version)
        assert len(named) == 1
        assert files_of_recheck(session=session, document_id=doc, version_id=version + 1) == []
    status, _ = _review(app, settings, doc, version)
    assert status is Status.SECRECY_REVIEW
    with Session(app.state.engine) as session:
        assert files_of_recheck(session=session, document_id=doc, version_id=version) == []
        assert files_of_version(session=session, version_id=version) == named
