"""Idempotency-Key reused with a different request: refused with 422 'idempotency_key_reused'
(IETF draft-ietf-httpapi-idempotency-key-header-07 §2.7), nothing stored; the same request under
the same key still gets the first answer, also when two copies race."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import Session, select

from config.settings import Settings
from models.documents import Document
from models.idempotency import IdempotentResponse
from models.versions import Version
from services.intake.idempotency import KEY_REUSED, KEY_REUSED_SOURCE, request_fingerprint
from tests.api.conftest import (
    PDF_BYTES,
    Person,
    TestClient,
    count_rows,
    form,
    main_file,
    stored_files,
)

OTHER_PDF = b"%PDF-1.4\n% another draft\n%%EOF\n"


def _assert_key_reused(response: httpx.Response, key: str) -> None:
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "idempotency_key_reused"
    assert f"Idempotency-Key '{key}'" in body["detail"]
    assert "new key" in body["detail"]  # how to fix it
    [finding] = body["findings"]
    assert finding["rule"] == KEY_REUSED
    assert finding["source"] == KEY_REUSED_SOURCE
    assert finding["field"] == "Idempotency-Key"


def test_the_same_key_with_another_file_is_refused_and_nothing_is_stored(
    client: TestClient, people: dict[str, Person], app: FastAPI, settings: Settings
) -> None:
    headers = people["drafter"].headers | {"Idempotency-Key": "draft-7"}
    first = client.post("/documents", data=form(), files=main_file(), headers=headers)
    assert first.status_code == 201
    kept = sorted(stored_files(settings))
    other = client.post("/documents", data=form(), files=main_file(data=OTHER_PDF), headers=headers)
    _assert_key_reused(other, "draft-7")
    assert other.json()["document_id"] == first.json()["document"]["id"]
    assert count_rows(app, Document) == 1
    assert count_rows(app, Version) == 1
    assert sorted(stored_files(settings)) == kept  # the refused upload left nothing behind
    # The first request, unchanged, still gets its first answer.
    again = client.post("/documents", data=form(), files=main_file(), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())


def test_the_same_key_with_another_field_value_or_attachment_is_refused(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    headers = people["drafter"].headers | {"Idempotency-Key": "draft-8"}
    assert client.post("/documents", data=form(), files=main_file(), headers=headers).is_success
    retitled = client.post(
        "/documents", data=form(title="另一个通知"), files=main_file(), headers=headers
    )
    _assert_key_reused(retitled, "draft-8")
    with_attachment = client.post(
        "/documents",
        data=form(),
        files=main_file() | {"other": ("附件.txt", io.BytesIO("附件".encode()), "text/plain")},
        headers=headers,
    )
    _assert_key_reused(with_attachment, "draft-8")
    assert count_rows(app, Document) == 1


def test_a_key_first_used_for_a_returned_draft_is_refused_for_its_resubmission(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    headers = people["drafter"].headers | {"Idempotency-Key": "draft-9"}
    returned = client.post(
        "/documents", data=form(attribute="withheld"), files=main_file(), headers=headers
    )
    assert returned.status_code == 422
    assert returned.json()["error"] == "退文"
    document_id = returned.json()["document_id"]
    resubmitted = client.post(
        f"/documents/{document_id}/versions",
        data=form(attribute="withheld"),
        files=main_file(),
        headers=headers,
    )
    _assert_key_reused(resubmitted, "draft-9")
    assert count_rows(app, Version) == 1
    # The same retry of the first request replays its 退文, not a new version.
    replay = client.post(
        "/documents", data=form(attribute="withheld"), files=main_file(), headers=headers
    )
    assert (replay.status_code, replay.json()) == (422, returned.json())


def test_the_fingerprint_is_kept_with_the_first_answer(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    import hashlib

    headers = people["drafter"].headers | {"Idempotency-Key": "draft-10"}
    assert client.post("/documents", data=form(), files=main_file(), headers=headers).is_success
    with Session(app.state.engine) as session:
        row = session.exec(select(IdempotentResponse)).one()
    expected = request_fingerprint(
        target="new",
        fields={k: [str(v)] for k, v in form().items()},
        files=[("main", hashlib.sha256(PDF_BYTES).hexdigest())],
    )
    assert row.request_fingerprint == expected


def test_a_row_kept_before_fingerprints_is_replayed_as_before(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    headers = people["drafter"].headers | {"Idempotency-Key": "draft-11"}
    first = client.post("/documents", data=form(), files=main_file(), headers=headers)
    with Session(app.state.engine) as session:
        row = session.exec(select(IdempotentResponse)).one()
        row.request_fingerprint = None  # as migrated from before revision 0006
        session.add(row)
        session.commit()
    other = client.post("/documents", data=form(), files=main_file(data=OTHER_PDF), headers=headers)
    assert (other.status_code, other.json()) == (201, first.json())
    assert count_rows(app, Document) == 1


def test_fingerprints_ignore_order_file_names_and_blank_fields_but_not_content() -> None:
    base: dict[str, Any] = {"target": "new", "fields": {"title": ["通知"], "attribute": ["p"]}}
    one = request_fingerprint(**base, files=[("main", "aa"), ("other", "bb")])
    assert one == request_fingerprint(
        target="new",
        fields={"attribute": [" p "], "title": ["通知"], "doc_number": [""]},
        files=[("other", "bb"), ("main", "aa")],
    )
    assert one != request_fingerprint(**base, files=[("main", "ab"), ("other", "bb")])
    assert one != request_fingerprint(
        target="document:1", fields=base["fields"], files=[("main", "aa"), ("other", "bb")]
    )
    assert one != request_fingerprint(
        target="new", fields={"title": ["通知2"], "attribute": ["p"]}, files=[("main", "aa")]
    )


def test_two_copies_of_one_request_racing_make_one_document(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    headers = people["drafter"].headers | {"Idempotency-Key": "draft-12"}
    http: httpx.AsyncClient = client._client

    async def both() -> list[httpx.Response]:
        return list(
            await asyncio.gather(
                *(
                    http.post("/documents", data=form(), files=main_file(), headers=headers)
                    for _ in range(4)
                )
            )
        )

    responses = client._portal.call(both)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["document"]["id"] for r in responses}) == 1
    assert count_rows(app, Document) == 1
