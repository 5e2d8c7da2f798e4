"""Intake: submit a draft (报批), resubmit it after 退文, add interpretation material later.

A submission is authenticated before a byte of its body is read, received straight from the
request stream (api/uploads.py), then registered in the request's unit of work by the intake
service; the answer — 201, or 422 退文 with every finding — is kept for Idempotency-Key retries,
and the review flow starts once the unit of work has committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import (
    DocumentDep,
    Drafter,
    SessionDep,
    SettingsDep,
    Submitter,
    now,
    run_and_commit,
)
from api.errors import RETURNED, error_responses
from api.review_starter import ReviewStarter
from api.schemas import (
    DeadlineOut,
    DocumentOut,
    ErrorBody,
    MaterialOut,
    ReviewOut,
    SubmissionOut,
    VersionOut,
    finding_list,
)
from api.unstarted_reviews import start_material_review, start_review
from api.uploads import FILE_FIELDS, ReceivedForm, form_request_body, limits_of, receive_form
from config.settings import Settings
from models.db import id_of
from models.users import User
from policies.findings import blocking
from policies.submissions import INTERPRETATION_KINDS
from services.errors import RequestInvalid
from services.intake import (
    Draft,
    IntakeResult,
    add_interpretation_material,
    register_submission,
)
from services.intake.idempotency import (
    Keyed,
    checked_key,
    find_response,
    is_same_request,
    key_reused_finding,
    remember_response,
)
from services.review import ReviewToStart

router = APIRouter(prefix="/documents", tags=["intake"])

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
KEY_REUSED_ERROR = "idempotency_key_reused"
_RETURNED_422 = {
    422: {
        "model": ErrorBody,
        "description": "退文 (error '退文': every finding, the submission recorded as returned), "
        "a malformed request (error 'invalid_request': which field, what is expected), or an "
        "Idempotency-Key reused with a different request (error 'idempotency_key_reused')",
    }
}
_UPLOAD_ERRORS = error_responses(400, 401, 403, 413, 415) | _RETURNED_422
_MATERIAL_FIELDS = {kind.value: kind.value for kind in INTERPRETATION_KINDS}


@dataclass(frozen=True, slots=True)
class Answer:
    """A response to send, and the review to start once it is committed."""

    status_code: int
    body: dict[str, Any]
    review: ReviewToStart | None = None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses=_UPLOAD_ERRORS,
    openapi_extra=form_request_body(Draft),
    summary="Submit a draft (报批) with its attribute, reasons and attachments",
)
async def submit_document(
    request: Request,
    user: Submitter,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a draft (drafters and admins); 201 with warnings and deadlines, or 422 退文 with
    every finding."""
    return await _submission(request, user, session, settings, background, idempotency_key)


@router.post(
    "/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses=_UPLOAD_ERRORS | error_responses(404, 409),
    openapi_extra=form_request_body(Draft),
    summary="Resubmit a corrected version after 退文 or a reviewer's return",
)
async def resubmit_document(
    request: Request,
    document: DocumentDep,
    user: Drafter,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add version n+1 to a returned document (409 otherwise); the checks run again."""
    return await _submission(
        request, user, session, settings, background, idempotency_key, document.id
    )


async def _submission(
    request: Request,
    user: User,
    session: Session,
    settings: Settings,
    background: BackgroundTasks,
    idempotency_key: str | None,
    document_id: int | None = None,
) -> JSONResponse:
    key = None if idempotency_key is None else checked_key(idempotency_key)
    form = await receive_form(
        request, files_dir=settings.files_dir, file_kinds=FILE_FIELDS, limits=limits_of(settings)
    )
    starter: ReviewStarter = request.app.state.review_starter
    try:
        answer = await run_and_commit(
            session,
            lambda: _answer_submission(session, user, settings, starter, form, key, document_id),
        )
    except BaseException:
        form.discard()
        raise
    if answer.review is not None:
        background.add_task(start_review, request.app.state.writer, starter, answer.review)
    return JSONResponse(answer.body, answer.status_code)


def _answer_submission(
    session: Session,
    user: User,
    settings: Settings,
    starter: ReviewStarter,
    form: ReceivedForm,
    key: str | None,
    document_id: int | None,
) -> Answer:
    """The first answer to a retried key, or the registration and its answer (kept under the
    key). A concurrent twin under the same key that commits first wins: its answer is given."""
    keyed = None if key is None else Keyed.of(user, key, form.fields, form.uploads, document_id)
    first = None if keyed is None else find_response(session=session, keyed=keyed)
    if first is None:
        try:
            return _register(session, user, settings, starter, form, keyed, document_id)
        except IntegrityError:
            if keyed is None:
                raise
            session.rollback()
            first = find_response(session=session, keyed=keyed)
            if first is None:
                raise
    assert keyed is not None
    form.discard()
    if is_same_request(first, keyed):
        return Answer(first.status_code, first.body)
    finding = key_reused_finding(keyed.key)
    body = ErrorBody(
        error=KEY_REUSED_ERROR,
        detail=finding.message,
        findings=finding_list([finding]),
        document_id=first.document_id,
    )
    return Answer(422, body.model_dump(mode="json"))


def _register(
    session: Session,
    user: User,
    settings: Settings,
    starter: ReviewStarter,
    form: ReceivedForm,
    keyed: Keyed | None,
    document_id: int | None,
) -> Answer:
    result = register_submission(
        session=session,
        submitter=user,
        draft=Draft.of_form(form.fields),
        uploads=form.uploads,
        files_dir=settings.files_dir,
        default_profile=settings.policy_profile,
        at=now(),
        document_id=document_id,
        idempotency_key=None if keyed is None else keyed.version_key,
    )
    answer = _answer(result, starter)
    if keyed is not None:
        remember_response(
            session=session,
            keyed=keyed,
            status_code=answer.status_code,
            body=answer.body,
            document_id=result.document_id,
            at=now(),
        )
    return answer


def _answer(result: IntakeResult, starter: ReviewStarter) -> Answer:
    document, version = result.document, result.version
    if result.returned:
        body = ErrorBody(
            error=RETURNED,
            detail=f"退文: {len(blocking(result.findings))} blocking finding(s); version "
            f"{version.number} of document {document.id} is recorded as returned — correct it "
            f"and POST /documents/{document.id}/versions.",
            findings=finding_list(result.findings),
            document_id=document.id,
        )
        return Answer(422, body.model_dump(mode="json"))
    assert version.id is not None
    review = ReviewToStart(result.document_id, version.id, version.number)
    if starter.available:
        state, detail = "starting", "the review flow is being started"
    else:
        state, detail = "pending", "Prefect is not reachable now; the review starts when it is"
    accepted = SubmissionOut(
        document=DocumentOut.of(document),
        version=VersionOut.of(result.record),  # as written: no reading back
        status=document.status,
        findings=finding_list([f for f in result.findings if not f.is_blocking]),
        deadlines=[DeadlineOut.of(d) for d in result.deadlines],
        review=ReviewOut(state=state, detail=detail),
    )
    return Answer(201, accepted.model_dump(mode="json"), review if state == "starting" else None)


@router.post(
    "/{document_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=MaterialOut,
    responses=error_responses(400, 401, 403, 404, 413, 415, 422),
    openapi_extra=form_request_body(
        None, dict.fromkeys(INTERPRETATION_KINDS, "解读方案 / 解读材料")
    ),
    summary="Add interpretation material later (解读方案 / 解读材料, the 3-working-day mode)",
)
async def add_attachment(
    request: Request,
    document: DocumentDep,
    user: Submitter,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> MaterialOut:
    """Store one interpretation file for the document and record it."""
    form = await receive_form(
        request,
        files_dir=settings.files_dir,
        file_kinds=_MATERIAL_FIELDS,
        limits=limits_of(settings),
    )
    try:
        if len(form.uploads) != 1:
            raise RequestInvalid(
                f"send exactly one file, as one of: {', '.join(INTERPRETATION_KINDS)}"
            )
        material, stored = await run_and_commit(
            session,
            lambda: add_interpretation_material(
                session=session,
                submitter=user,
                document_id=document.id or 0,
                upload=form.uploads[0],
                files_dir=settings.files_dir,
                at=now(),
            ),
        )
    except BaseException:
        form.discard()
        raise
    if material.cleared_at is None and material.review_decision_id is None:
        # After the commit: the secrecy review of the material (先审查、后公开, issue 21).
        background.add_task(
            start_material_review,
            request.app.state.writer,
            request.app.state.review_starter,
            id_of(material),
        )
    return MaterialOut.of(material, stored)
