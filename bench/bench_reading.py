"""Reading costs (issues 23 and 25): OCR of an A4 page at 300 dpi (median; target <= 5 s), and the
two resource bombs of issue 23 read in the bounded reading process under the default limits
(time and the process's peak memory).

    .venv/bin/python bench/bench_reading.py [--pages 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.reading.limits import ReadingLimits  # noqa: E402
from services.reading.ocr import ocr_available  # noqa: E402
from tests.documents import (  # noqa: E402
    many_pages_pdf_bytes,
    scanned_pdf_bytes,
    zip_bomb_docx_bytes,
)

PAGE = [
    "秘密★5年",
    "关于加强政务公开工作的通知",
    "各乡镇人民政府，县直各单位：",
    "为进一步做好政务公开工作，现将有关事项通知如下。",
    "申请人身份证号：11010519491231002X",
    "联系电话：0745-5833778",
    "（此件不公开）",
]


def ocr_median(pages: int) -> None:
    """Median seconds to read an image-only A4 page at 300 dpi in the reading process (start,
    render, OCR)."""
    missing = ocr_available()
    if missing is not None:
        print(f"OCR: skipped ({missing})")
        return
    data = scanned_pdf_bytes(PAGE * 3)
    times = []
    for _ in range(pages):
        seconds, answer = read_in_process("scan.pdf", data)
        times.append(seconds)
        assert answer["ocr_pages"] == [1], answer["findings"]
    print(
        f"OCR, A4 at 300 dpi, {len(PAGE) * 3} lines, in the reading process: median "
        f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
        f"n={pages}; target <= 5 s)"
    )


def read_in_process(name: str, data: bytes) -> tuple[float, dict[str, Any]]:
    """Read a file in the reading process (default limits): wall seconds and its answer."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        request = {
            "path": str(path),
            "name": name,
            "limits": ReadingLimits().as_dict(),
            "parent": os.getpid(),
        }
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "services.reading.child"],
            input=json.dumps(request).encode(),
            capture_output=True,
            check=True,
        )
        return time.perf_counter() - start, json.loads(done.stdout)


def bomb(name: str, data: bytes) -> None:
    """Read one bomb in the reading process; its wall time and peak memory."""
    seconds, answer = read_in_process(name, data)
    finding = answer["findings"][0]["message"] if answer["findings"] else "no finding"
    print(
        f"{name} ({len(data) / 1e6:.2f} MB): {seconds:.2f} s, "
        f"peak {answer['peak_memory_kib'] / 1024:.0f} MiB; {finding}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5)
    args = parser.parse_args()
    ocr_median(args.pages)
    bomb("bomb.docx", zip_bomb_docx_bytes(1085 * 1024 * 1024))  # issue 23: 1.06 MB -> 1.085 GB
    bomb("bomb.pdf", many_pages_pdf_bytes(90_000, operations_per_page=1000))  # 90,000 x 1,000


if __name__ == "__main__":
    main()
