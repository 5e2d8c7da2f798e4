"""The office digest's tasks on a real database and a real local webhook: a stuck document is
alerted once, a rerun for the same instant sends nothing (the flow itself only chains them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response

from config.settings import get_settings
from models.db import session_scope
from policies.calendar import SHANGHAI
from policies.statuses import Status
from tests.browser_support import serve_app
from tests.factories import make_document
from workflows import runtime
from workflows.alerts import deliver_alerts
from workflows.office_digest import raise_stuck
from workflows.runtime import as_of_instant


@pytest.fixture
def configured(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    received: list[str] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.extend(a["key"] for a in (await request.json())["alerts"])
        return Response(status_code=204)

    with serve_app(receiver) as base:
        monkeypatch.setenv("GONGKAI_DATABASE_URL", database_url)
        monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("GONGKAI_ALERT_WEBHOOK_URL", f"{base}/hook")
        monkeypatch.setenv("GONGKAI_PREFECT_UI_URL", "http://prefect.test")
        get_settings.cache_clear()
        runtime.engine.cache_clear()
        try:
            yield received
        finally:
            runtime.engine().dispose()
            runtime.engine.cache_clear()
            get_settings.cache_clear()


def test_the_digest_alerts_a_stuck_document_once(configured: list[str]) -> None:
    with session_scope(runtime.engine()) as session:
        document = make_document(
            session,
            status=Status.SECRECY_REVIEW,
            status_changed_at=datetime(2026, 9, 29, 10, tzinfo=SHANGHAI),
        )
        document_id = document.id
    at = as_of_instant("2026-10-16T10:00:00")  # naive: read as Asia/Shanghai
    assert at == datetime(2026, 10, 16, 10, tzinfo=SHANGHAI)
    for _ in range(2):
        raise_stuck.fn(at)
        delivery = deliver_alerts.fn(at)
        assert delivery["failed"] == 0
    assert configured == [f"stuck:{document_id}:secrecy_review:20260929T020000000000Z:overdue"]
