"""Findings: what a check says about a submission, a marking or a step (style.md: checks return
every problem at once, exceptions are for bugs and missing policy data)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How a finding affects the document."""

    BLOCKING = "blocking"  # the document is returned (退文) or the step refused
    WARNING = "warning"  # shown to the drafter and reviewers; does not stop the document
    ROUTING = "routing"  # changes where the document goes next (e.g. office pre-review)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or notice: which rule, how bad, how to fix it, and the legal source."""

    rule: str  # stable identifier, e.g. "attribute.required"
    severity: Severity
    message: str  # says what is wrong and how to fix it, in the drafter's language
    source: str  # e.g. "条例 art. 14; seed 002 §三(三)"
    field: str | None = None  # the submission field concerned, when there is one

    @property
    def is_blocking(self) -> bool:
        """Whether this finding stops the document."""
        return self.severity is Severity.BLOCKING


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that stop the document."""
    return [f for f in findings if f.is_blocking]
