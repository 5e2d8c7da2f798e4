"""Domain errors raised by services; the API maps them to HTTP in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policies.findings import Finding, Severity


class DomainError(Exception):
    """A refusal the caller can explain to a person, with the findings behind it."""

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.findings: list[Finding] = list(findings or [])


class NotFound(DomainError):
    """The thing asked for does not exist."""


class TransitionNotAllowed(DomainError):
    """The review state machine refuses the move (policies.review_states)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings) or "transition refused", findings)


class Conflict(DomainError):
    """The request clashes with what is already recorded (e.g. a decision made twice)."""


class Gone(DomainError):
    """The thing existed but can no longer be acted on (e.g. a wait that expired)."""


class Unavailable(DomainError):
    """A service the request depends on did not answer; nothing was recorded."""


class Unauthenticated(DomainError):
    """No valid, unrevoked bearer token was presented."""


class Forbidden(DomainError):
    """The person is known but their role or organ may not do this."""


class RequestInvalid(DomainError):
    """The request is malformed: the findings say which field and what is expected."""


class UploadTooLarge(DomainError):
    """A file or the request body exceeds the configured size limit."""


class UnsupportedFileType(DomainError):
    """The file's content is not one of the accepted types (PDF, DOCX, TXT)."""


class EmptyFile(DomainError):
    """An uploaded file has no content."""


SCHEMA_SOURCE = "API request schema (see /openapi.json)"


def field_finding(field: str, message: str, rule: str = "request.invalid") -> Finding:
    """A blocking finding on one request field: which field, and what to send instead."""
    text = message if message.startswith(f"{field}:") else f"{field}: {message}"
    return Finding(rule, Severity.BLOCKING, text, SCHEMA_SOURCE, field)


def schema_findings(errors: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Validation errors (pydantic's) as findings: which field, and what is expected."""
    findings = []
    for error in errors:
        parts = [str(p) for p in error.get("loc", ()) if p not in _LOCATIONS]
        field = ".".join(parts) or "request"
        expected = error.get("msg", "invalid value")
        findings.append(field_finding(field, expected, f"request.{error.get('type', 'invalid')}"))
    return findings


def invalid_fields(findings: list[Finding]) -> RequestInvalid:
    """One refusal naming every bad field."""
    names = ", ".join(sorted({f.field or "request" for f in findings}))
    return RequestInvalid(f"invalid fields: {names}", findings)


_LOCATIONS = ("body", "query", "path", "header", "form", "cookie")
