"""One real Prefect server (PostgreSQL-backed) and one real `serve` process for the session.

The server gets a throwaway PostgreSQL database (prefect.md §6: SQLite costs ~2 s per run in
503 back-offs); our tables get another. Both are dropped at the end. PostgreSQL unreachable →
skipped locally, a failure when CI=true (as in tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine, make_url

from cli.stack import prefect_auth_env, prefect_server_command
from config.settings import get_settings
from models.db import make_engine
from models.migrate import upgrade
from tests.browser_support import serve_app
from tests.codes import KEY
from tests.conftest import POSTGRES_ADMIN_URL, _psycopg_dsn
from workflows import runtime

ROOT = Path(__file__).resolve().parents[2]
AUTH_STRING = f"gongkai-test:{uuid.uuid4().hex}"
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(probe: Callable[[], T | None], *, timeout: float = 60, what: str = "") -> T:
    """Poll probe until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.3)


@dataclass
class Stack:
    """What a workflow test needs: the API URL, our database, the data dir, the serve process."""

    api_url: str
    database_url: str
    engine: Engine
    data_dir: Path
    env: dict[str, str]
    serve: subprocess.Popen[bytes] | None = None

    @property
    def auth(self) -> httpx.BasicAuth:
        """The Prefect server's credential, as every client of it sends it."""
        user, _, password = AUTH_STRING.partition(":")
        return httpx.BasicAuth(user, password)

    @property
    def ui_url(self) -> str:
        """The Prefect UI served by the same server."""
        return self.api_url.removesuffix("/api")

    def start_serve(self) -> None:
        """Start `python -m workflows.serve` in its own process group."""
        self.serve = self.spawn_worker("serve.log")

    def spawn_worker(self, log_name: str, limit: int = 4, **env: str) -> subprocess.Popen[bytes]:
        """One more worker (`python -m workflows.serve`) in a process group of its own (with
        these variables added to the stack's environment)."""
        with (self.data_dir / log_name).open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "workflows.serve", "--limit", str(limit)],
                cwd=ROOT,
                env=self.env | env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_deployment(self) -> None:
        """Wait until the serve process has registered every deployment it serves.

        `serve` registers them one after another, so a test that runs a scheduled deployment
        must not start on the review deployment's registration alone.
        """

        def registered(name: str) -> bool:
            url = f"{self.api_url}/deployments/name/{name}"
            try:
                deployment = httpx.get(url, timeout=2, auth=self.auth)
            except httpx.HTTPError:
                return False
            return deployment.status_code == 200 and not deployment.json().get("paused")

        for name in served_deployment_names():
            wait_until(partial(registered, name), timeout=90, what=f"{name} to be served")

    def kill_serve(self) -> None:
        """SIGKILL the serve process and its flow-run children (a worker dying)."""
        assert self.serve is not None
        os.killpg(self.serve.pid, signal.SIGKILL)
        self.serve.wait(timeout=30)
        self.serve = None

    def stop_serve(self) -> None:
        """SIGTERM the serve process group and wait."""
        if self.serve is None:
            return
        os.killpg(self.serve.pid, signal.SIGTERM)
        try:
            self.serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.serve.pid, signal.SIGKILL)
            self.serve.wait(timeout=30)
        self.serve = None


def served_deployment_names() -> list[str]:
    """`flow/deployment` of everything `python -m workflows.serve` serves."""
    from workflows.application.flow import handle_application
    from workflows.material_review import review_material
    from workflows.review_flow import review_document
    from workflows.schedules import SCHEDULED, load_flow
    from workflows.serve import DEPLOYMENT

    served = [
        (review_document.name, DEPLOYMENT),
        (review_material.name, DEPLOYMENT),
        (handle_application.name, DEPLOYMENT),
    ]
    served += [(load_flow(entry.flow).name, entry.name) for entry in SCHEDULED]
    return [f"{flow}/{deployment}" for flow, deployment in served]


def _create_database(admin: psycopg.Connection[Any], name: str) -> str:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Prefect server + our database + serve process, once per session."""
    try:
        admin = psycopg.connect(
            _psycopg_dsn(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL unreachable; CI must run the workflow tests: {error}")
        pytest.skip(f"PostgreSQL unreachable: workflow tests skipped ({error})")
    pid = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"  # unique even if two modules import it
    prefect_db = _create_database(admin, f"gongkai_prefect_{pid}")
    our_db = _create_database(admin, f"gongkai_wf_{pid}")
    upgrade(our_db)
    data_dir = tmp_path_factory.mktemp("data")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(data_dir / "prefect-home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "60",
        # The UI is served (the browser test drives it) and talks to this server's API.
        "PREFECT_UI_ENABLED": "true",
        "PREFECT_UI_API_URL": api_url,
        "GONGKAI_DATABASE_URL": our_db,
        "GONGKAI_DATA_DIR": str(data_dir),
        "GONGKAI_TOTP_KEY": KEY.decode(),
        "PYTHONPATH": str(ROOT),
    }
    # The server requires its credential, and the worker and this process send it (issue 21).
    env |= prefect_auth_env(AUTH_STRING, api_url)
    server_env = {
        **env,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": make_url(prefect_db)
        .set(drivername="postgresql+asyncpg")
        .render_as_string(hide_password=False),
    }
    with (data_dir / "server.log").open("ab") as log:
        server = subprocess.Popen(
            prefect_server_command(port),
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy() -> bool:
        try:
            return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    engine = make_engine(our_db)
    result = Stack(api_url, our_db, engine, data_dir, env)
    try:
        wait_until(healthy, timeout=90, what="the Prefect server")
        result.start_serve()
        result.wait_deployment()
        yield result
    finally:
        result.stop_serve()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        engine.dispose()
        with admin:
            for name in (f"gongkai_prefect_{pid}", f"gongkai_wf_{pid}"):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def prefect_client_settings(stack: Stack) -> Iterator[None]:
    """Point this process's Prefect client at the session server."""
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        temporary_settings,
    )

    with temporary_settings(
        updates={
            PREFECT_API_URL: stack.api_url,
            PREFECT_API_AUTH_STRING: AUTH_STRING,
            PREFECT_LOGGING_TO_API_ENABLED: False,
        }
    ):
        yield


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Any]:
    """The real API (tests.api.conftest.TestClient) on the stack's database and Prefect server."""
    from anyio.from_thread import start_blocking_portal

    from api.app import create_app
    from config.settings import Settings
    from tests.api.conftest import TestClient

    settings = Settings(
        data_dir=stack.data_dir,
        database_url=stack.database_url,
        prefect_api_url=stack.api_url,
        review_sweep_seconds=0,
    )
    app = create_app(settings, sweep_reviews=False)
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://gongkai.test")
        yield TestClient(portal, http)
        portal.call(http.aclose)
    app.state.engine.dispose()


@pytest.fixture
def configured(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """The workflows' settings on this test's database, alerts delivered to a local webhook
    (the keys it received, in order)."""
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
