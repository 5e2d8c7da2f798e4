"""A process dies with the one that started it (issue 24), on Linux: `kill -9` of the parent
ends the child; a child whose parent is already gone ends at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

CHILD = (
    "import os, sys, time\n"
    "from services.lifetime import die_with_parent\n"
    "die_with_parent(int(sys.argv[1]))\n"
    "print(os.getpid(), flush=True)\n"
    "time.sleep(60)\n"
)
PARENT = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2] or str(os.getpid())],"
    " stdout=subprocess.PIPE)\n"
    "print(child.stdout.readline().decode().strip(), flush=True)\n"
    "time.sleep(60)\n"
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _family(expected_parent: str) -> tuple[subprocess.Popen[bytes], int]:
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, expected_parent],
        stdout=subprocess.PIPE,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert parent.stdout is not None
    line = parent.stdout.readline().decode().strip()
    return parent, int(line) if line else 0


def test_a_child_dies_when_its_parent_is_killed_9() -> None:
    parent, child = _family("")
    try:
        assert child
        assert _alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        _close(parent)


def test_a_child_whose_parent_is_not_the_one_named_ends_at_once() -> None:
    """As when the parent died before the request: the child never gets to its work."""
    parent, child = _family("1")
    try:
        assert child == 0  # it printed nothing: ended before its first line of work
    finally:
        _close(parent)


def _close(parent: subprocess.Popen[bytes]) -> None:
    if parent.poll() is None:
        parent.kill()
        parent.wait(timeout=10)
    if parent.stdout is not None:
        parent.stdout.close()
