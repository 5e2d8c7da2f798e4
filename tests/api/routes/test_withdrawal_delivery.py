"""A withdrawal (撤回) reaches wherever the publication went (domain §10 rule 21): with the
webhook publisher, the CMS that received the publication is told to take it down — the same
retries and Idempotency-Key as a publication — before the withdrawal is recorded; the CMS is a
real local FastAPI app served over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from config.settings import Settings
from models.db import session_scope
from models.documents import Document
from models.publications import Publication
from policies.statuses import Status
from services.publication.publishing import WebhookSink, publish_version
from tests.api.conftest import Person, TestClient, closed_port
from tests.browser_support import serve_app
from tests.factories import id_of
from tests.publication_helpers import MISTAKE, signed_off_document
from tests.services.publication.test_publishing import cms


@pytest.fixture
def receiver() -> Iterator[tuple[str, dict[str, Any]]]:
    """A CMS that answers 503 once, then stores each key once: its URL and what it saw."""
    app, seen = cms(fail_first=1)
    with serve_app(app) as base:
        yield f"{base}/publish", seen


@pytest.fixture
def settings(database_url: str, tmp_path: Path, receiver: tuple[str, dict[str, Any]]) -> Settings:
    """The API's settings with the webhook publisher pointed at the receiver."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        prefect_api_url=f"http://127.0.0.1:{closed_port()}/api",
        review_start_timeout_seconds=3,
        review_sweep_seconds=0,
        publisher="webhook",
        publisher_webhook_url=receiver[0],
    )


def _published(app: FastAPI, settings: Settings, url: str, title: str) -> Publication:
    """A signed-off document published through the CMS at `url`."""
    with session_scope(app.state.engine) as session:
        document = signed_off_document(session, settings, title=title)
        return publish_version(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            publisher=WebhookSink(url, backoff_seconds=0.01),
            at=document.status_changed_at,
        )


def test_a_withdrawal_takes_the_publication_down_from_the_cms_it_went_to_rule_21(
    app: FastAPI,
    settings: Settings,
    client: TestClient,
    people: dict[str, Person],
    receiver: tuple[str, dict[str, Any]],
) -> None:
    url, seen = receiver
    publication = _published(app, settings, url, "关于误发布事项的通知")
    assert list(seen["stored"]) == [publication.idempotency_key]

    answer = client.post(
        f"/documents/{publication.document_id}/withdrawal",
        json=MISTAKE,
        headers=people["office"].headers,
    )
    assert answer.status_code == 201, answer.text
    key = f"withdrawal-p{publication.id}"
    assert list(seen["stored"]) == [publication.idempotency_key, key]
    withdrawal = seen["stored"][key]
    assert withdrawal["kind"] == "withdrawal"
    assert withdrawal["index_number"] == publication.index_number
    assert withdrawal["publication_key"] == publication.idempotency_key
    assert "撤回" in withdrawal["notice"]
    with Session(app.state.engine) as session:
        filed = session.get(Document, publication.document_id)
        assert filed is not None
        assert filed.status is Status.FILED


def test_a_validity_change_and_an_end_date_reach_the_cms_it_went_to_seed_004(
    app: FastAPI,
    settings: Settings,
    client: TestClient,
    people: dict[str, Person],
    receiver: tuple[str, dict[str, Any]],
) -> None:
    """有效性 is shown where the document is shown (seed 004 §二(二)): an end date set, then a
    repeal, each reach the CMS the publication went to, naming the publication."""
    url, seen = receiver
    publication = _published(app, settings, url, "关于停车收费标准的通知")
    ends = client.request(
        "PUT",
        f"/documents/{publication.document_id}/valid-until",
        json={"valid_until": "2030-12-31", "reason": "试行五年"},
        headers=people["office"].headers,
    )
    assert ends.status_code == 200, ends.text
    repealed = client.post(
        f"/documents/{publication.document_id}/validity",
        json={"to": "repealed", "amended_by_reference": "某府发〔2026〕9号", "reason": "已废止"},
        headers=people["office"].headers,
    )
    assert repealed.status_code == 201, repealed.text
    changes = [body for key, body in seen["stored"].items() if key.startswith("validity-")]
    assert [(c["kind"], c["validity"], c["valid_until"]) for c in changes] == [
        ("validity", "valid", "2030-12-31"),
        ("validity", "repealed", "2030-12-31"),
    ]
    assert {c["index_number"] for c in changes} == {publication.index_number}
    assert {c["publication_key"] for c in changes} == {publication.idempotency_key}
    assert changes[1]["amended_by_reference"] == "某府发〔2026〕9号"
