"""Publication: the public portal under /portal (no token, read-only, published documents only),
and the validity of published documents (已修改 / 已废止 / 已失效, a validity end date).

Portal documents are addressed by 索引号, never by internal id, so an unpublished document
cannot be guessed; unknown and unpublished look the same (404). The disclosure office (or an
admin or signer) records validity changes; the portal page shows the annotation and the feeds
announce it (seed 004 §二(二); domain §10 rule 15).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.cursors import decode_position
from api.deps import EngineDep, PublisherDep, SessionDep, SettingsDep, now, require_roles
from api.downloads import stored_file_response
from api.errors import error_responses
from api.openapi import ERROR_REF
from api.pages import portal as portal_pages
from api.pages import public_html
from api.schemas import Instant
from api.uploads import DOCX, PDF
from models.files import StoredFile
from models.users import User
from policies.attributes import Attribute
from policies.roles import Role
from policies.validity import Validity
from services.errors import NotFound
from services.publication.portal import (
    Withdrawn,
    catalogue_page,
    feed_items,
    portal_document,
    portal_file,
)
from services.publication.search import MAX_TERM_CHARS, CatalogueFilters, Cursor
from services.publication.validity import change_validity, set_valid_until
from services.publication.withdrawal import withdraw_publication
from services.validation import Day, Id, Line, MultiLine

router = APIRouter(tags=["publication"])
Officer = Annotated[User, Depends(require_roles(Role.DISCLOSURE_OFFICE, Role.ADMIN, Role.SIGNER))]
Withdrawer = Annotated[User, Depends(require_roles(Role.DISCLOSURE_OFFICE, Role.SIGNER))]
DocumentId = Annotated[Id, Path()]
IndexNumber = Annotated[Line, Path(max_length=100, description="索引号")]
FEED_LENGTH = 50
T = TypeVar("T")


async def read(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run one read-only unit (queries and rendering) in one threadpool hop: the portal's pages
    are public and hot, and every hop and dependency costs more than the indexed query itself."""

    def unit() -> T:
        with Session(engine) as session:
            return work(session)

    return await run_in_threadpool(unit)


def _blank_is_absent(value: object) -> object:
    """The search form works without JavaScript, so it sends its empty fields (`written_from=`):
    an empty field is no filter."""
    return None if value == "" else value


FormDay = Annotated[Day | None, BeforeValidator(_blank_is_absent)]
PerPage = Annotated[int, Query(ge=1, le=100)]


_BINARY = {"type": "string", "format": "binary"}
PUBLIC_FILE_TYPES = (PDF, DOCX, "text/plain")  # as typed at intake (api/uploads.py)


def _body_of(
    *media_types: str, schema: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The 200 response of a route that sends bytes of these media types."""
    body = schema or {"type": "string"}
    return {200: {"content": {media: {"schema": body} for media in media_types}}}


_HTML = {"text/html": {"schema": {"type": "string"}}}
# A browser is answered with pages: a refusal (422) as a page naming the fields (JSON for
# scripts), an unknown document (404) and a withdrawn one (410) as pages in the portal's layout.
PAGE_REFUSAL: dict[int | str, dict[str, Any]] = {
    422: {
        "description": error_responses(422)[422]["description"],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}, **_HTML},
    },
}
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No published document has this 索引号 (a page)", "content": _HTML},
    410: {
        "description": "The document was withdrawn (撤回): the notice (a page)",
        "content": _HTML,
    },
    **PAGE_REFUSAL,
}


def _json(data: bytes, media_type: str = "application/json") -> Response:
    return Response(data, media_type=media_type)


def _catalogue_json(query: CatalogueQuery) -> Callable[[Session], bytes]:
    def work(session: Session) -> bytes:
        page = catalogue_page(
            session=session, filters=query.filters, cursor=query.cursor, limit=query.per_page
        )
        data = portal_pages.catalogue_json(page, query.filters, per_page=query.per_page)
        return portal_pages.dumps(data)

    return work


Term = Annotated[
    Line | None,
    Query(max_length=MAX_TERM_CHARS, description="any words of 名称, 文号, 发布机构 or the text"),
]
TitleWords = Annotated[Line | None, Query(max_length=MAX_TERM_CHARS, description="words of 名称")]
DocNumber = Annotated[Line | None, Query(max_length=100, description="文号 or a part of it")]
OrganWords = Annotated[
    Line | None, Query(max_length=MAX_TERM_CHARS, description="发布机构 code or name")
]
CursorToken = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the next page's cursor, from the previous page's next_cursor",
    ),
]


WrittenFrom = Annotated[FormDay, Query(description="成文日期 from")]
WrittenTo = Annotated[FormDay, Query(description="成文日期 to")]


PORTAL_CURSOR = "请使用上一页“下一页”链接中的 cursor，或去掉 cursor 从第一页开始"


@dataclass(frozen=True, slots=True)
class CatalogueQuery:
    """What a catalogue request asks: the filters, where the page starts, its length."""

    filters: CatalogueFilters
    cursor: Cursor | None
    per_page: int


async def catalogue_query(
    q: Term = None,
    title: TitleWords = None,
    doc_number: DocNumber = None,
    organ: OrganWords = None,
    written_from: WrittenFrom = None,
    written_to: WrittenTo = None,
    cursor: CursorToken = None,
    per_page: PerPage = 20,
) -> CatalogueQuery:
    """The catalogue's query parameters (async: no threadpool hop; it reads nothing)."""
    filters = CatalogueFilters(title, doc_number, organ, written_from, written_to, q)
    after = None if cursor is None else Cursor(*decode_position(cursor, PORTAL_CURSOR))
    return CatalogueQuery(filters, after, per_page)


CatalogueQueryDep = Annotated[CatalogueQuery, Depends(catalogue_query)]


@router.get(
    "/portal",
    response_class=HTMLResponse,
    responses={200: {"content": {"application/json": {}}}, **PAGE_REFUSAL},
    summary="The catalogue of published documents (HTML, or JSON with Accept: application/json)",
)
async def catalogue(request: Request, engine: EngineDep, query: CatalogueQueryDep) -> Response:
    """The fields of 条例 art. 12 ¶3 with marking and 有效性, newest first; `q` searches 名称,
    文号, 发布机构 and the reviewed text (services/publication/search.py states its bounds)."""
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return _json(await read(engine, _catalogue_json(query)))

    def work(session: Session) -> str:
        page = catalogue_page(
            session=session, filters=query.filters, cursor=query.cursor, limit=query.per_page
        )
        return portal_pages.catalogue_html(
            page, query.filters, per_page=query.per_page, first=query.cursor is None
        )

    return public_html(await read(engine, work))


@router.get(
    "/portal/catalogue.json",
    responses={200: {"content": {"application/json": {}}}, **error_responses(422)},
    summary="The catalogue as JSON",
)
async def catalogue_json(engine: EngineDep, query: CatalogueQueryDep) -> Response:
    """The same page of the catalogue as JSON, with `next_cursor` and the total as counted."""
    return _json(await read(engine, _catalogue_json(query)))


@router.get(
    "/portal/feed.atom",
    response_class=Response,
    responses=_body_of("application/atom+xml"),
    summary="Atom feed of new publications and validity changes",
)
async def feed_atom(request: Request, engine: EngineDep) -> Response:
    """Atom 1.0: the newest publications and 已修改/已废止/已失效 changes."""
    base = str(request.base_url).rstrip("/")

    def work(session: Session) -> bytes:
        items = feed_items(session=session, limit=FEED_LENGTH)
        return portal_pages.atom_feed(items, base_url=base)

    return _json(await read(engine, work), "application/atom+xml")


@router.get(
    "/portal/feed.json",
    response_class=Response,
    responses=_body_of("application/feed+json", schema={"type": "object"}),
    summary="JSON Feed 1.1 of new publications and validity changes",
)
async def feed_json(request: Request, engine: EngineDep) -> Response:
    """JSON Feed 1.1: the same items as the Atom feed."""
    base = str(request.base_url).rstrip("/")

    def work(session: Session) -> bytes:
        items = feed_items(session=session, limit=FEED_LENGTH)
        return portal_pages.dumps(portal_pages.json_feed(items, base_url=base))

    return _json(await read(engine, work), "application/feed+json")


@router.get(
    "/portal/style.css",
    response_class=Response,
    responses=_body_of("text/css"),
    summary="The portal's stylesheet (no web fonts, no CDN)",
)
async def stylesheet() -> Response:
    """One plain stylesheet for every portal page; its address carries its hash (cached long)."""
    return Response(
        portal_pages.STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


async def _public_page(engine: Engine, work: Callable[[Session], str]) -> HTMLResponse:
    """A page of a published document: 404 and 410 are pages too, in the portal's layout."""
    try:
        return public_html(await read(engine, work))
    except Withdrawn as gone:
        return public_html(portal_pages.withdrawn_html(gone.message), status_code=410)
    except NotFound:
        return public_html(portal_pages.not_found_html(), status_code=404)


@router.get(
    "/portal/documents/{index_number}",
    response_class=HTMLResponse,
    responses=PAGE_ERRORS,
    summary="The page of one published document, by 索引号 (410 Gone once withdrawn)",
)
async def document_page(index_number: IndexNumber, engine: EngineDep) -> HTMLResponse:
    """Metadata, marking, validity annotation (seed 004 §二(二)), the text as reviewed, the
    published file, interpretation; a withdrawn document (撤回) answers 410 with the notice and
    nothing of its content; an unknown one 404."""

    def work(session: Session) -> str:
        return portal_pages.document_html(
            portal_document(session=session, index_number=index_number)
        )

    return await _public_page(engine, work)


@router.get(
    "/portal/documents/{index_number}/interpretations/{file_id}",
    response_class=HTMLResponse,
    responses=PAGE_ERRORS,
    summary="The page of one 政策解读 of a published document, linking back to it",
)
async def interpretation_page(
    index_number: IndexNumber, file_id: Annotated[Id, Path()], engine: EngineDep
) -> HTMLResponse:
    """The interpretation's text as reviewed and its download (seed 000 §三(十八))."""

    def work(session: Session) -> str:
        page = portal_document(session=session, index_number=index_number)
        return portal_pages.interpretation_html(page, file_id)

    return await _public_page(engine, work)


@router.get(
    "/portal/documents/{index_number}/files/{file_id}",
    response_class=FileResponse,
    responses=_body_of(*PUBLIC_FILE_TYPES, schema=_BINARY) | error_responses(404, 410, 500),
    summary="Download a public file of a published document (410 Gone once withdrawn)",
)
async def download(
    index_number: IndexNumber,
    file_id: Annotated[Id, Path()],
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """The published file (for 删减后公开 only the redacted version) or interpretation material,
    exactly the bytes that were reviewed (500 and nothing sent when they were altered on disk)."""

    def work(session: Session) -> Response:
        found = portal_file(session=session, index_number=index_number, file_id=file_id)
        stored = session.get(StoredFile, found.id)
        if stored is None:
            raise NotFound(f"the file of {index_number} is not in storage")
        return stored_file_response(
            files_dir=settings.files_dir,
            stored=stored,
            filename=found.name,
            media_type=found.media_type,
        )

    return await read(engine, work)


# --- Validity ------------------------------------------------------------------------------------


class ValidityChangeIn(BaseModel):
    """A change of validity and what caused it."""

    to: Validity = Field(description="amended 已修改, repealed 已废止 or expired 已失效")
    reason: MultiLine = Field(
        min_length=1, max_length=2000, description="why (kept in the audit log)"
    )
    amended_by_document_id: Id | None = Field(
        default=None, description="the amending/repealing document in this engine"
    )
    amended_by_reference: Line | None = Field(
        default=None, max_length=200, description="its 文号 or title, e.g. 麻政发〔2026〕5号"
    )
    effective_on: Day | None = Field(default=None, description="default: today (Shanghai)")


class ValidityChangeOut(BaseModel):
    """The recorded change."""

    id: int
    document_id: int
    from_validity: Validity
    to_validity: Validity
    reason: str
    actor: str
    amended_by_document_id: int | None
    amended_by_reference: str | None
    effective_on: date
    recorded_at: Instant


class ValidUntilIn(BaseModel):
    """The last day the document is valid (null clears it)."""

    valid_until: Day | None
    reason: MultiLine = Field(min_length=1, max_length=2000)


class ValidUntilOut(BaseModel):
    """The document's validity and end date."""

    document_id: int
    validity: Validity
    valid_until: date | None


@router.post(
    "/documents/{document_id}/validity",
    status_code=status.HTTP_201_CREATED,
    response_model=ValidityChangeOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Mark a published document amended, repealed or expired (seed 004 §二(二))",
)
def post_validity(
    document_id: DocumentId,
    body: ValidityChangeIn,
    user: Officer,
    session: SessionDep,
    publisher: PublisherDep,
) -> ValidityChangeOut:
    """409: the document is not published; 422: the change is not allowed (e.g. a repealed
    document is final) or amend/repeal names no amending document — the findings say which rule
    and source."""
    record = change_validity(
        session=session,
        document_id=document_id,
        to=body.to,
        reason=body.reason,
        actor=user.login,
        role=user.role,
        channel="api",
        at=now(),
        publisher=publisher,
        person=user,
        amended_by_document_id=body.amended_by_document_id,
        amended_by_reference=body.amended_by_reference,
        effective_on=body.effective_on,
    )
    return ValidityChangeOut.model_validate(record, from_attributes=True)


@router.put(
    "/documents/{document_id}/valid-until",
    response_model=ValidUntilOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Set the validity end date of a published document (有效期至)",
)
def put_valid_until(
    document_id: DocumentId,
    body: ValidUntilIn,
    user: Officer,
    session: SessionDep,
    publisher: PublisherDep,
) -> ValidUntilOut:
    """After that day the scheduled expiry marks the document 已失效 (domain §10 rule 15)."""
    document = set_valid_until(
        session=session,
        document_id=document_id,
        valid_until=body.valid_until,
        reason=body.reason,
        actor=user.login,
        role=user.role,
        channel="api",
        at=now(),
        publisher=publisher,
        person=user,
    )
    return ValidUntilOut(
        document_id=document_id,
        validity=Validity(document.validity),
        valid_until=document.valid_until,
    )


# --- Withdrawal (撤回) ---------------------------------------------------------------------------


class WithdrawalIn(BaseModel):
    """Why a published document is withdrawn, and the attribute it takes."""

    reason_code: Line = Field(
        min_length=1,
        max_length=32,
        description="a legal reason of the catalogue (NS-…) or an error code "
        "(WD-MISTAKE 误发布, WD-WRONG-FILE), policies/withdrawal.py",
    )
    new_attribute: Attribute = Field(description="on_request or withheld: kept from the portal")
    justification: MultiLine = Field(min_length=1, max_length=4000, description="why, in writing")


class WithdrawalOut(BaseModel):
    """The recorded withdrawal; the document is filed with its new attribute."""

    id: int
    document_id: int
    publication_id: int
    reason_code: str
    justification: str
    attribute_before: Attribute
    attribute_after: Attribute
    withdrawn_by: int
    withdrawn_at: Instant


@router.post(
    "/documents/{document_id}/withdrawal",
    status_code=status.HTTP_201_CREATED,
    response_model=WithdrawalOut,
    responses=error_responses(401, 403, 404, 409, 422, 503),
    summary="Withdraw (撤回) or restrict a published document (domain §10 rule 21)",
)
def post_withdrawal(
    document_id: DocumentId,
    body: WithdrawalIn,
    user: Withdrawer,
    session: SessionDep,
    publisher: PublisherDep,
) -> WithdrawalOut:
    """The office or the signer withdraws: the portal answers 410 Gone, the feeds carry a
    tombstone, the document is filed with the new attribute (periodic re-review, 条例 art. 18).
    409: not published; 422: unknown reason code, a public attribute, no justification."""
    withdrawal = withdraw_publication(
        session=session,
        document_id=document_id,
        actor=user,
        reason_code=body.reason_code,
        new_attribute=body.new_attribute,
        justification=body.justification,
        at=now(),
        publisher=publisher,
    )
    return WithdrawalOut.model_validate(withdrawal, from_attributes=True)
