"""The embedded default: everything on one machine under one data folder.

`make run` = migrate our database, start a local Prefect server with its UI, serve the review
deployment with GONGKAI_WORKERS (or `make run WORKERS=N`) serve processes, start the API (when
api.app exists), print the URLs, and stop every child on Ctrl-C.

The Prefect server requires its credential (basic auth, `user:password`): made on first run,
kept in <data>/prefect-auth with mode 0600, printed with the URLs; the worker and the API send
it; CORS admits the UI's own origin only.

Prefect's database: SQLite under <data>/prefect unless PREFECT_SERVER_DATABASE_CONNECTION_URL
names a PostgreSQL (postgresql+asyncpg://…), which is several times faster (prefect.md §6:
~0.26 s vs ~1.1-2 s per trivial run). The PyPI embedded PostgreSQL (pgserver 0.1.4) installs here
but ships without the pg_trgm extension Prefect's migrations need, so it is not the default.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx

from config.secrets import private_folder
from config.settings import Settings

STOP_GRACE_SECONDS = 20


def prefect_server_command(port: int) -> list[str]:
    """The command that runs a local Prefect server (API and UI) on 127.0.0.1:port."""
    host = ["--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "prefect", "server", "start", *host]


def serve_command(limit: int) -> list[str]:
    """The command of one worker: the entry point of `make run` and of docker-compose's worker."""
    return [sys.executable, "-m", "workflows.serve", "--limit", str(limit)]


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL: what a browser sends as Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def prefect_auth_env(auth_string: str, ui_url: str) -> dict[str, str]:
    """The Prefect server's lock: basic auth on every API call (the server checks it; clients,
    the worker and the API send it) and CORS for the UI's own origin only."""
    return {
        "PREFECT_SERVER_API_AUTH_STRING": auth_string,
        "PREFECT_API_AUTH_STRING": auth_string,
        "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS": origin_of(ui_url),
    }


def _prefect_env(settings: Settings) -> dict[str, str]:
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        **prefect_auth_env(settings.prefect_auth_string(), settings.prefect_ui_base),
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": settings.prefect_api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The expiry sweep scans every paused run; our backstop is months away (prefect.md §2.4).
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "120",
        "GONGKAI_DATA_DIR": str(settings.data_dir.resolve()),
        "GONGKAI_DATABASE_URL": settings.database_url,
    }


def _prefect_database(env: dict[str, str]) -> str:
    """Which database the Prefect server uses (password hidden): the user's
    PREFECT_SERVER_DATABASE_CONNECTION_URL when set, else SQLite under PREFECT_HOME."""
    url = env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or env.get(
        "PREFECT_API_DATABASE_CONNECTION_URL"
    )
    if not url:
        home = env["PREFECT_HOME"]
        return (
            f"SQLite, {home}/prefect.db (to use PostgreSQL instead, set "
            "PREFECT_SERVER_DATABASE_CONNECTION_URL=postgresql+asyncpg://…)"
        )
    return without_password(url)


def without_password(url: str) -> str:
    """A database URL as it may be printed: its password hidden (the banner goes to terminals
    and log files that others may read)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Prefect server at {url} did not become healthy in {timeout} s")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Terminate children newest first, wait, then kill what is left."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack like Ctrl-C


def calendar_banner(settings: Settings) -> str | None:
    """The start-up warning while next year's working-day calendar is not loaded (issue 20)."""
    from datetime import UTC, datetime

    from models.db import make_engine, session_scope
    from services.calendar import calendar_warning

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return calendar_warning(
                session, as_of=datetime.now(UTC), warn_from=settings.calendar_warn_from
            )
    finally:
        engine.dispose()


def run_stack(settings: Settings) -> int:
    """Migrate, start Prefect server + serve + API, print the URLs, run until Ctrl-C."""
    from models.migrate import upgrade

    if private_folder(settings.data_dir):
        print(f"gongkai: {settings.data_dir.resolve()} was open to other accounts; now mode 0700")
    settings.files_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    warning = calendar_banner(settings)
    env = _prefect_env(settings)
    api = urlsplit(settings.prefect_api_url)
    api_base = urlsplit(settings.api_base_url)
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server = subprocess.Popen(
            prefect_server_command(api.port or 4200),
            env=env,
            start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
        )
        children.append(server)
        _wait_healthy(settings.prefect_api_url, server)
        for _ in range(settings.workers):  # the same deployments, served N times (issue 24)
            children.append(
                subprocess.Popen(
                    serve_command(settings.worker_limit), env=env, start_new_session=True
                )
            )
        if importlib.util.find_spec("api.app") is not None:
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "api.app:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(api_base.port or 8000),
                    ],
                    env=env,
                    start_new_session=True,
                )
            )
        ui = settings.prefect_ui_base
        print("gongkai: embedded default (Ctrl-C stops everything)")
        print(f"  database      {without_password(settings.database_url)}")
        print(f"  files         {settings.files_dir.resolve()}")
        print(f"  policy        profile '{settings.policy_profile}'")
        print(f"  prefect UI    {ui}")
        print(
            f"  prefect auth  {env['PREFECT_SERVER_API_AUTH_STRING']}  "
            f"(the UI asks for it; kept in {settings.prefect_auth_file.resolve()}, mode 0600)"
        )
        print(f"  prefect db    {_prefect_database(env)}")
        print(
            f"  workers       {settings.workers} × workflows.serve --limit {settings.worker_limit}"
        )
        print(
            f"  API           {settings.api_base_url}"
            + ("" if len(children) == 2 + settings.workers else "  (api.app not present yet)")
        )
        if warning:
            print(f"  WARNING       {warning}")
        while all(child.poll() is None for child in children):
            time.sleep(1)
        print("gongkai: a component exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gongkai: stopping")
        return 0
    finally:
        _stop(children)
