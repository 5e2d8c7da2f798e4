"""The publisher interface: the portal by default, a CMS webhook with retries and one key.

The CMS is a real local FastAPI app served over HTTP (it fails once, then succeeds, and stores
each Idempotency-Key once), never a mock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select

from config.settings import Settings
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.publications import Publication
from models.versions import Version
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.publication.publishing import (
    JsonFileSink,
    PublicationDeliveryFailed,
    PublicationDeliveryRefused,
    PublicationRefused,
    WebhookSink,
    make_publisher,
    publication_key,
    publish_version,
)
from services.reading.store import file_text
from services.review import record_decision
from services.stored_content import StoredContentAltered
from tests.api.conftest import closed_port
from tests.browser_support import serve_app
from tests.factories import T0, clear_for_publication, id_of, make_document, make_user
from tests.publication_helpers import signed_off_document


def cms(fail_first: int = 1, refuse: bool = False) -> tuple[FastAPI, dict[str, Any]]:
    """A CMS receiver: answers 503 `fail_first` times, then stores each key once."""
    app = FastAPI()
    seen: dict[str, Any] = {"keys": [], "stored": {}}

    @app.post("/publish")
    async def receive(request: Request) -> JSONResponse:
        key = request.headers["Idempotency-Key"]
        seen["keys"].append(key)
        if refuse:
            return JSONResponse({"error": "missing field"}, status_code=422)
        if len(seen["keys"]) <= fail_first:
            return JSONResponse({"error": "busy"}, status_code=503)
        seen["stored"].setdefault(key, await request.json())
        return JSONResponse({"stored": key})

    return app, seen


def _publish(session: Session, document: Document, publisher: Any) -> Publication:
    return publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=publisher,
        at=document.status_changed_at,
    )


def test_the_webhook_sink_retries_with_the_same_key_and_the_cms_stores_once(
    app: FastAPI, settings: Settings
) -> None:
    receiver, seen = cms(fail_first=1)
    with serve_app(receiver) as base, Session(app.state.engine, expire_on_commit=False) as session:
        sink = WebhookSink(f"{base}/publish", retries=3, backoff_seconds=0.01)
        document = signed_off_document(session, settings, title="关于春耕的通知")
        session.commit()
        # A delivery whose commit is lost (the task is retried): the CMS has it, we do not.
        _publish(session, document, sink)
        session.rollback()
        document = session.get(Document, document.id)
        assert document is not None
        assert document.status is Status.AWAITING_SIGNOFF
        row = _publish(session, document, sink)
        session.commit()
        again = _publish(session, document, sink)  # already published: not sent again
    key = f"publication-v{document.current_version_id}"
    assert seen["keys"] == [key, key, key]  # 503, 200, then the retried task's 200
    assert list(seen["stored"]) == [key]
    assert seen["stored"][key]["index_number"] == row.index_number
    assert seen["stored"][key]["marking_text"] == "此件公开发布"
    assert (row.publisher, row.idempotency_key, again.id) == ("webhook", key, row.id)


def test_a_4xx_from_the_cms_is_a_clear_failure_and_nothing_is_recorded(
    app: FastAPI, settings: Settings
) -> None:
    receiver, seen = cms(refuse=True)
    with serve_app(receiver) as base, Session(app.state.engine) as session:
        document = signed_off_document(session, settings)
        sink = WebhookSink(f"{base}/publish", retries=3, backoff_seconds=0.01)
        with pytest.raises(PublicationDeliveryRefused, match="HTTP 422"):
            _publish(session, document, sink)
        assert len(seen["keys"]) == 1  # a 4xx is not retried
        session.rollback()
        assert session.exec(select(Publication)).all() == []


def test_an_unreachable_cms_fails_after_the_retries(app: FastAPI, settings: Settings) -> None:
    sleeps: list[float] = []
    sink = WebhookSink(
        f"http://127.0.0.1:{closed_port()}/publish",
        retries=2,
        backoff_seconds=0.5,
        sleep=sleeps.append,
    )
    with Session(app.state.engine) as session:
        document = signed_off_document(session, settings)
        with pytest.raises(PublicationDeliveryFailed, match="after 3 attempts"):
            _publish(session, document, sink)
    assert sleeps == [0.5, 1.0]  # exponential backoff


def test_the_portal_is_the_default_publisher_and_a_webhook_needs_its_url(
    app: FastAPI, settings: Settings
) -> None:
    assert settings.publisher == "portal"
    publisher = make_publisher("portal", portal_dir=settings.data_dir / "portal")
    assert isinstance(publisher, JsonFileSink)
    assert publisher.name == "portal"
    assert isinstance(
        make_publisher("webhook", portal_dir=settings.data_dir, webhook_url="http://x"), WebhookSink
    )
    with pytest.raises(ValueError, match="needs a URL"):
        make_publisher("webhook", portal_dir=settings.data_dir)
    with pytest.raises(ValueError, match="GONGKAI_PUBLISHER_WEBHOOK_URL"):
        Settings(data_dir=settings.data_dir, publisher="webhook")
    with Session(app.state.engine) as session:
        document = signed_off_document(session, settings)
        row = _publish(session, document, publisher)
        session.commit()
        assert (
            session.exec(select(Publication.publisher).where(col(Publication.id) == row.id)).one()
            == "portal"
        )
    assert (settings.data_dir / "portal" / f"{row.idempotency_key}.json").exists()


def test_a_redacted_document_without_its_redacted_version_is_not_published_seed_001(
    app: FastAPI, settings: Settings
) -> None:
    sink = JsonFileSink(settings.data_dir / "portal")
    with Session(app.state.engine) as session:
        document = signed_off_document(session, settings, attribute="redacted")
        with pytest.raises(PublicationRefused, match="only the redacted version"):
            _publish(session, document, sink)
        session.rollback()
        assert session.exec(select(Publication)).all() == []
    assert not sink.directory.exists() or list(sink.directory.iterdir()) == []


def test_a_cleared_version_is_published_only_after_its_signer_signed_it_off_seed_000(
    app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    """Whatever a review run is made to do on the Prefect API, publication itself requires the
    recorded 签发 of exactly that version after its secrecy clearance (seed 000 §三(二十二))."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        document = make_document(session, status=Status.AWAITING_SIGNOFF, document_type="notice")
        clear_for_publication(session, document, signed=False)
        sink = JsonFileSink(tmp_path / "portal")
        with pytest.raises(PublicationRefused, match="签发"):
            _publish(session, document, sink)
        assert session.exec(select(Publication)).all() == []
        signer = make_user(
            session, organ=session.get_one(Organ, document.organ_id), role=Role.SIGNER
        )
        record_decision(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            step=Step.SIGN_OFF,
            decision="approve",
            actor=signer,
            actor_name=signer.name,
            role=Role.SIGNER,
            channel="api",
            at=document.status_changed_at,
        )
        assert _publish(session, document, sink).version_id == document.current_version_id


BODY = "关于做好春耕工作的通知。各乡镇人民政府：现将有关事项通知如下。"


def test_bytes_altered_on_disk_are_not_published_and_the_export_names_the_reviewed_hash(
    app: FastAPI, settings: Settings
) -> None:
    """先审查、后公开 (保密法实施条例 2024 art. 42): what goes public is the content on record;
    the JSON copy names it by SHA-256 so that whoever takes the file can check it."""
    sink = JsonFileSink(settings.data_dir / "portal")
    with Session(app.state.engine, expire_on_commit=False) as session:
        document = signed_off_document(session, settings, text=BODY)
        session.commit()
        version = session.get(Version, document.current_version_id)
        assert version is not None
        stored = session.get(StoredFile, version.main_file_id)
        assert stored is not None
        recorded = (stored.id, stored.sha256)
        # The review read it (its reading is kept); then the bytes change in the files folder.
        file_text(session=session, file_id=id_of(stored), files_dir=settings.files_dir, at=T0)
        path = settings.files_dir / stored.storage_path
        path.write_bytes(BODY.replace("春耕", "秋收").encode())  # the same size
        with pytest.raises(StoredContentAltered):
            _publish_read(session, document, sink, settings)
        session.rollback()
        assert not sink.path_for(publication_key(id_of(version))).exists()

        path.write_bytes(BODY.encode())
        row = _publish_read(session, document, sink, settings)
        session.commit()
    exported = json.loads(sink.path_for(row.idempotency_key).read_text("utf-8"))
    assert (exported["file_id"], exported["file_sha256"]) == recorded


def _publish_read(
    session: Session, document: Document, publisher: Any, settings: Settings
) -> Publication:
    return publish_version(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        publisher=publisher,
        at=document.status_changed_at,
        files_dir=settings.files_dir,
    )
