"""The public portal under /portal: no token, read-only, published documents only.

Documents are addressed by 索引号, never by internal id, so an unpublished document cannot be
guessed; unknown and unpublished look the same (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep
from api.errors import error_responses
from api.portal import render
from services.errors import NotFound
from services.publication.portal import (
    CatalogueFilters,
    PortalFile,
    catalogue_page,
    feed_items,
    portal_document,
    portal_file,
)

router = APIRouter(prefix="/portal", tags=["portal"])
FEED_LENGTH = 50
T = TypeVar("T")


async def read(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run one read-only unit (queries and rendering) in one threadpool hop: the portal's pages
    are public and hot, and every hop and dependency costs more than the indexed query itself."""

    def unit() -> T:
        with Session(engine) as session:
            return work(session)

    return await run_in_threadpool(unit)


Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=100)]


def _json(data: bytes, media_type: str = "application/json") -> Response:
    return Response(data, media_type=media_type)


def _catalogue_json(
    filters: CatalogueFilters, page: int, per_page: int
) -> Callable[[Session], bytes]:
    def work(session: Session) -> bytes:
        entries, has_next = catalogue_page(
            session=session, filters=filters, limit=per_page, offset=(page - 1) * per_page
        )
        items = [e.as_json() | {"url": render.document_path(e.index_number)} for e in entries]
        return render.dumps(
            {"page": page, "per_page": per_page, "has_next": has_next, "items": items}
        )

    return work


@router.get(
    "",
    response_class=HTMLResponse,
    responses={200: {"content": {"application/json": {}}}, **error_responses(422)},
    summary="The catalogue of published documents (HTML, or JSON with Accept: application/json)",
)
async def catalogue(
    request: Request,
    engine: EngineDep,
    page: Page = 1,
    per_page: PerPage = 20,
    title: Annotated[str | None, Query(max_length=200, description="words of 名称")] = None,
    doc_number: Annotated[str | None, Query(max_length=100, description="文号")] = None,
    organ: Annotated[str | None, Query(max_length=200, description="发布机构 code or name")] = None,
    written_from: Annotated[date | None, Query(description="成文日期 from")] = None,
    written_to: Annotated[date | None, Query(description="成文日期 to")] = None,
) -> Response:
    """The fields of 条例 art. 12 ¶3 with marking and 有效性, newest first."""
    filters = CatalogueFilters(title, doc_number, organ, written_from, written_to)
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return _json(await read(engine, _catalogue_json(filters, page, per_page)))

    def work(session: Session) -> str:
        entries, has_next = catalogue_page(
            session=session, filters=filters, limit=per_page, offset=(page - 1) * per_page
        )
        return render.catalogue_html(
            entries, filters, page=page, per_page=per_page, has_next=has_next
        )

    return HTMLResponse(await read(engine, work))


@router.get(
    "/catalogue.json",
    responses={200: {"content": {"application/json": {}}}, **error_responses(422)},
    summary="The catalogue as JSON",
)
async def catalogue_json(
    engine: EngineDep,
    page: Page = 1,
    per_page: PerPage = 20,
    title: Annotated[str | None, Query(max_length=200)] = None,
    doc_number: Annotated[str | None, Query(max_length=100)] = None,
    organ: Annotated[str | None, Query(max_length=200)] = None,
    written_from: date | None = None,
    written_to: date | None = None,
) -> Response:
    """The same page of the catalogue as JSON."""
    filters = CatalogueFilters(title, doc_number, organ, written_from, written_to)
    return _json(await read(engine, _catalogue_json(filters, page, per_page)))


@router.get("/feed.atom", summary="Atom feed of new publications and validity changes")
async def feed_atom(request: Request, engine: EngineDep) -> Response:
    """Atom 1.0: the newest publications and 已修改/已废止/已失效 changes."""
    base = str(request.base_url).rstrip("/")

    def work(session: Session) -> bytes:
        items = feed_items(session=session, limit=FEED_LENGTH)
        return render.atom_feed(items, base_url=base)

    return _json(await read(engine, work), "application/atom+xml")


@router.get("/feed.json", summary="JSON Feed 1.1 of new publications and validity changes")
async def feed_json(request: Request, engine: EngineDep) -> Response:
    """JSON Feed 1.1: the same items as the Atom feed."""
    base = str(request.base_url).rstrip("/")

    def work(session: Session) -> bytes:
        items = feed_items(session=session, limit=FEED_LENGTH)
        return render.dumps(render.json_feed(items, base_url=base))

    return _json(await read(engine, work), "application/feed+json")


@router.get(
    "/documents/{index_number}",
    response_class=HTMLResponse,
    responses=error_responses(404),
    summary="The page of one published document, by 索引号",
)
async def document_page(index_number: str, engine: EngineDep) -> HTMLResponse:
    """Marking, validity annotation (seed 004 §二(二)), the published file, interpretation."""

    def work(session: Session) -> str:
        return render.document_html(portal_document(session=session, index_number=index_number))

    return HTMLResponse(await read(engine, work))


@router.get(
    "/documents/{index_number}/files/{file_id}",
    response_class=FileResponse,
    responses=error_responses(404),
    summary="Download a public file of a published document",
)
async def download(
    index_number: str, file_id: int, engine: EngineDep, settings: SettingsDep
) -> FileResponse:
    """The published file (for 删减后公开 only the redacted version) or interpretation material."""

    def work(session: Session) -> PortalFile:
        return portal_file(session=session, index_number=index_number, file_id=file_id)

    found = await read(engine, work)
    path = settings.files_dir / found.storage_path
    if not path.is_file():
        raise NotFound(f"the file of {index_number} is not in storage")
    return FileResponse(path, media_type=found.media_type, filename=found.name)
