"""Domain errors → HTTP, in one place and one JSON shape: {"error", "detail", "findings"}."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.pages import portal as portal_pages
from api.pages import public_html
from api.schemas import ErrorBody, FindingOut
from services.errors import (
    Conflict,
    DomainError,
    EmptyFile,
    Forbidden,
    Gone,
    NotFound,
    RequestInvalid,
    TransitionNotAllowed,
    Unauthenticated,
    Unavailable,
    UnsupportedFileType,
    UploadTooLarge,
    invalid_fields,
    schema_findings,
)
from services.review import DecisionInvalid, NotAllowed
from services.stored_content import StoredContentAltered

log = logging.getLogger("gongkai.api")

# (status, error code) per domain error; subclasses inherit their base's mapping.
STATUS_BY_ERROR: dict[type[DomainError], tuple[int, str]] = {
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotAllowed: (403, "forbidden"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    Gone: (410, "gone"),
    TransitionNotAllowed: (409, "transition_not_allowed"),
    RequestInvalid: (422, "invalid_request"),
    DecisionInvalid: (422, "decision_invalid"),
    UploadTooLarge: (413, "too_large"),
    UnsupportedFileType: (415, "unsupported_type"),
    EmptyFile: (400, "empty_file"),
    Unavailable: (503, "unavailable"),
    StoredContentAltered: (500, "stored_content_altered"),
    DomainError: (422, "refused"),
}
RETURNED = "退文"


def error_response(
    status: int,
    error: str,
    detail: str,
    findings: list[FindingOut] | None = None,
    *,
    document_id: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the one shape."""
    body = ErrorBody(error=error, detail=detail, findings=findings or [], document_id=document_id)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def status_of(error: DomainError) -> tuple[int, str]:
    """The HTTP status and error code of a domain error (nearest mapped base class)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return STATUS_BY_ERROR[DomainError]


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status, code = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    findings = [FindingOut.of(f) for f in error.findings]
    return error_response(status, code, error.message, findings, headers=headers)


def _reads_portal_pages(request: Request) -> bool:
    """A browser on the portal's catalogue or a document page: it is answered with a page."""
    path = request.url.path
    page = path == "/portal" or (path.startswith("/portal/documents/") and "/files/" not in path)
    return page and "text/html" in request.headers.get("accept", "")


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    refusal = invalid_fields(schema_findings(error.errors()))
    if _reads_portal_pages(request):
        fields = list(dict.fromkeys(f.field or "request" for f in refusal.findings))
        return public_html(portal_pages.invalid_search_html(fields), status_code=422)
    findings = [FindingOut.of(f) for f in refusal.findings]
    return error_response(422, "invalid_request", refusal.message, findings)


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return error_response(
        error.status_code, f"http_{error.status_code}", str(error.detail), headers=error.headers
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, "internal_error", "An unexpected error occurred; it was logged.")


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping of errors to responses."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses, all with the error model."""
    described = {
        400: "Empty file",
        401: "Missing, unknown or revoked bearer token",
        403: "The role or organ may not do this",
        404: "No such document (or not visible to you)",
        409: "Conflicts with the document's state",
        410: "The review run can no longer be resumed (its wait expired)",
        413: "A file or the request exceeds the size limit",
        415: "A file is not PDF, DOCX, OFD or UTF-8/GB18030 text (by content); .doc/.wps: "
        "save as DOCX, OFD or PDF",
        422: "Malformed request (which field, what is expected), or 退文 with every finding",
        500: "A stored file no longer matches the content recorded (and reviewed) when it was "
        "received: nothing of it was sent",
        503: "A service the request needs (Prefect) did not answer; nothing was recorded",
    }
    return {s: {"model": ErrorBody, "description": described[s]} for s in statuses}
