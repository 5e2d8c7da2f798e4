"""The OpenAPI document, honest about errors: every error a route answers is the one error shape
(ErrorBody, `application/json`; the portal answers browsers with a page as well) under its status
code — FastAPI's HTTPValidationError, which the API never sends, is gone — a redirect has no body,
and each enumerated value says what it means."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.schemas import describe_enums

ERROR_REF = "#/components/schemas/ErrorBody"
_UNSENT = ("HTTPValidationError", "ValidationError")
_UNSENT_REFS = {f"#/components/schemas/{name}" for name in _UNSENT}
_VALIDATION = "Malformed request: the findings name each field and what is expected"
_UNPARSABLE = "A body that cannot be parsed (a form or JSON that is cut or malformed)"


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, built once, with every enumerated value's meaning."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        describe_enums(components)
        for name in _UNSENT:
            components.pop(name, None)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                declare_responses(operation)
        app.openapi_schema = schema
    return app.openapi_schema


def declare_responses(operation: dict[str, Any]) -> None:
    """Each error response as the one JSON error shape (unless the route declared another body
    of its own, as the sign-in page does), 422 wherever a request can be malformed, 400 where a
    body can be unparsable, and redirects without a body."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("parameters") or "requestBody" in operation:
        responses.setdefault("422", {"description": _VALIDATION})
    if "requestBody" in operation:
        responses.setdefault("400", {"description": _UNPARSABLE})
    for status, response in responses.items():
        if status.startswith("3"):
            response.pop("content", None)
        elif status[0] in "45" and _is_error_body(response):
            pages = _pages(response)
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}, **pages}


def _pages(response: dict[str, Any]) -> dict[str, Any]:
    """The HTML a route answers browsers with beside the JSON error (the portal's 422 page)."""
    content = response.get("content") or {}
    page = content.get("text/html", {})
    return {"text/html": page} if page.get("schema", {}).get("type") == "string" else {}


def _is_error_body(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if not content:
        return True
    refs = {media.get("schema", {}).get("$ref") for media in content.values()}
    return bool(refs & (_UNSENT_REFS | {ERROR_REF}))
