"""Headless Chromium (Debian's package, `make browser`) and live HTTP servers for browser tests.

- `browser` (fixture in tests/conftest.py): one Chromium per run, driven by Playwright with the
  system executable; Playwright never downloads a browser. Missing Chromium → skipped locally,
  a failure when CI=true.
- `check_accessibility(page)`: injects axe-core (the npm package pinned in package-lock.json,
  `make axe`) into the page and returns its violations of impact serious or critical (a page
  whose CSP refuses scripts needs a context with `bypass_csp=True`).
- `serve_app(app)`: serves an ASGI app with uvicorn on a free loopback port in a thread, for as
  long as the `with` block runs; yields the base URL.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path(os.environ.get("GONGKAI_TEST_CHROMIUM", "/usr/bin/chromium"))
# The flags Chromium needs on a machine without a screen or outside network (see README).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> NoReturn:
    """A tool the browser tests need is not installed: skipped locally, a failure in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_chromium() -> Path:
    """The Chromium executable, or skip (fail under CI) with how to install it."""
    if CHROMIUM.exists():
        return CHROMIUM
    _missing(f"{CHROMIUM} not found: run `make browser` (Debian's chromium) for the browser tests")


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
# axe-core rules not run, with why: none. (Add "rule-id": "why" here; the tests name them.)
AXE_DISABLED_RULES: dict[str, str] = {}


def require_axe() -> Path:
    """axe-core's script, or skip (fail under CI) with how to install it."""
    if AXE.is_file():
        return AXE
    _missing(f"{AXE} not found: run `make axe` (npm ci: axe-core as package-lock.json pins it)")


def check_accessibility(page: Any) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as loaded, one line each
    (rule, impact, help, the first offending elements)."""
    page.add_script_tag(path=str(require_axe()))
    options = {"rules": {rule: {"enabled": False} for rule in AXE_DISABLED_RULES}}
    violations = page.evaluate(
        "async (options) => (await axe.run(document, options)).violations", options
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_app(app: Any, *, timeout: float = 20, log_level: str = "warning") -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 in a daemon thread; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
