"""Reading a file in a process of its own, bounded in wall time, CPU time and memory (issue 23):
a file that exhausts a limit ends that process and becomes a finding; it never hangs the run or
crashes the worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from policies.findings import Finding
from services.reading.formats import Reading
from services.reading.limits import ReadingLimits, finding_from_dict, limit_reached


def read_file(path: Path, *, name: str, limits: ReadingLimits) -> Reading:
    """The file's text and findings, read by services.reading.child within the limits."""
    request = json.dumps(
        {"path": str(path), "name": name, "limits": limits.as_dict(), "parent": os.getpid()}
    )
    # A session of its own, so that a timeout ends the whole group: Tesseract runs as a
    # grandchild and would outlive its parent otherwise.
    with subprocess.Popen(
        [sys.executable, "-m", "services.reading.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(request.encode(), timeout=limits.max_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return Reading(
                findings=[limit_reached(name, f"{limits.max_seconds:g} s", "reading took too long")]
            )
    if process.returncode != 0:
        return Reading(findings=[_ended(name, process.returncode, stderr, limits)])
    answer = json.loads(stdout)
    return Reading(
        text=answer["text"],
        findings=[finding_from_dict(f) for f in answer["findings"]],
        ocr_pages=list(answer["ocr_pages"]),
    )


def _ended(name: str, code: int, stderr: bytes, limits: ReadingLimits) -> Finding:
    """Why the reading process ended without an answer: a limit, as far as can be told."""
    said = stderr.decode(errors="replace")
    if "MemoryError" in said:
        return limit_reached(
            name, f"{limits.max_memory_bytes // (1024 * 1024):,} MiB of memory", "it needs more"
        )
    if code in (-24, -9):  # SIGXCPU at the soft CPU limit, SIGKILL at the hard one
        return limit_reached(name, f"{limits.max_seconds:g} s of CPU", "reading took too long")
    last = said.strip().splitlines()[-1:] or [f"exit status {code}"]
    return limit_reached(name, "a damaged file", f"the reader stopped: {last[0][:200]}")
