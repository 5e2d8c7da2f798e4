"""Issue 21: material added after publication is absent from the portal (page and download)
until a secrecy reviewer approves it; approval meets the 3-working-day interpretation deadline;
a return keeps it hidden; the decision is recorded and audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi import FastAPI
from sqlmodel import Session, col, select

from config.settings import Settings
from models.audit import AuditEvent
from models.deadlines import Deadline
from models.decisions import Decision
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.users import User
from services.accounts import assign_organ
from services.publication.publishing import JsonFileSink, publish_version
from tests.api.conftest import Person, TestClient, browser_sign_in
from tests.factories import T0
from tests.publication_helpers import publish, signed_off_document

SECRET_TEXT = "政策解读：本材料涉及涉密事项，机密★5年。"


def _assign_reviewer(app: FastAPI, reviewer: Person, document_id: int) -> None:
    """The reviewer decides for the document's organ (issue 21: organ scope)."""
    with Session(app.state.engine) as session:
        document = session.get(Document, document_id)
        user = session.get(User, reviewer.user.id)
        assert document is not None
        assert user is not None
        organ = session.get(Organ, document.organ_id)
        assert organ is not None
        assign_organ(session=session, user=user, organ=organ, at=T0)
        session.commit()


def _add_material(client: TestClient, who: Person, document_id: int, text: str) -> dict[str, int]:
    answer = client.post(
        f"/documents/{document_id}/attachments",
        files={"interpretation_material": ("解读.txt", io.BytesIO(text.encode()), "text/plain")},
        headers=who.headers,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["cleared_at"] is None
    return {"material": body["id"], "file": body["file"]["id"]}


def test_material_after_publication_is_hidden_until_a_secrecy_reviewer_approves_it(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings, policy_profile="liaoning", document_type="normative")
    _assign_reviewer(app, people["reviewer"], pub.document_id)
    with Session(app.state.engine) as session:
        deadline = session.exec(
            select(Deadline).where(
                col(Deadline.document_id) == pub.document_id, Deadline.kind == "interpretation"
            )
        ).one()
        assert deadline.met_at is None
    added = _add_material(client, people["admin"], pub.document_id, SECRET_TEXT)
    page_url = f"/portal/documents/{pub.index_number}"
    file_url = f"{page_url}/files/{added['file']}"
    assert f"/files/{added['file']}" not in client.get(page_url).text
    assert client.get(file_url).status_code == 404

    queue = client.get("/materials/pending", headers=people["reviewer"].headers).json()
    (pending,) = queue
    assert pending["id"] == added["material"]
    assert {e["kind"] for e in pending["evidence"]} >= {"term", "classification_mark"}

    decision_url = f"/materials/{added['material']}/decision"
    refused = client.post(
        decision_url, json={"decision": "approve"}, headers=people["office"].headers
    )
    assert refused.status_code == 403
    approved = client.post(
        decision_url, json={"decision": "approve"}, headers=people["reviewer"].headers
    )
    assert approved.status_code == 201, approved.text
    assert f"/files/{added['file']}" in client.get(page_url).text
    served = client.get(file_url)
    assert served.status_code == 200
    assert served.content == SECRET_TEXT.encode()
    again = client.post(
        decision_url, json={"decision": "approve"}, headers=people["reviewer"].headers
    )
    assert again.status_code == 409
    with Session(app.state.engine) as session:
        met = session.exec(select(Deadline).where(col(Deadline.id) == deadline.id)).one()
        recorded = session.exec(
            select(Decision).where(col(Decision.id) == approved.json()["id"])
        ).one()
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.document_id) == pub.document_id)
        ).all()
    assert met.met_at is not None
    assert (recorded.step, recorded.kind, recorded.decided_by) == (
        "material_review",
        "approve",
        people["reviewer"].user.id,
    )
    assert "interpretation.material_cleared" in actions


def test_the_reviewer_reads_and_downloads_the_material_awaiting_review_实施条例_art_42(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    """先审查、后公开 means reading the content: the review page the material's form links to
    shows the material's own text and evidence and offers its file, exactly what the portal
    would show once it is approved; once decided it is no longer offered there."""
    pub = publish(app.state.engine, settings)
    _assign_reviewer(app, people["reviewer"], pub.document_id)
    added = _add_material(client, people["admin"], pub.document_id, SECRET_TEXT)
    assert browser_sign_in(client, "/review", people["reviewer"].token).status_code == 303
    page = client.get(f"/review/documents/{pub.document_id}")
    assert page.status_code == 200
    assert "待保密审查" in page.text
    assert "本材料涉及" in page.text
    assert ">涉密</mark>" in page.text
    download = f"/review/documents/{pub.document_id}/files/{added['file']}"
    assert f'href="{download}"' in page.text
    sent = client.get(download)
    assert sent.status_code == 200
    assert sent.content == SECRET_TEXT.encode()

    returned = client.post(
        f"/materials/{added['material']}/decision",
        json={"decision": "return", "comment": "含涉密内容，不得公开"},
        headers=people["reviewer"].headers,
    )
    assert returned.status_code == 201, returned.text
    assert "待保密审查" not in client.get(f"/review/documents/{pub.document_id}").text
    assert client.get(download).status_code == 404


def test_a_returned_material_is_never_shown_and_a_return_needs_reasons(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings)
    _assign_reviewer(app, people["reviewer"], pub.document_id)
    added = _add_material(client, people["admin"], pub.document_id, SECRET_TEXT)
    decision_url = f"/materials/{added['material']}/decision"
    bare = client.post(
        decision_url, json={"decision": "return"}, headers=people["reviewer"].headers
    )
    assert bare.status_code == 422
    unknown = client.post(
        decision_url,
        json={"decision": "return", "reason_codes": ["XX-9"]},
        headers=people["reviewer"].headers,
    )
    assert unknown.status_code == 422
    returned = client.post(
        decision_url,
        json={"decision": "return", "comment": "含涉密内容，不得公开"},
        headers=people["reviewer"].headers,
    )
    assert returned.status_code == 201, returned.text
    page_url = f"/portal/documents/{pub.index_number}"
    assert f"/files/{added['file']}" not in client.get(page_url).text
    assert client.get(f"{page_url}/files/{added['file']}").status_code == 404
    assert client.get("/materials/pending", headers=people["reviewer"].headers).json() == []


def test_material_cleared_before_publication_meets_the_3_wd_deadline_as_it_is_published(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    engine = app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        document = signed_off_document(
            session, settings, policy_profile="liaoning", document_type="normative"
        )
        session.commit()
    assert document.id is not None
    _assign_reviewer(app, people["reviewer"], document.id)
    added = _add_material(client, people["admin"], document.id, "政策解读：春耕补贴怎么领。")
    approved = client.post(
        f"/materials/{added['material']}/decision",
        json={"decision": "approve"},
        headers=people["reviewer"].headers,
    )
    assert approved.status_code == 201, approved.text
    with Session(engine, expire_on_commit=False) as session:
        publish_version(
            session=session,
            document_id=document.id,
            version_id=document.current_version_id or 0,
            publisher=JsonFileSink(settings.data_dir / "portal"),
            at=T0 + timedelta(hours=1),
            files_dir=settings.files_dir,
        )
        session.commit()
        deadline = session.exec(
            select(Deadline).where(
                col(Deadline.document_id) == document.id, Deadline.kind == "interpretation"
            )
        ).one()
    assert deadline.met_at is not None


def test_a_material_altered_on_disk_is_listed_with_its_problem_not_a_failed_list_实施条例_art_42(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    """One material whose bytes were changed after it was received leaves the reviewers' list
    answering: that material carries no evidence and says why, the others are pre-screened."""
    pub = publish(app.state.engine, settings)
    _assign_reviewer(app, people["reviewer"], pub.document_id)
    altered = _add_material(client, people["admin"], pub.document_id, SECRET_TEXT)
    intact = _add_material(client, people["admin"], pub.document_id, SECRET_TEXT + "（二）")
    with Session(app.state.engine) as session:
        stored = session.get(StoredFile, altered["file"])
        assert stored is not None
        path = settings.files_dir / stored.storage_path
    path.chmod(0o644)
    path.write_bytes("本材料已被改动".encode())
    listed = client.get("/materials/pending", headers=people["reviewer"].headers)
    assert listed.status_code == 200, listed.text
    by_id = {item["id"]: item for item in listed.json()}
    assert set(by_id) == {altered["material"], intact["material"]}
    assert by_id[altered["material"]]["evidence"] == []
    assert "no longer matches" in by_id[altered["material"]]["extraction_problem"]
    assert by_id[intact["material"]]["evidence"]
    assert by_id[intact["material"]]["extraction_problem"] is None
