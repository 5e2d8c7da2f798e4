"""Issue 23: a file name belongs to one upload, not to the content. Two drafters of different
organs who send the same bytes each see their own name; the name is never shown across
documents."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI

from config.settings import Settings
from models.migrate import upgrade
from tests.api.conftest import Person, TestClient, form, main_file
from tests.publication_helpers import publish

SAME_BYTES = b"%PDF-1.4\n% the same content sent twice\n%%EOF\n"


def _files(client: TestClient, person: Person, document_id: int) -> list[dict[str, object]]:
    detail = client.get(f"/documents/{document_id}", headers=person.headers).json()
    files: list[dict[str, object]] = detail["versions"][-1]["files"]
    return files


def test_issue_23_the_same_bytes_uploaded_by_another_organ_keep_that_uploads_name(
    client: TestClient, people: dict[str, Person]
) -> None:
    first, second = people["drafter"], people["other_drafter"]
    a = client.post(
        "/documents",
        data=form(title="甲单位通知"),
        files=main_file("甲单位-内部名单.pdf", SAME_BYTES),
        headers=first.headers,
    )
    b = client.post(
        "/documents",
        data=form(title="乙单位通知"),
        files={
            "file": ("draft.pdf", SAME_BYTES, "application/pdf"),
            "other": ("附件-乙.pdf", SAME_BYTES + b"%x\n", "application/pdf"),
        },
        headers=second.headers,
    )
    assert a.status_code == b.status_code == 201, (a.text, b.text)
    # the answer to the submission and the document read back both show this upload's name
    assert b.json()["version"]["files"][0]["original_name"] == "draft.pdf"
    a_files = _files(client, first, a.json()["document"]["id"])
    b_files = _files(client, second, b.json()["document"]["id"])
    assert a_files[0]["sha256"] == b_files[0]["sha256"]  # one stored content
    assert [f["original_name"] for f in a_files] == ["甲单位-内部名单.pdf"]
    assert [f["original_name"] for f in b_files] == ["draft.pdf", "附件-乙.pdf"]
    assert "甲单位" not in str(
        client.get(f"/documents/{b.json()['document']['id']}", headers=second.headers).json()[
            "versions"
        ]
    )


def test_a_published_file_is_offered_under_its_own_uploads_name(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    published = publish(app.state.engine, settings, title="关于春耕的通知")
    page = client.get(f"/portal/documents/{published.index_number}").text
    assert "正文.txt" in page  # the name given with this version (tests/publication_helpers.py)


def test_issue_23_existing_rows_keep_their_names_on_their_own_attachments(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0009r")  # the revision before this one
    engine = sa.create_engine(url)
    rows = [
        "INSERT INTO organs (id, code, name, created_at) VALUES (1, 'wm', 'w', :at)",
        "INSERT INTO users (id, name, login, organ_id, active, role, created_at) "
        "VALUES (1, 'd', 'd', 1, 1, 'drafter', :at)",
        "INSERT INTO documents (id, title, organ_id, document_type, written_on, policy_profile, "
        "is_important_policy, issued_in_government_name, status, stage, status_changed_at, "
        "created_by, created_at, validity) VALUES (1, 't', 1, 'notice', '2025-03-03', "
        "'national', 0, 0, 'submitted', 'intake', :at, 1, :at, 'valid')",
        "INSERT INTO stored_files (id, sha256, size_bytes, media_type, original_name, "
        "storage_path, created_at) VALUES (1, :a, 1, 'text/plain', '正文.txt', 'a', :at), "
        "(2, :b, 1, 'text/plain', '解读.txt', 'b', :at)",
        "INSERT INTO versions (id, document_id, number, submitted_by, submitted_at, "
        "main_file_id) VALUES (1, 1, 1, 1, :at, 1)",
        "INSERT INTO version_attachments (id, version_id, file_id, kind) "
        "VALUES (1, 1, 2, 'interpretation_material')",
        "INSERT INTO interpretation_materials (id, document_id, file_id, kind, received_at) "
        "VALUES (1, 1, 2, 'interpretation_material', :at)",
    ]
    values = {"at": "2025-03-03 01:00:00+00:00", "a": "a" * 64, "b": "b" * 64}
    with engine.begin() as db:
        for row in rows:
            db.execute(sa.text(row), values)
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as db:
        names = [
            db.execute(sa.text(f"SELECT {column} FROM {table}")).scalar_one()
            for table, column in (
                ("versions", "main_file_name"),
                ("version_attachments", "file_name"),
                ("interpretation_materials", "file_name"),
            )
        ]
    engine.dispose()
    assert names == ["正文.txt", "解读.txt", "解读.txt"]
