"""Pre-screen throughput (issue 25): every detector over the five seeds repeated to at least
8 MB of text, against one compiled regular-expression pass over the same text in the same run.

    .venv/bin/python bench/bench_prescreen.py [--mb 8] [--rounds 5]

Prints MB/s (UTF-8 bytes of text per second, best of the rounds) for the baseline and for the
pre-screen, and their ratio; the target is a ratio of at least 0.5.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from services.reading.detectors import prescreen

SEEDS = Path(__file__).resolve().parent.parent / "tests" / "policies" / "prescreen_seeds"
# The baseline: one pass of one compiled pattern (an 18-character ID-number candidate).
BASELINE = re.compile(r"\d{17}[\dXx]")


def corpus(megabytes: float) -> str:
    """The seeds, in order, repeated until the text is at least this many MB in UTF-8."""
    one = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    size = len(one.encode("utf-8"))
    return "\n".join([one] * (int(megabytes * 1_000_000 // size) + 1))


def best_seconds(run: object, rounds: int) -> float:
    """The fastest of `rounds` timed calls."""
    assert callable(run)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    text = corpus(args.mb)
    megabytes = len(text.encode("utf-8")) / 1_000_000
    evidence = prescreen(text)
    baseline = best_seconds(lambda: sum(1 for _ in BASELINE.finditer(text)), args.rounds)
    screen = best_seconds(lambda: prescreen(text), args.rounds)
    print(f"text: {megabytes:.1f} MB ({len(text):,} characters), {len(evidence):,} matches")
    print(f"one compiled regex pass: {megabytes / baseline:8.1f} MB/s")
    print(f"pre-screen, all detectors: {megabytes / screen:6.1f} MB/s")
    print(f"ratio: {baseline / screen:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()
