"""The path of POST /documents (a diagnostic, run by hand): `.venv/bin/python bench/upload_path.py
[--database-url URL]`.

Serves one accepted submission (a 主动公开 notice with a PDF, no Idempotency-Key) to the real app
in this process, after two untimed ones, and records every call into a project module of the
HTTP and use-case layers (api/, services/) from the request's start until its response starts:
on the event loop and on the worker thread that runs the route's unit of work, not on the
storage pool, which fsyncs and places the staged content beside them. Prints the modules in the
order the path first enters them, the route's module first (its dependencies are its own), with
the functions run in each, and every call from one module into another; a call into a module
entered earlier, other than the route's, is marked RETURN. By default on a temporary SQLite
database; Prefect is pointed at a closed port.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.app import create_app  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.db import session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ, issue_token  # noqa: E402

LAYERS = ("api", "services")
ROUTE = "api/routes/intake"
POOL = "gongkai-"  # the storage pool's threads: beside the path, not on it
PDF_HEAD = b"%PDF-1.4\n"


def module_of(filename: str) -> str | None:
    """The project module of a source file in api/ or services/ (a package by its folder)."""
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] not in LAYERS:
        return None
    return str(relative.with_suffix("")).removesuffix("/__init__")


class Recorder:
    """Calls into project modules: (calling module or "-", called module, function)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.on = False

    def profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if not self.on or event != "call" or threading.current_thread().name.startswith(POOL):
            return
        called = module_of(frame.f_code.co_filename)
        if called is None:
            return
        caller, back = None, frame.f_back
        while back is not None and caller is None:
            caller, back = module_of(back.f_code.co_filename), back.f_back
        self.calls.append((caller or "-", called, frame.f_code.co_name))

    def wrap(self, app: Any) -> Callable[..., Any]:
        """The app, recording only until the response starts."""

        async def recorded(scope: Any, receive: Any, send: Any) -> None:
            async def send_recorded(message: Any) -> None:
                if message["type"] == "http.response.start":
                    self.on = False
                await send(message)

            await app(scope, receive, send_recorded)

        return recorded


def report(calls: list[tuple[str, str, str]]) -> None:
    order = [ROUTE]
    for caller, called, _ in calls:
        for module in (caller, called):
            if module != "-" and module not in order:
                order.append(module)
    rank = {module: n for n, module in enumerate(order)}
    print(f"POST /documents passes {len(order)} project modules (api/, services/):")
    for module in order:
        functions = sorted({name for _, called, name in calls if called == module})
        print(f"  {rank[module] + 1:2}. {module}: {', '.join(functions)}")
    print("calls between modules:")
    edges: dict[tuple[str, str], set[str]] = {}
    for caller, called, name in calls:
        if caller not in ("-", called):
            edges.setdefault((caller, called), set()).add(name)
    returns = 0
    for (caller, called), names in edges.items():
        back = called != ROUTE and rank[called] < rank[caller]
        returns += back
        print(f"  {'RETURN ' if back else ''}{caller} -> {called}: {', '.join(sorted(names))}")
    print(f"{returns} return(s) to a module left before")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="gongkai-path-"))
    url = args.database_url or f"sqlite:///{data / 'path.db'}"
    upgrade(url)
    settings = Settings(
        data_dir=data / "data",
        database_url=url,
        prefect_api_url="http://127.0.0.1:9/api",  # closed: the review stays pending
        review_sweep_seconds=0,
    )
    app = create_app(settings, sweep_reviews=False)
    at = datetime.now(UTC)
    with session_scope(app.state.engine) as session:
        organ = ensure_organ(session=session, code="path", name=None, at=at)
        user = create_user(session=session, name="path", organ=organ, role=Role.DRAFTER, at=at)
        _, token = issue_token(session=session, user=user, label="path", at=at)
    recorder = Recorder()
    threading.setprofile(recorder.profile)
    sys.setprofile(recorder.profile)

    async def submit() -> None:
        transport = httpx.ASGITransport(app=recorder.wrap(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://path") as client:
            for n in range(3):
                recorder.calls.clear()
                recorder.on = n == 2  # the third: nothing left to set up on first use
                response = await client.post(
                    "/documents",
                    data={
                        "title": f"关于路径的通知 {n} {os.getpid()}",
                        "document_type": "notice",
                        "written_on": "2025-03-03",
                        "attribute": "proactive",
                    },
                    files={"file": ("通知.pdf", PDF_HEAD + os.urandom(65536), "application/pdf")},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 201, response.text

    try:
        asyncio.run(submit())
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        app.state.engine.dispose()
    report(recorder.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
