"""POST /documents and POST /documents/{id}/versions: receive the upload, then in ONE worker-
thread call and ONE unit of work (one connection checkout, one commit) answer an Idempotency-Key
retry or register the submission through the intake service; answer 201 or 422 退文, start the
review after the commit, and keep the answer (with the request's fingerprint) for retries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import WRITE, now
from api.errors import RETURNED
from api.forms import DraftForm, parse_draft_form
from api.reconciler import start_review
from api.review_starter import ReviewStarter
from api.schemas import ErrorBody, ReviewOut, SubmissionOut, finding_list
from api.uploads import ReceivedForm, UploadLimits, receive_form
from api.views import deadline_out, document_out, version_out
from config.settings import Settings
from models.db import is_disconnect, session_scope
from models.idempotency import IdempotentResponse
from models.users import User
from policies.findings import Finding, Severity, blocking
from policies.roles import Role
from services.accounts import find_organ
from services.errors import Forbidden, NotFound, RequestInvalid
from services.intake import Draft, IntakeResult, register_submission, resubmit
from services.intake.idempotency import (
    MAX_KEY_CHARS,
    find_response,
    is_same_request,
    key_reused_finding,
    remember_response,
    request_fingerprint,
)
from services.review.starts import ReviewToStart

FILE_FIELDS = {
    "file": "main",
    "interpretation_plan": "interpretation_plan",  # 解读方案
    "interpretation_material": "interpretation_material",  # 解读材料
    "redacted_version": "redacted_version",  # 删减后公开的版本
    "other": "other",
}
KEY_REUSED_ERROR = "idempotency_key_reused"
FILE_DESCRIPTIONS = {
    "file": "the draft: PDF, DOCX or UTF-8/GB18030 text (typed by content)",
    "interpretation_plan": "解读方案 (optional)",
    "interpretation_material": "解读材料 (optional)",
    "redacted_version": "删减后公开的版本 (for 删减后公开)",
    "other": "other attachments (optional, repeatable)",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A response to send, and the review to start once it is committed."""

    status_code: int
    body: dict[str, Any]
    review: ReviewToStart | None = None


def limits_of(settings: Settings) -> UploadLimits:
    """The upload limits from settings."""
    return UploadLimits(
        max_file_bytes=settings.max_upload_bytes,
        max_request_bytes=settings.max_request_bytes,
        max_files=1 + settings.max_attachments,
    )


def _checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise RequestInvalid(
            f"Idempotency-Key must be 1–{MAX_KEY_CHARS} printable characters",
            [_field_finding("Idempotency-Key", "a unique string per submission, e.g. a UUID")],
        )
    return key


def _field_finding(field: str, expected: str) -> Finding:
    return Finding(
        "request.invalid", Severity.BLOCKING, f"{field}: {expected}", "API request schema", field
    )


@lru_cache(maxsize=8)
def _write_bind(engine: Engine) -> Engine:
    # On SQLite the write transaction takes the lock at BEGIN (api.deps.make_api_engine).
    return engine.execution_options(**{WRITE: True})


async def handle_submission(
    request: Request,
    *,
    user: User | asyncio.Future[User],
    settings: Settings,
    starter: ReviewStarter,
    background: BackgroundTasks,
    idempotency_key: str | None,
    document_id: int | None = None,
) -> JSONResponse:
    """Receive, register and answer one submission (new document, or version n+1). `user` may
    still be being authenticated (`api.deps.authenticate_meanwhile`): the body is received
    meanwhile and the user awaited before the unit of work begins."""
    engine = request.app.state.engine
    key = _checked_key(idempotency_key)
    pending = user if isinstance(user, asyncio.Future) else None
    try:
        form = await receive_form(
            request,
            files_dir=settings.files_dir,
            file_kinds=FILE_FIELDS,
            limits=limits_of(settings),
            refused=pending,
        )
    except BaseException:
        if pending is not None:  # a refused token outranks whatever the body got wrong
            await asyncio.wait([pending])
            if error := pending.exception():
                raise error from None
        raise
    try:
        if pending is not None:
            user = await pending
    except BaseException:
        form.discard()
        raise
    assert isinstance(user, User)
    try:
        answer = await run_in_threadpool(
            _submit, engine, user, settings, starter, form, key, document_id
        )
    except BaseException:
        form.discard()
        raise
    if answer.review is not None:
        background.add_task(start_review, engine, starter, answer.review)
    return JSONResponse(answer.body, answer.status_code)


class _LostBeforeCommit(Exception):
    """The connection died before the commit: nothing was written, the attempt can be redone."""


def _submit(
    engine: Engine,
    user: User,
    settings: Settings,
    starter: ReviewStarter,
    form: ReceivedForm,
    key: str | None,
    document_id: int | None,
) -> Answer:
    """The whole unit of work in one worker thread: the first answer to a retried key, or the
    registration; committed before the response is sent, so a 201 is never lost. A connection
    lost before the commit (PostgreSQL restarted; the pool is not pinged) is retried once on a
    fresh one; a loss during the commit is not (it may have committed) and fails the request."""
    try:
        return _submit_once(engine, user, settings, starter, form, key, document_id)
    except _LostBeforeCommit:
        return _submit_once(engine, user, settings, starter, form, key, document_id)


def _submit_once(
    engine: Engine,
    user: User,
    settings: Settings,
    starter: ReviewStarter,
    form: ReceivedForm,
    key: str | None,
    document_id: int | None,
) -> Answer:
    assert user.id is not None
    fingerprint = None if key is None else _fingerprint(form, document_id)
    try:
        with session_scope(_write_bind(engine)) as session:
            try:
                first = None
                if key is not None:
                    first = find_response(session=session, user_id=user.id, key=key)
                if first is None:
                    return _register(
                        session, user, settings, starter, form, key, document_id, fingerprint
                    )
            except DBAPIError as error:
                if is_disconnect(error):
                    raise _LostBeforeCommit from error
                raise
    except IntegrityError:
        if key is None:
            raise
        with session_scope(engine) as session:  # a concurrent twin with this key committed first
            first = find_response(session=session, user_id=user.id, key=key)
        if first is None:
            raise
    assert key is not None
    assert fingerprint is not None
    form.discard()
    return _replay(first, key, fingerprint)


def _fingerprint(form: ReceivedForm, document_id: int | None) -> str:
    return request_fingerprint(
        target="new" if document_id is None else f"document:{document_id}",
        fields=form.fields,
        files=[(u.kind, u.staged.sha256) for u in form.uploads],
    )


def _replay(first: IdempotentResponse, key: str, fingerprint: str) -> Answer:
    """The first answer again, or 422 when the key comes with a different request."""
    if is_same_request(first, fingerprint):
        return Answer(first.status_code, first.body)
    finding = key_reused_finding(key)
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
    key: str | None,
    document_id: int | None,
    fingerprint: str | None,
) -> Answer:
    fields = parse_draft_form(form.fields)
    if not any(u.kind == "main" for u in form.uploads):
        raise RequestInvalid(
            "file: the draft itself is required", [_field_finding("file", "a file")]
        )
    at = now()
    common: dict[str, Any] = {
        "session": session,
        "submitter": user,
        "draft": _draft(session, user, fields, settings),
        "uploads": form.uploads,
        "files_dir": settings.files_dir,
        "at": at,
        "idempotency_key": f"{user.id}:{key}" if key else None,
    }
    if document_id is None:
        result = register_submission(**common)
    else:
        result = resubmit(document_id=document_id, **common)
    answer = _answer(result, starter)
    if key is not None:
        assert user.id is not None
        remember_response(
            session=session,
            user_id=user.id,
            key=key,
            status_code=answer.status_code,
            body=answer.body,
            document_id=result.document.id,
            at=at,
            fingerprint=fingerprint,
        )
    return answer


def _draft(session: Session, user: User, form: DraftForm, settings: Settings) -> Draft:
    return Draft(
        title=form.title,
        organ_id=_organ_id(session, user, form.organ),
        document_type=form.document_type,
        written_on=form.written_on,
        policy_profile=form.policy_profile or settings.policy_profile,
        attribute=form.attribute,
        doc_number=form.doc_number,
        reason_codes=tuple(form.reason_codes),
        reason_explanation=form.reason_explanation,
        secrecy_level=form.secrecy_level,
        secrecy_period_years=form.secrecy_period_years,
        declassify_on=form.declassify_on,
        declassify_condition=form.declassify_condition,
        secrecy_override_reference=form.secrecy_override_reference,
        is_important_policy=form.is_important_policy,
        issued_in_government_name=form.issued_in_government_name,
    )


def _organ_id(session: Session, user: User, code: str | None) -> int:
    if user.role is not Role.ADMIN:
        if code is not None and find_organ(session=session, code=code).id != user.organ_id:
            raise Forbidden("drafters submit for their own organ only")
        return user.organ_id
    if code is None:
        raise RequestInvalid("organ: required for admins", [_field_finding("organ", "organ code")])
    try:
        organ = find_organ(session=session, code=code)
    except NotFound:
        raise RequestInvalid(
            f"organ: unknown code '{code}'", [_field_finding("organ", "a registered organ code")]
        ) from None
    assert organ.id is not None
    return organ.id


def _answer(result: IntakeResult, starter: ReviewStarter) -> Answer:
    document, version = result.document, result.version
    assert document.id is not None
    assert version.id is not None
    if result.returned:
        count = len(blocking(result.findings))
        body = ErrorBody(
            error=RETURNED,
            detail=f"退文: {count} blocking finding(s); version {version.number} of document "
            f"{document.id} is recorded as returned — correct it and POST "
            f"/documents/{document.id}/versions.",
            findings=finding_list(result.findings),
            document_id=document.id,
        )
        return Answer(422, body.model_dump(mode="json"))
    review = ReviewToStart(document.id, version.id, version.number)
    state = "starting" if starter.available else "pending"
    detail = (
        "the review flow is being started"
        if state == "starting"
        else "Prefect is not reachable now; the reconciler starts the review when it is"
    )
    body_ok = SubmissionOut(
        document=document_out(document),
        version=version_out(result.record),  # as written: no reading back
        status=document.status,
        findings=finding_list([f for f in result.findings if not f.is_blocking]),
        deadlines=[deadline_out(d) for d in result.deadlines],
        review=ReviewOut(state=state, detail=detail),
    )
    return Answer(201, body_ok.model_dump(mode="json"), review if state == "starting" else None)
