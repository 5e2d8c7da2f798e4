"""What reading one file may cost (issue 23 "Bounded extraction"): decompressed size, pages,
characters, OCR'd pages, wall time and memory. The values come from the settings; these
defaults are the safe ones. A file that reaches a limit is read as far as the limit allowed and
gets a blocking finding telling the reviewer to read it in full."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from policies.findings import Finding, Severity

SOURCE = "保密法实施条例 2024 art. 42 (先审查、后公开, 逐项审查)"


@dataclass(frozen=True, slots=True)
class ReadingLimits:
    """Bounds on reading one stored file."""

    max_decompressed_bytes: int = 64 * 1024 * 1024  # a DOCX's or OFD's parts, together
    max_pages: int = 500
    max_chars: int = 2_000_000
    max_ocr_pages: int = 20
    max_seconds: float = 60.0  # wall time of the reading process
    max_memory_bytes: int = 1024 * 1024 * 1024  # its address space (RLIMIT_AS)

    def as_dict(self) -> dict[str, float]:
        """The limits as plain values, for the reading process."""
        return asdict(self)


def limit_reached(name: str, limit: str, what: str) -> Finding:
    """The file could not be fully read: which limit stopped it; a person reads it in full."""
    return Finding(
        "reading.limit",
        Severity.BLOCKING,
        f"{name}: could not be fully read ({what}; limit: {limit}); "
        "the reviewer must read the whole file.",
        SOURCE,
    )


def unreadable(name: str, why: str) -> Finding:
    """The file's text could not be read at all; a person reads it."""
    return Finding(
        "reading.unreadable",
        Severity.BLOCKING,
        f"{name}: the text could not be read ({why}); the reviewer must read the whole file.",
        SOURCE,
    )


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON-ready values (the reading process's answer, the kept reading)."""
    return asdict(finding)


def finding_from_dict(values: dict[str, Any]) -> Finding:
    """A finding back from its JSON values."""
    return Finding(
        values["rule"],
        Severity(values["severity"]),
        values["message"],
        values["source"],
        values.get("field"),
    )
