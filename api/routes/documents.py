"""Reading documents: one with everything recorded about it, and the list (drafters: their own
organ's), filtered and paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.cursors import cursor_with_offset, decode_cursor, encode_cursor
from api.deps import CurrentUser, DocumentDep, ReadSessionDep
from api.errors import error_responses
from api.schemas import DocumentDetail, DocumentOut, DocumentPage
from policies.attributes import Attribute
from policies.statuses import Stage, Status
from services.accounts import organ_id_for
from services.documents import DocumentFilters, document_dossier, list_documents
from services.errors import RequestInvalid
from services.validation import Line, Offset

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get(
    "/{document_id}",
    response_model=DocumentDetail,
    responses=error_responses(401, 404),
    summary="A document: status, stage, findings, deadlines, versions with files, history",
)
def get_document(document: DocumentDep, session: ReadSessionDep) -> DocumentDetail:
    """Everything recorded about one document."""
    return DocumentDetail.of(document_dossier(session=session, document=document))


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
    organ: Annotated[Line | None, Query(max_length=64, description="organ code")] = None,
    attribute: Annotated[
        Line | None, Query(max_length=64, description="code or label, e.g. 不予公开")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
    cursor: Annotated[
        Line | None,
        Query(
            max_length=200,
            description="the previous page's next_cursor: the page after it (not with offset)",
        ),
    ] = None,
) -> DocumentPage:
    """One page of documents, newest first, with the total that match and the cursor of the
    next page."""
    if cursor is not None and offset:
        raise cursor_with_offset()
    filters = DocumentFilters(
        status=status_,
        stage=stage,
        organ_id=None if organ is None else organ_id_for(session, organ),
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
        items=[DocumentOut.of(d) for d in page.documents],
        total=page.total,
        limit=limit,
        offset=offset,
        next_cursor=None if page.next_after is None else encode_cursor(page.next_after),
    )


def _attribute_filter(value: str | None) -> Attribute | None:
    if value is None:
        return None
    for attribute in Attribute:
        if value in (attribute.value, attribute.label):
            return attribute
    raise RequestInvalid(f"attribute: expected one of {', '.join(a.value for a in Attribute)}")
