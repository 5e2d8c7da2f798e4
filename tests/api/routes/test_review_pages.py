"""Reviewers read what they review (issue 21): the form's link opens the document in a browser,
behind the common sign-in (CSRF-safe, a browser session), for reviewer roles within their
organs: its files, their extracted text, and the pre-screen evidence highlighted where found."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlmodel import Session

from config.settings import Settings
from models.files import StoredFile
from models.versions import Version
from policies.roles import Role
from policies.statuses import Status
from services.accounts import ensure_organ, issue_token
from tests.api.conftest import Person, TestClient, browser_sign_in
from tests.factories import T0, id_of, make_document, make_user, record_content

TEXT = "关于春耕工作的通知\n本件涉密，联系人身份证号11010519491231002X。\n"


def document_with_text(app: FastAPI, settings: Settings, drafter: Person) -> tuple[int, int]:
    """A document of the drafter's organ waiting for the secrecy reviewer, its main file a text
    with a term and an ID number in it; (document id, file id)."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        document = make_document(
            session, drafter=drafter.user, status=Status.SECRECY_REVIEW, document_type="notice"
        )
        version = session.get(Version, document.current_version_id)
        assert version is not None
        stored = session.get(StoredFile, version.main_file_id)
        assert stored is not None
        stored.media_type, stored.original_name = "text/plain", "通知.txt"
        record_content(stored, TEXT.encode())
        session.add(stored)
        session.commit()
        path: Path = settings.files_dir / stored.storage_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(TEXT.encode())
        return id_of(document), id_of(stored)


def test_the_reviewer_signs_in_and_reads_files_text_and_highlighted_evidence(
    client: TestClient, app: FastAPI, settings: Settings, people: dict[str, Person]
) -> None:
    doc, file_id = document_with_text(app, settings, people["drafter"])
    page = f"/review/documents/{doc}"
    first = client.get(page)
    assert first.status_code == 303
    assert first.headers["location"] == f"/review/login?next={page}"

    form = client.get(f"/review/login?next={page}")
    assert f'name="next" value="{page}"' in form.text
    signed_in = browser_sign_in(client, "/review", people["reviewer"].token)
    assert signed_in.status_code == 303
    assert "gongkai_review" in client.cookies
    assert client.cookies["gongkai_review"] != people["reviewer"].token

    shown = client.get(page)
    assert shown.status_code == 200
    assert "script-src 'self'" in shown.headers["content-security-policy"]
    assert '<mark id="f1-1" title="' in shown.text
    assert ">涉密</mark>" in shown.text
    assert ">11010519491231002X</mark>" in shown.text
    assert "line 2, column 3" in shown.text
    assert f'href="/review/documents/{doc}/files/{file_id}"' in shown.text
    download = client.get(f"/review/documents/{doc}/files/{file_id}")
    assert download.status_code == 200
    assert download.text == TEXT
    assert download.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/review/documents/{doc}/files/{file_id + 999}").status_code == 404
    # The review cookie opens /review only, and signing out revokes it.
    assert client.post("/review/logout").status_code == 303
    assert client.get(page).status_code == 303


def test_the_reviewer_downloads_only_the_bytes_recorded_when_they_were_received_art_42(
    client: TestClient, app: FastAPI, settings: Settings, people: dict[str, Person]
) -> None:
    """保密法实施条例 2024 art. 42: the reviewer reviews the content on record; bytes altered in
    the files folder since are refused (500), not handed to the reviewer as that content."""
    doc, file_id = document_with_text(app, settings, people["drafter"])
    assert browser_sign_in(client, "/review", people["reviewer"].token).status_code == 303
    download = f"/review/documents/{doc}/files/{file_id}"
    assert client.get(download).text == TEXT
    with Session(app.state.engine) as session:
        stored = session.get(StoredFile, file_id)
        assert stored is not None
        path = settings.files_dir / stored.storage_path
    path.write_bytes(TEXT.replace("春耕", "秋收").encode())
    refused = client.get(download)
    assert refused.status_code == 500
    assert refused.json()["error"] == "stored_content_altered"
    assert "秋收" not in refused.text


def test_only_reviewer_roles_of_the_documents_organs_read_it(
    client: TestClient, app: FastAPI, settings: Settings, people: dict[str, Person]
) -> None:
    doc, _ = document_with_text(app, settings, people["drafter"])
    assert browser_sign_in(client, "/review", people["drafter"].token).status_code == 403
    with Session(app.state.engine, expire_on_commit=False) as session:
        other = ensure_organ(session=session, code="zw", name=None, at=T0)
        outsider = make_user(session, organ=other, role=Role.SECRECY_REVIEWER)
        _, token = issue_token(session=session, user=outsider, label="t", at=T0)
        session.commit()
    assert browser_sign_in(client, "/review", token).status_code == 303
    assert client.get(f"/review/documents/{doc}").status_code == 404
    client.cookies.clear()
    assert browser_sign_in(client, "/review", people["office"].token).status_code == 303
    assert client.get(f"/review/documents/{doc}").status_code == 200
