"""Reviewers read what they review (issue 21): the review form's link opens the document in a
browser, behind the common browser sign-in (api/signin.py) at /review/login, for secrecy
reviewers and signers of the document's organs, the office and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Path
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.deps import EngineDep, ReadSessionDep, SettingsDep
from api.downloads import stored_file_response
from api.errors import error_responses
from api.pages import private_html
from api.pages.review import review_page
from api.signin import REVIEW_SIGNIN, add_sign_in_routes
from services.errors import Unauthenticated
from services.review.reading import reviewer_file, reviewer_reading
from services.validation import Id

router = APIRouter(prefix="/review", tags=["review pages"])
ReviewCookie = Annotated[str | None, Cookie(alias=REVIEW_SIGNIN.cookie, include_in_schema=False)]


add_sign_in_routes(router, REVIEW_SIGNIN, who="reviewers")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(engine: EngineDep, cookie: ReviewCookie = None) -> Response:
    """Where a sign-in without a page to go back to lands."""
    try:
        user = REVIEW_SIGNIN.user(engine, cookie)
    except Unauthenticated:
        return RedirectResponse(REVIEW_SIGNIN.action, status_code=303)
    return private_html(
        f"<!doctype html><meta charset='utf-8'><title>审阅</title><p>Signed in as "
        f"{user.login}. Open a document from the link in its review form.</p>"
    )


@router.get(
    "/documents/{document_id}",
    response_class=HTMLResponse,
    responses=error_responses(403, 404) | {303: {"description": "Not signed in: on to sign-in"}},
    summary="The document under review, for its reviewer: files, text, pre-screen evidence",
)
def document_page(
    engine: EngineDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    document_id: Annotated[Id, Path()],
    cookie: ReviewCookie = None,
) -> Response:
    """The current version's files, their extracted text and the evidence highlighted."""
    try:
        user = REVIEW_SIGNIN.user(engine, cookie)
    except Unauthenticated:
        target = f"/review/documents/{document_id}"
        return RedirectResponse(f"{REVIEW_SIGNIN.action}?next={target}", status_code=303)
    reading = reviewer_reading(
        session=session, user=user, document_id=document_id, files_dir=settings.files_dir
    )
    return private_html(review_page(reading, user_name=user.name))


@router.get(
    "/documents/{document_id}/files/{file_id}",
    response_class=FileResponse,
    responses=error_responses(401, 403, 404, 500),
    summary="One file of the document under review, for its reviewer",
)
def document_file(
    engine: EngineDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    document_id: Annotated[Id, Path()],
    file_id: Annotated[Id, Path()],
    cookie: ReviewCookie = None,
) -> Response:
    """The file as recorded when it was received, downloaded (never rendered inline): 500 and
    nothing sent when its bytes were altered on disk since."""
    user = REVIEW_SIGNIN.user(engine, cookie)
    sent = reviewer_file(session=session, user=user, document_id=document_id, file_id=file_id)
    return stored_file_response(
        files_dir=settings.files_dir,
        stored=sent.stored,
        filename=sent.name,
        media_type=sent.stored.media_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
