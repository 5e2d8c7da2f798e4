"""Validity changes through the API and the scheduled expiry (seed 004 §二(二); rule 15)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlmodel import Session, col, select

from config.settings import Settings
from models.audit import AuditEvent
from models.documents import Document
from models.validity import ValidityChangeRecord
from services.publication.publishing import JsonFileSink
from services.publication.validity import expire_due
from tests.api.conftest import Person, TestClient
from tests.publication_helpers import publish, unpublished


def test_a_validity_change_of_an_unpublished_document_is_refused_409(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    filed = unpublished(app.state.engine, settings, title="不予公开的请示")
    response = client.post(
        f"/documents/{filed.id}/validity",
        json={"to": "repealed", "reason": "x", "amended_by_reference": "某号"},
        headers=people["office"].headers,
    )
    assert response.status_code == 409
    assert "not published" in response.json()["detail"]
    assert (
        client.post(
            "/documents/999999/validity",
            json={"to": "expired", "reason": "x"},
            headers=people["office"].headers,
        ).status_code
        == 404
    )
    with Session(app.state.engine) as session:
        assert session.exec(select(ValidityChangeRecord)).all() == []


def test_bad_transitions_are_refused_422_naming_rule_and_source_seed_004(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings, title="关于印发办法的通知")
    url = f"/documents/{pub.document_id}/validity"
    office = people["office"].headers
    no_link = client.post(url, json={"to": "repealed", "reason": "废止"}, headers=office)
    assert no_link.status_code == 422
    (finding,) = no_link.json()["findings"]
    assert finding["rule"] == "validity.link_required"
    assert "seed 004 §二(二)" in finding["source"]
    ok = client.post(url, json={"to": "expired", "reason": "到期"}, headers=office)
    assert ok.status_code == 201
    again = client.post(
        url, json={"to": "amended", "reason": "修改", "amended_by_reference": "X"}, headers=office
    )
    assert again.status_code == 422
    (finding,) = again.json()["findings"]
    assert (finding["rule"], finding["field"]) == ("validity.final", "to")
    assert "seed 004 §二(二)" in finding["source"]
    unknown = client.post(url, json={"to": "valid-ish", "reason": "x"}, headers=office)
    assert unknown.status_code == 422
    assert unknown.json()["findings"][0]["field"] == "to"
    drafter = client.post(
        url, json={"to": "expired", "reason": "x"}, headers=people["drafter"].headers
    )
    assert drafter.status_code == 403
    with Session(app.state.engine) as session:
        document = session.get(Document, pub.document_id)
        assert document is not None
        assert document.validity == "expired"  # the refused changes changed nothing
        assert len(session.exec(select(ValidityChangeRecord)).all()) == 1


def test_a_passed_validity_end_date_expires_the_document_once_rule_15(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    engine = app.state.engine
    due = publish(engine, settings, title="有效期至 2025-06-30 的通知")
    later = publish(engine, settings, title="有效期至 2025-12-31 的通知")
    for pub, day in ((due, "2025-06-30"), (later, "2025-12-31")):
        response = client.request(
            "PUT",
            f"/documents/{pub.document_id}/valid-until",
            json={"valid_until": day, "reason": "文件规定有效期"},
            headers=people["office"].headers,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "document_id": pub.document_id,
            "validity": "valid",
            "valid_until": day,
        }
    # 2025-06-30 23:30 in Shanghai is still the last valid day
    still_valid = datetime(2025, 6, 30, 15, 30, tzinfo=UTC)
    first_day_after = datetime(2025, 6, 30, 16, 30, tzinfo=UTC)  # 2025-07-01 00:30 Shanghai
    portal = JsonFileSink(settings.data_dir / "portal")
    with Session(engine) as session:
        assert expire_due(session=session, at=still_valid, publisher=portal) == []
        assert expire_due(session=session, at=first_day_after, publisher=portal) == [
            due.document_id
        ]
        session.commit()
    with Session(engine) as session:
        assert expire_due(session=session, at=first_day_after, publisher=portal) == []  # once
        session.commit()
        document = session.get(Document, due.document_id)
        assert document is not None
        assert document.validity == "expired"
        (change,) = session.exec(select(ValidityChangeRecord)).all()
        assert (change.actor, change.channel, str(change.effective_on)) == (
            "system",
            "system",
            "2025-07-01",
        )
        events = session.exec(
            select(AuditEvent.action, AuditEvent.actor)
            .where(
                col(AuditEvent.document_id) == due.document_id,
                col(AuditEvent.action).startswith("validity."),
            )
            .order_by(col(AuditEvent.id))
        ).all()
        assert [tuple(e) for e in events] == [
            ("validity.valid_until_set", "office"),
            ("validity.changed", "system"),
        ]
    # The archives' JSON copy learns each change of the publication it holds (the end date
    # set over the API, then the expiry), beside the publication's own file.
    copies = [json.loads(p.read_text("utf-8")) for p in sorted(portal.directory.glob("validity-*"))]
    assert sorted(
        (c["validity"], c["valid_until"]) for c in copies if c["index_number"] == due.index_number
    ) == [("expired", "2025-06-30"), ("valid", "2025-06-30")]
    page = client.get(f"/portal/documents/{due.index_number}").text
    assert "已失效（自 2025-07-01 起）" in page
    refused = client.request(
        "PUT",
        f"/documents/{due.document_id}/valid-until",
        json={"valid_until": "2026-01-01", "reason": "延期"},
        headers=people["office"].headers,
    )
    assert refused.status_code == 422
    assert refused.json()["findings"][0]["rule"] == "validity.final"


def test_the_portal_and_validity_routes_are_documented_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/portal",
        "/portal/catalogue.json",
        "/portal/feed.atom",
        "/portal/feed.json",
        "/portal/documents/{index_number}",
        "/portal/documents/{index_number}/files/{file_id}",
    ):
        assert "get" in paths[path]
    post = paths["/documents/{document_id}/validity"]["post"]
    assert {"201", "404", "409", "422"} <= set(post["responses"])
    assert post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
    put = paths["/documents/{document_id}/valid-until"]["put"]
    assert {"200", "404", "409", "422"} <= set(put["responses"])
    assert "security" not in paths["/portal"]["get"]  # public, no token


def test_a_change_needs_a_reason_and_a_real_other_amending_document(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings, title="关于印发办法的通知")
    url = f"/documents/{pub.document_id}/validity"
    office = people["office"].headers
    cases = [
        ({"to": "expired", "reason": "   "}, "validity.reason_required", "reason"),
        (
            {"to": "amended", "reason": "修改", "amended_by_document_id": pub.document_id},
            "validity.link_self",
            "amended_by_document_id",
        ),
        (
            {"to": "repealed", "reason": "废止", "amended_by_document_id": 987654},
            "validity.link_unknown",
            "amended_by_document_id",
        ),
    ]
    for body, rule, field in cases:
        response = client.post(url, json=body, headers=office)
        assert response.status_code == 422, response.text
        (finding,) = response.json()["findings"]
        assert (finding["rule"], finding["field"]) == (rule, field)
        assert "seed 004 §二(二)" in finding["source"]
    blank = client.request(
        "PUT",
        f"/documents/{pub.document_id}/valid-until",
        json={"valid_until": "2026-01-01", "reason": " "},
        headers=office,
    )
    assert blank.status_code == 422
    assert blank.json()["findings"][0]["rule"] == "validity.reason_required"
    with Session(app.state.engine) as session:
        assert session.exec(select(ValidityChangeRecord)).all() == []
        document = session.get(Document, pub.document_id)
        assert document is not None
        assert (document.validity, document.valid_until) == ("valid", None)
