"""Domain errors raised by services; the API maps them to HTTP in one place."""

from __future__ import annotations

from policies.findings import Finding


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
