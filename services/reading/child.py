"""The reading process: reads one file under the limits it is given on stdin and writes the
result as JSON on stdout. Its memory and CPU time are bounded by the kernel (setrlimit) before
any parser runs, so a bomb ends this process, never the worker that started it.

    python -m services.reading.child < {"path": ..., "name": ..., "limits": {...}}
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from pathlib import Path

from services.lifetime import die_with_parent
from services.reading.limits import ReadingLimits, finding_as_dict


def main() -> None:
    """Read the request, bound this process, read the file, answer."""
    request = json.load(sys.stdin)
    die_with_parent(request["parent"])  # a killed worker's reading ends with it (issue 24)
    limits = ReadingLimits(**request["limits"])
    memory = int(limits.max_memory_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(limits.max_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # One Tesseract thread: on a shared 2-core worker its OpenMP threads contend, and a 300 dpi
    # A4 page took 7.8 s with them against 3.6 s without (bench/bench_reading.py).
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from services.reading.formats import read_bytes  # the parsers load under the limits

    reading = read_bytes(request["name"], Path(request["path"]).read_bytes(), limits)
    answer = {
        "text": reading.text,
        "findings": [finding_as_dict(f) for f in reading.findings],
        "ocr_pages": reading.ocr_pages,
        "peak_memory_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    json.dump(answer, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
