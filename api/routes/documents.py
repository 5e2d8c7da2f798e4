"""Documents: submit a draft, resubmit after 退文, add interpretation material, read and list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.cursors import cursor_with_offset, decode_cursor, encode_cursor
from api.deps import (
    BearerCredentials,
    CurrentUser,
    DocumentDep,
    Drafter,
    EngineDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    Submitter,
    authenticate_meanwhile,
    now,
)
from api.errors import error_responses
from api.forms import openapi_form_schema
from api.schemas import DocumentDetail, DocumentPage, ErrorBody, MaterialOut, SubmissionOut
from api.submissions import FILE_DESCRIPTIONS, handle_submission, limits_of
from api.uploads import receive_form
from api.views import document_detail, document_out, file_out
from models.files import StoredFile
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Stage, Status
from services.accounts import find_organ
from services.documents import DocumentFilters, document_dossier, list_documents
from services.errors import NotFound, RequestInvalid
from services.intake import INTERPRETATION_KINDS, add_interpretation_material

router = APIRouter(prefix="/documents", tags=["documents"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retry safely: the same key (same user) with the same request returns the "
        "first answer again; the same key with a different request (file, attachment, field or "
        "document) is refused with 422 'idempotency_key_reused' (IETF "
        "draft-ietf-httpapi-idempotency-key-header §2.7) — use a new key for a new request.",
    ),
]
_RETURNED_422 = {
    422: {
        "model": ErrorBody,
        "description": "退文 (error '退文': every finding, the submission recorded as returned), "
        "a malformed request (error 'invalid_request': which field, what is expected), or an "
        "Idempotency-Key reused with a different request (error 'idempotency_key_reused')",
    }
}
_UPLOAD_ERRORS = error_responses(400, 401, 403, 413, 415) | _RETURNED_422


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses=_UPLOAD_ERRORS,
    openapi_extra=openapi_form_schema(FILE_DESCRIPTIONS),
    summary="Submit a draft (报批) with its attribute, reasons and attachments",
)
async def submit_document(
    request: Request,
    engine: EngineDep,
    credentials: BearerCredentials,
    settings: SettingsDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a draft (drafters and admins); 201 with warnings and deadlines, or 422 退文 with
    every finding."""
    # The token is looked up while the body arrives; the unit of work waits for the user.
    user = authenticate_meanwhile(engine, credentials, Role.DRAFTER, Role.ADMIN)
    return await handle_submission(  # its own unit of work, begun once the upload is received
        request,
        user=user,
        settings=settings,
        starter=request.app.state.review_starter,
        background=background,
        idempotency_key=idempotency_key,
    )


@router.post(
    "/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses=_UPLOAD_ERRORS | error_responses(404, 409),
    openapi_extra=openapi_form_schema(FILE_DESCRIPTIONS),
    summary="Resubmit a corrected version after 退文 or a reviewer's return",
)
async def resubmit_document(
    request: Request,
    document: DocumentDep,
    user: Drafter,
    settings: SettingsDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add version n+1 to a returned document (409 otherwise); the checks run again."""
    return await handle_submission(
        request,
        user=user,
        settings=settings,
        starter=request.app.state.review_starter,
        background=background,
        idempotency_key=idempotency_key,
        document_id=document.id,
    )


@router.post(
    "/{document_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=MaterialOut,
    responses=error_responses(400, 401, 403, 404, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            k: {"type": "string", "format": "binary"} for k in INTERPRETATION_KINDS
                        },
                    }
                }
            },
        }
    },
    summary="Add interpretation material later (解读方案 / 解读材料, the 3-working-day mode)",
)
async def add_attachment(
    request: Request,
    document: DocumentDep,
    user: Submitter,
    session: SessionDep,
    settings: SettingsDep,
) -> MaterialOut:
    """Store one interpretation file for the document and record it."""
    limits = limits_of(settings)
    form = await receive_form(
        request,
        files_dir=settings.files_dir,
        file_kinds={k: k for k in INTERPRETATION_KINDS},
        limits=limits,
    )
    try:
        if len(form.uploads) != 1:
            raise RequestInvalid(
                f"send exactly one file, as one of: {', '.join(INTERPRETATION_KINDS)}"
            )
        assert document.id is not None
        material = await run_in_threadpool(
            lambda: add_interpretation_material(
                session=session,
                submitter=user,
                document_id=document.id or 0,
                upload=form.uploads[0],
                files_dir=settings.files_dir,
                at=now(),
            )
        )
    except BaseException:
        form.discard()
        raise
    stored = session.get(StoredFile, material.file_id)
    assert stored is not None
    assert material.id is not None
    return MaterialOut(
        id=material.id,
        kind=material.kind,
        received_at=material.received_at,
        file=file_out(material.kind, stored),
    )


@router.get(
    "/{document_id}",
    response_model=DocumentDetail,
    responses=error_responses(401, 404),
    summary="A document: status, stage, findings, deadlines, versions with files, history",
)
def get_document(document: DocumentDep, session: ReadSessionDep) -> DocumentDetail:
    """Everything recorded about one document."""
    return document_detail(document_dossier(session=session, document=document))


@router.get(
    "",
    response_model=DocumentPage,
    responses=error_responses(401, 422),
    summary="List documents (drafters: their own organ's), filtered and paginated",
)
def list_documents_route(
    user: CurrentUser,
    session: ReadSessionDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    stage: Stage | None = None,
    organ: Annotated[str | None, Query(description="organ code")] = None,
    attribute: Annotated[str | None, Query(description="code or label, e.g. 不予公开")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: Annotated[
        str | None,
        Query(description="the previous page's next_cursor: the page after it (not with offset)"),
    ] = None,
) -> DocumentPage:
    """One page of documents, newest first, with the total that match and the cursor of the
    next page."""
    if cursor is not None and offset:
        raise cursor_with_offset()
    filters = DocumentFilters(
        status=status_,
        stage=stage,
        organ_id=_organ_filter(session, organ),
        attribute=_attribute_filter(attribute),
    )
    page = list_documents(
        session=session,
        user=user,
        filters=filters,
        limit=limit,
        offset=offset,
        after=None if cursor is None else decode_cursor(cursor),
    )
    return DocumentPage(
        items=[document_out(d) for d in page.documents],
        total=page.total,
        limit=limit,
        offset=offset,
        next_cursor=None if page.next_after is None else encode_cursor(page.next_after),
    )


def _organ_filter(session: ReadSessionDep, code: str | None) -> int | None:
    if code is None:
        return None
    try:
        return find_organ(session=session, code=code).id
    except NotFound:
        raise RequestInvalid(f"organ: unknown code '{code}'") from None


def _attribute_filter(value: str | None) -> Attribute | None:
    if value is None:
        return None
    for attribute in Attribute:
        if value in (attribute.value, attribute.label):
            return attribute
    raise RequestInvalid(f"attribute: expected one of {', '.join(a.value for a in Attribute)}")
