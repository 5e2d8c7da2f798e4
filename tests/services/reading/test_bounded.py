"""Bounded extraction (issue 23): each bad file of the issue, read in its own process under the
limits, ends as a limit finding within the configured time; the worker never hangs or crashes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from policies.findings import Severity
from services.reading.bounded import read_file
from services.reading.limits import ReadingLimits
from tests.documents import (
    docx_bytes,
    encrypted_pdf_bytes,
    many_pages_pdf_bytes,
    zip_bomb_docx_bytes,
)

MIB = 1024 * 1024


def _read(tmp_path: Path, data: bytes, limits: ReadingLimits) -> tuple[list[str], float, str]:
    path = tmp_path / "upload"
    path.write_bytes(data)
    start = time.monotonic()
    reading = read_file(path, name="草稿", limits=limits)
    assert all(f.severity is Severity.BLOCKING for f in reading.findings)
    return [f.message for f in reading.findings], time.monotonic() - start, reading.text


def test_a_file_is_read_in_its_own_process(tmp_path: Path) -> None:
    messages, _, text = _read(tmp_path, docx_bytes(["关于", "（此件公开发布）"]), ReadingLimits())
    assert (messages, text) == ([], "关于\n（此件公开发布）")


def test_a_zip_bomb_docx_is_refused_by_its_declared_expansion(tmp_path: Path) -> None:
    bomb = zip_bomb_docx_bytes(300 * MIB)
    assert len(bomb) < 2 * MIB
    messages, seconds, _ = _read(tmp_path, bomb, ReadingLimits())
    assert len(messages) == 1
    assert "limit: 67,108,864 bytes decompressed" in messages[0]
    assert seconds < 10


def test_a_zip_bomb_let_past_the_size_limit_is_stopped_by_the_memory_limit(
    tmp_path: Path,
) -> None:
    # With the decompressed-size limit raised, the kernel's limit on the reading process ends it.
    bomb = zip_bomb_docx_bytes(600 * MIB)
    limits = ReadingLimits(max_decompressed_bytes=1024 * MIB, max_memory_bytes=400 * MIB)
    messages, seconds, _ = _read(tmp_path, bomb, limits)
    assert len(messages) == 1
    assert "400 MiB of memory" in messages[0]
    assert seconds < 30


def test_a_pdf_of_90000_pages_is_read_up_to_the_page_limit(tmp_path: Path) -> None:
    messages, seconds, text = _read(tmp_path, many_pages_pdf_bytes(90_000), ReadingLimits())
    assert messages == [
        "草稿: could not be fully read (it has 90,000 pages; limit: 500 pages); "
        "the reviewer must read the whole file."
    ]
    assert text.count("x") == 500
    assert seconds < 60


def test_a_pdf_with_1000_operations_per_page_stops_at_the_time_limit(tmp_path: Path) -> None:
    data = many_pages_pdf_bytes(5000, operations_per_page=1000)
    limits = ReadingLimits(max_pages=5000, max_seconds=3)
    messages, seconds, _ = _read(tmp_path, data, limits)
    assert len(messages) == 1
    assert "reading took too long" in messages[0]
    assert "limit: 3 s" in messages[0]
    assert seconds < 6


@pytest.mark.parametrize(
    ("data", "why"),
    [
        pytest.param(b"", "empty (0 bytes)", id="0-byte file"),
        pytest.param(b"\xff\xfe\x80 abc", "neither UTF-8 nor GB18030", id="invalid UTF-8 text"),
        pytest.param(encrypted_pdf_bytes("关于"), "encrypted", id="encrypted PDF"),
    ],
)
def test_odd_files_are_findings_from_the_reading_process(
    tmp_path: Path, data: bytes, why: str
) -> None:
    messages, _, text = _read(tmp_path, data, ReadingLimits())
    assert text == ""
    assert len(messages) == 1
    assert why in messages[0]
