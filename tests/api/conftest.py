"""API test fixtures: the real app on a migrated database (SQLite and PostgreSQL), a temporary
data folder, Prefect pointed at a closed port, and people with tokens."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from sqlmodel import Session

from api.app import create_app
from config.settings import Settings
from models.db import session_scope
from models.users import User
from policies.roles import Role
from services.accounts import create_user, ensure_organ, issue_token

SEEDS = Path("/work/shared/seeds")
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its database, a temp data folder, Prefect unreachable."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        prefect_api_url=f"http://127.0.0.1:{closed_port()}/api",
        review_start_timeout_seconds=3,
        review_sweep_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The real app (reconciler off unless a test runs it)."""
    application = create_app(settings, sweep_reviews=False)
    yield application
    application.state.engine.dispose()


class TestClient:
    """A synchronous face on httpx.AsyncClient over the ASGI app (starlette's TestClient
    deprecates httpx); the app runs in the portal's event loop, background tasks included."""

    __test__ = False

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal, self._client = portal, client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        """The cookies the app has set (sent back like a browser's)."""
        return self._client.cookies


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client on the app (no network)."""
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://gongkai.test")
        yield TestClient(portal, http)
        portal.call(http.aclose)


@dataclass
class Person:
    """A user and the headers that authenticate them."""

    user: User
    token: str
    organ_code: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def people(app: FastAPI) -> dict[str, Person]:
    """A drafter of organ wm, a drafter of organ zw, a secrecy reviewer, an admin and a signer."""
    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    made: dict[str, Person] = {}
    spec = {
        "drafter": ("wm", Role.DRAFTER),
        "other_drafter": ("zw", Role.DRAFTER),
        "reviewer": ("wm", Role.SECRECY_REVIEWER),
        "office": ("wm", Role.DISCLOSURE_OFFICE),
        "admin": ("gov", Role.ADMIN),
    }
    with session_scope(app.state.engine) as session:
        for name, (organ_code, role) in spec.items():
            organ = ensure_organ(session=session, code=organ_code, name=None, at=at)
            user = create_user(session=session, name=name, organ=organ, role=role, at=at)
            _, token = issue_token(session=session, user=user, label="test", at=at)
            made[name] = Person(user, token, organ_code)
    return made


def form(**overrides: Any) -> dict[str, Any]:
    """Valid form fields of a 主动公开 notice, overridable."""
    fields: dict[str, Any] = {
        "title": "关于做好2025年政务公开工作的通知",
        "doc_number": "武政办发〔2025〕1号",
        "document_type": "notice",
        "written_on": "2025-03-03",
        "attribute": "proactive",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def main_file(name: str = "通知.pdf", data: bytes = PDF_BYTES) -> dict[str, Any]:
    """The files argument with one main file."""
    return {"file": (name, io.BytesIO(data), "application/octet-stream")}


def docx_bytes(text: str = "关于印发办法的通知") -> bytes:
    """A real DOCX document."""
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def stored_files(settings: Settings) -> list[Path]:
    """Every file kept under files_dir (staging included)."""
    return [p for p in settings.files_dir.rglob("*") if p.is_file()]


def count_rows(app: FastAPI, model: Any) -> int:
    """How many rows a table has."""
    from sqlmodel import func, select

    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def browser_sign_in(client: TestClient, path: str, token: str, **headers: str) -> httpx.Response:
    """What a browser does at a sign-in form (api/signin.py): GET the form (its CSRF token in
    the page and in a cookie), then POST the token with it; the POST's answer."""
    form = client.get(f"{path}/login")
    assert form.status_code == 200, form.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None, "the form has no CSRF token"
    return client.post(
        f"{path}/login", data={"token": token, "csrf_token": found[1]}, headers=headers
    )
