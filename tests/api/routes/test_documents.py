"""Documents through the API: resubmission after 退文, idempotent retries, who may read which
document, the list and its pages, interpretation material sent later."""

from __future__ import annotations

import io

from fastapi import FastAPI
from sqlmodel import Session, select

from models.documents import Document
from tests.api.conftest import Person, TestClient, count_rows, form, main_file


def _returned(client: TestClient, person: Person) -> int:
    response = client.post(
        "/documents",
        data=form(attribute="withheld"),
        files=main_file(),
        headers=person.headers,
    )
    assert response.status_code == 422
    return int(response.json()["document_id"])


def test_a_returned_draft_is_resubmitted_as_version_two_and_nothing_is_overwritten(
    client: TestClient, people: dict[str, Person]
) -> None:
    drafter = people["drafter"]
    document_id = _returned(client, drafter)
    still_wrong = client.post(
        f"/documents/{document_id}/versions",
        data=form(attribute="withheld", reason_codes="NS-5"),
        files=main_file("v2.pdf", b"%PDF-1.4 v2"),
        headers=drafter.headers,
    )
    assert still_wrong.status_code == 422
    assert {f["rule"] for f in still_wrong.json()["findings"]} == {"reason.explanation_required"}
    fixed = client.post(
        f"/documents/{document_id}/versions",
        data=form(
            attribute="不予公开",
            reason_codes=["NS-5", "NS-6"],
            reason_explanation="属于内部人事管理信息（条例第十六条第一款）",
        ),
        files=main_file("v3.pdf", b"%PDF-1.4 v3"),
        headers=drafter.headers,
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["version"]["number"] == 3
    assert fixed.json()["status"] == "submitted"
    assert fixed.json()["version"]["marking"]["reason_codes"] == ["NS-5", "NS-6"]
    detail = client.get(f"/documents/{document_id}", headers=drafter.headers).json()
    assert [v["number"] for v in detail["versions"]] == [1, 2, 3]
    assert len({v["files"][0]["sha256"] for v in detail["versions"]}) == 3
    assert detail["versions"][0]["findings"], "version 1 keeps its 退文 findings"
    statuses = [e["after"]["status"] for e in detail["history"] if e["action"] == "status.changed"]
    assert statuses == ["returned", "submitted"]


def test_only_a_returned_document_takes_a_new_version(
    client: TestClient, people: dict[str, Person]
) -> None:
    drafter = people["drafter"]
    created = client.post("/documents", data=form(), files=main_file(), headers=drafter.headers)
    document_id = created.json()["document"]["id"]
    response = client.post(
        f"/documents/{document_id}/versions",
        data=form(),
        files=main_file(),
        headers=drafter.headers,
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


def test_a_retried_upload_with_the_same_key_returns_the_first_answer(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    drafter = people["drafter"]
    headers = drafter.headers | {"Idempotency-Key": "upload-0001"}
    first = client.post("/documents", data=form(), files=main_file(), headers=headers)
    again = client.post("/documents", data=form(), files=main_file(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert count_rows(app, Document) == 1
    returned_headers = drafter.headers | {"Idempotency-Key": "upload-0002"}
    first_422 = client.post(
        "/documents", data=form(attribute="withheld"), files=main_file(), headers=returned_headers
    )
    again_422 = client.post(
        "/documents", data=form(attribute="withheld"), files=main_file(), headers=returned_headers
    )
    assert first_422.status_code == again_422.status_code == 422
    assert first_422.json() == again_422.json()
    assert count_rows(app, Document) == 2
    other = people["other_drafter"].headers | {"Idempotency-Key": "upload-0001"}
    assert (
        client.post("/documents", data=form(), files=main_file(), headers=other).status_code == 201
    )
    assert count_rows(app, Document) == 3


def test_no_token_is_401_with_www_authenticate(
    client: TestClient, people: dict[str, Person]
) -> None:
    for response in (
        client.post("/documents", data=form(), files=main_file()),
        client.get("/documents"),
        client.post("/documents", data=form(), headers={"Authorization": "Bearer nope"}),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthenticated"


def test_a_revoked_token_is_401(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    from datetime import UTC, datetime

    from models.users import ApiToken
    from services.accounts import hash_token, revoke_token

    with Session(app.state.engine) as session:
        digest = hash_token(people["drafter"].token)
        token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).one()
        revoke_token(session=session, token_id=token.id or 0, at=datetime.now(UTC))
        session.commit()
    assert client.get("/documents", headers=people["drafter"].headers).status_code == 401


def test_a_reviewer_may_not_submit_a_draft(client: TestClient, people: dict[str, Person]) -> None:
    response = client.post(
        "/documents", data=form(), files=main_file(), headers=people["reviewer"].headers
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_drafter_cannot_read_another_organs_documents(
    client: TestClient, people: dict[str, Person]
) -> None:
    created = client.post(
        "/documents", data=form(), files=main_file(), headers=people["drafter"].headers
    )
    document_id = created.json()["document"]["id"]
    other = people["other_drafter"].headers
    assert client.get(f"/documents/{document_id}", headers=other).status_code == 404
    assert client.get("/documents", headers=other).json()["total"] == 0
    resubmit = client.post(
        f"/documents/{document_id}/versions", data=form(), files=main_file(), headers=other
    )
    assert resubmit.status_code == 404
    for reader in ("reviewer", "office", "admin"):
        assert client.get(f"/documents/{document_id}", headers=people[reader].headers).is_success


def test_the_list_filters_and_paginates(client: TestClient, people: dict[str, Person]) -> None:
    drafter = people["drafter"].headers
    for _ in range(3):
        client.post("/documents", data=form(), files=main_file(), headers=drafter)
    client.post("/documents", data=form(attribute="withheld"), files=main_file(), headers=drafter)
    page = client.get("/documents", params={"limit": 2, "offset": 1}, headers=drafter).json()
    assert (page["total"], len(page["items"])) == (4, 2)
    returned = client.get("/documents", params={"status": "returned"}, headers=drafter).json()
    assert returned["total"] == 1
    withheld = client.get("/documents", params={"attribute": "不予公开"}, headers=drafter).json()
    assert withheld["total"] == 1
    intake = client.get("/documents", params={"stage": "intake", "organ": "wm"}, headers=drafter)
    assert intake.json()["total"] == 4
    bad = client.get("/documents", params={"status": "lost"}, headers=drafter)
    assert bad.status_code == 422
    assert bad.json()["findings"][0]["field"] == "status"


def test_the_list_pages_by_cursor_and_refuses_a_cursor_it_did_not_give(
    client: TestClient, people: dict[str, Person]
) -> None:
    drafter = people["drafter"].headers
    submitted = [
        client.post("/documents", data=form(), files=main_file(), headers=drafter).json()
        for _ in range(3)
    ]
    client.post(
        "/documents", data=form(), files=main_file(), headers=people["other_drafter"].headers
    )
    first = client.get("/documents", params={"limit": 2}, headers=drafter).json()
    assert first["total"] == 3
    assert first["next_cursor"]
    second = client.get(
        "/documents", params={"limit": 2, "cursor": first["next_cursor"]}, headers=drafter
    ).json()
    assert second["next_cursor"] is None
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == [body["document"]["id"] for body in reversed(submitted)]

    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "MjAyNS0wMy0wM3w3"}, "cursor"),  # base64 of a date without time zone
        ({"cursor": first["next_cursor"], "offset": 2}, "offset"),
    ):
        refused = client.get("/documents", params=params, headers=drafter)
        assert refused.status_code == 422, params
        assert refused.json()["findings"][0]["field"] == field


def test_interpretation_material_is_added_later(
    client: TestClient, people: dict[str, Person]
) -> None:
    drafter = people["drafter"].headers
    created = client.post("/documents", data=form(), files=main_file(), headers=drafter).json()
    document_id = created["document"]["id"]
    response = client.post(
        f"/documents/{document_id}/attachments",
        files={"interpretation_material": ("解读.txt", io.BytesIO("图解".encode()), "text/plain")},
        headers=drafter,
    )
    assert response.status_code == 201, response.text
    detail = client.get(f"/documents/{document_id}", headers=drafter).json()
    assert [m["kind"] for m in detail["interpretation_materials"]] == ["interpretation_material"]
    assert detail["history"][-1]["action"] == "interpretation.material_added"
    wrong = client.post(
        f"/documents/{document_id}/attachments",
        files={"file": ("x.txt", io.BytesIO(b"x"), "text/plain")},
        headers=drafter,
    )
    assert wrong.status_code == 422
