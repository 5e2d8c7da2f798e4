"""Applications for government information (依申请公开, issue 26): the office registers one
received in person, by post or fax; the public applies online on the portal (plain HTML form,
CSRF-protected, rate-limited); the human steps over REST under the same rules as the Prefect
form (bearer token, role, organ); the reply letter (HTML and PDF); the expiring delivery link."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Path, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from api.deps import CurrentUser, OfficeReader, SessionDep, SettingsDep, now
from api.downloads import stored_file_response
from api.errors import error_responses
from api.pages import applications as pages
from api.pages import private_html
from api.rate_limit import RateLimit
from api.review_resumer import end_material_run as resume_named_run
from api.review_starter import application_run_key
from api.schemas import Instant
from api.signin import form_refusal
from api.unstarted_reviews import start_application
from models.organs import Organ
from models.users import User
from policies.application_clock import ConsultedParty
from policies.application_replies import ReplyType
from policies.application_steps import Action
from policies.applications import ApplicantType, Channel
from policies.calendar import deadline_text, local_date
from services.applications import (
    PERSONAL_DATA_ROLES,
    ApplicationAction,
    ApplicationRequest,
    ApplicationView,
    ReplyLetter,
    applicant_key,
    application_view,
    delivered_file,
    delivery_files,
    delivery_link,
    get_application,
    register_application,
    reply_letter,
    take_action,
)
from services.errors import Forbidden, RequestInvalid
from services.validation import Day, Id, Line, MultiLine

router = APIRouter(tags=["applications"])
PORTAL_CSRF = "gongkai_application_csrf"
_HTML_BODY: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
OfficeChannel = Literal["in_person", "registered_post", "ordinary_mail", "fax"]


PROPOSAL = (
    "条例 art. 44 ¶2: the applicant proposes the information for proactive disclosure "
    "(建议纳入主动公开); once replied, each linked filed document gets a conversion re-review"
)


class ApplicantOut(BaseModel):
    """The applicant's personal data (disclosure office only)."""

    name: str
    id_number: str
    contact: str
    address: str | None


class ApplicationOut(BaseModel):
    """An application, its clock and step; the applicant only for the disclosure office."""

    id: int
    number: str
    organ_id: int
    channel: Channel
    applicant_type: ApplicantType
    received_on: date
    description: str
    requested_form: str
    proposes_proactive: bool = Field(description=PROPOSAL)
    fee_yuan: int = Field(description="信息处理费 (条例 art. 42; 国办函〔2020〕109号)")
    nth_in_month: int
    state: str
    step: str
    reply_due_on: date | None
    reply_due_at: Instant | None
    reply_basis: str
    reply_type: ReplyType | None
    reply_number: str | None
    document_ids: list[int]
    applicant: ApplicantOut | None
    delivery_url: str | None = None

    @classmethod
    def of(
        cls, view: ApplicationView, step: str, delivery_url: str | None = None
    ) -> ApplicationOut:
        """The view as answered."""
        applicant = view.applicant
        return cls(
            id=view.id,
            number=view.number,
            organ_id=view.organ_id,
            channel=view.channel,
            applicant_type=view.applicant_type,
            received_on=view.received_on,
            description=view.description,
            requested_form=view.requested_form,
            proposes_proactive=view.proposes_proactive,
            fee_yuan=view.fee_yuan,
            nth_in_month=view.nth_in_month,
            state=view.state.value,
            step=step,
            reply_due_on=view.reply_due_on,
            reply_due_at=view.reply_due_at,
            reply_basis=view.reply_basis,
            reply_type=view.reply_type,
            reply_number=view.reply_number,
            document_ids=list(view.document_ids),
            applicant=ApplicantOut(
                name=applicant.name,
                id_number=applicant.id_number,
                contact=applicant.contact,
                address=applicant.address,
            )
            if applicant
            else None,
            delivery_url=delivery_url,
        )


class ApplicationIn(BaseModel):
    """An application received by the office (条例 arts. 29, 31)."""

    model_config = ConfigDict(extra="forbid")

    applicant_type: ApplicantType
    applicant_name: Line = Field(max_length=200)
    applicant_id_number: Line = Field(max_length=100)
    contact: Line = Field(max_length=500)
    address: Line | None = Field(default=None, max_length=500)
    description: MultiLine = Field(max_length=4000)
    requested_form: Line = Field(max_length=500)
    proposes_proactive: bool = Field(default=False, description=PROPOSAL)
    channel: OfficeChannel
    submitted_on: Day | None = Field(default=None, description="in person: the day handed in")
    signed_on: Day | None = Field(default=None, description="registered post: the signing day")
    confirmed_on: Day | None = Field(
        default=None, description="ordinary mail, fax: the day confirmed with the applicant"
    )


class ActionIn(BaseModel):
    """An action at the application's current step (the step table says which)."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    on: Day | None = None
    until: Day | None = None
    days: int | None = Field(default=None, ge=1, le=60)
    party: ConsultedParty | None = None
    consultation: Line | None = Field(default=None, max_length=100)
    document_ids: list[Id] = Field(default_factory=list, max_length=50)
    reply_type: ReplyType | None = None
    sub_reason: Line | None = Field(default=None, max_length=16)
    reason_codes: list[Annotated[Line, Field(max_length=16)]] = Field(
        default_factory=list, max_length=20
    )
    explanation: MultiLine | None = Field(default=None, max_length=4000)
    comment: MultiLine | None = Field(default=None, max_length=4000)


def _delivery(session: Session, settings: Any, application_id: int) -> tuple[str, datetime] | None:
    """The applicant's delivery address and its expiry (None: nothing released)."""
    link = delivery_link(session, application_id, key=settings.one_time_code_key())
    if link is None:
        return None
    token, expires_at = link
    return f"{settings.api_base_url}/applications/deliveries/{token}", expires_at


def _answer(session: Session, settings: Any, application_id: int, user: User) -> ApplicationOut:
    application = get_application(session, application_id)
    if user.organ_id != application.organ_id and user.role.value != "admin":
        raise Forbidden("this application was made to another organ")
    view = application_view(session, application, viewer=user, as_of=now())
    delivery = (
        _delivery(session, settings, application_id) if user.role in PERSONAL_DATA_ROLES else None
    )
    return ApplicationOut.of(view, application.step.value, delivery[0] if delivery else None)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationOut,
    responses=error_responses(401, 403, 422) | {200: {"description": "Already registered"}},
    summary="Register an application received in person, by post or by fax (条例 arts. 29, 31)",
)
async def register(
    body: ApplicationIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    background: BackgroundTasks,
) -> ApplicationOut:
    """The disclosure office of the receiving organ; the same application sent again (a
    retry, a duplicate) answers 200 with the one registered."""
    if user.role not in PERSONAL_DATA_ROLES:
        raise Forbidden("only the disclosure office registers applications")
    organ = session.get(Organ, user.organ_id)
    assert organ is not None
    application, new = register_application(
        session=session,
        organ=organ,
        request=ApplicationRequest(**(body.model_dump() | {"channel": Channel(body.channel)})),
        profile=settings.policy_profile,
        at=now(),
        registered_by=user,
    )
    assert application.id is not None
    if new:
        background.add_task(
            start_application,
            request.app.state.writer,
            request.app.state.review_starter,
            application.id,
        )
    else:
        response.status_code = status.HTTP_200_OK
    return _answer(session, settings, application.id, user)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    responses=error_responses(401, 403, 404),
    summary="An application, its clock and step (personal data: disclosure office only)",
)
def read(
    application_id: Annotated[Id, Path()],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ApplicationOut:
    """Anyone of the receiving organ; the applicant's data only for its disclosure office."""
    return _answer(session, settings, application_id, user)


@router.post(
    "/applications/{application_id}/actions",
    response_model=ApplicationOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Take an action at the application's current step (the same rules as the form)",
)
def act(
    application_id: Annotated[Id, Path()],
    body: ActionIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> ApplicationOut:
    """403: the step is not this role's, or the organ is another's, or an extension is not
    approved by the office head; 422: outside the step, or against arts. 30–37 (the rule)."""
    application = get_application(session, application_id, for_update=True)
    take_action(
        session=session,
        application=application,
        act=ApplicationAction(
            body.action,
            on=body.on,
            until=body.until,
            days=body.days,
            party=body.party,
            consultation=body.consultation,
            document_ids=tuple(body.document_ids),
            reply_type=body.reply_type,
            sub_reason=body.sub_reason,
            reason_codes=tuple(body.reason_codes),
            explanation=body.explanation,
            comment=body.comment,
        ),
        person=user,
        at=now(),
    )
    # After the commit: the waiting run (the Prefect door) sees the step has moved on.
    run_input = {"action": body.action.value, "reviewer": user.login, "code": ""}
    background.add_task(resume_named_run, settings, application_run_key(application_id), run_input)
    return _answer(session, settings, application_id, user)


def _letter_of(session: Session, settings: Any, application_id: int, user: User) -> ReplyLetter:
    if user.role not in PERSONAL_DATA_ROLES:
        raise Forbidden("the reply letter names the applicant: disclosure office only")
    application = get_application(session, application_id)
    if application.organ_id != user.organ_id:
        raise Forbidden("this application was made to another organ")
    letter = reply_letter(session, application)
    delivery = _delivery(session, settings, application_id)
    if delivery is None:
        return letter
    url, expires_at = delivery
    return replace(letter, delivery_url=url, delivery_expires_at=expires_at)


@router.get(
    "/office/applications/{application_id}/letter",
    response_class=HTMLResponse,
    responses=error_responses(401, 403, 404, 409),
    summary="The reply letter, printable: number, decision, reasons, remedy channels",
)
def letter_page(
    application_id: Annotated[Id, Path()],
    user: OfficeReader,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """条例 arts. 36–37, 51; the letter names the applicant: the disclosure office only (bearer
    token, or the office's browser sign-in)."""
    return private_html(pages.letter_html(_letter_of(session, settings, application_id, user)))


@router.get(
    "/office/applications/{application_id}/letter.pdf",
    response_class=Response,
    responses=_PDF | error_responses(401, 403, 404, 409),
    summary="The reply letter as PDF",
)
def letter_pdf(
    application_id: Annotated[Id, Path()],
    user: OfficeReader,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The same letter as the page, in PDF (Chinese in the CID font STSong-Light)."""
    letter = _letter_of(session, settings, application_id, user)
    return Response(
        pages.letter_pdf(letter),
        media_type="application/pdf",
        headers={"Content-Disposition": "inline; filename=reply.pdf", "Cache-Control": "no-store"},
    )


@router.get(
    "/applications/deliveries/{token}",
    response_class=HTMLResponse,
    responses=error_responses(404, 410),
    summary="The applicant's delivery page: the released files (expiring link)",
)
def delivery_page(
    token: Annotated[str, Path(max_length=64, pattern="^[0-9a-f]{64}$")], session: SessionDep
) -> HTMLResponse:
    """Lists the files released to the application this link belongs to."""
    files = delivery_files(session, token=token, at=now())
    return private_html(pages.delivery_html(token, [(f.file_id, f.file_name) for f in files]))


@router.get(
    "/applications/deliveries/{token}/files/{file_id}",
    response_class=FileResponse,
    responses=error_responses(404, 410, 500),
    summary="Download a released file through the applicant's expiring link (each use logged)",
)
def delivery_download(
    token: Annotated[str, Path(max_length=64, pattern="^[0-9a-f]{64}$")],
    file_id: Annotated[Id, Path()],
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """404: no such link or file under it; 410: the link has expired; 500: the released file's
    bytes were altered on disk after its release was reviewed (nothing of them is sent)."""
    address = request.client.host if request.client else None
    stored, name = delivered_file(session, token=token, file_id=file_id, at=now(), address=address)
    return stored_file_response(
        files_dir=settings.files_dir, stored=stored, filename=name, media_type=stored.media_type
    )


# ------------------------------------------------------------------------------------------
# The portal's online application form.


def _organs(session: Session) -> dict[str, str]:
    return {o.code: o.name for o in session.exec(select(Organ).order_by(col(Organ.code))).all()}


def _form(
    session: Session,
    *,
    values: dict[str, str] | None = None,
    findings: list[Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    page = pages.application_form(
        csrf=csrf, organs=_organs(session), values=values, findings=findings
    )
    response = HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        PORTAL_CSRF,
        csrf,
        httponly=True,
        samesite="strict",
        path="/portal/applications",
        max_age=3600,
    )
    return response


@router.get(
    "/portal/applications/new",
    response_class=HTMLResponse,
    summary="The online application form (plain HTML, no JavaScript)",
)
def application_form(session: SessionDep) -> HTMLResponse:
    """条例 art. 29: who applies, what information, in which form."""
    return _form(session)


@router.post(
    "/portal/applications",
    response_class=HTMLResponse,
    responses={
        200: {"description": "已登记（同一申请再次提交）", "content": _HTML_BODY},
        201: {"description": "申请已收到：回执", "content": _HTML_BODY},
        403: {"description": "申请表已过期或来自其他网站 (CSRF)", "content": _HTML_BODY},
        422: {
            "description": "缺少条例第二十九条要求的内容（页面逐项列出）; a field too long (JSON)",
            "content": _HTML_BODY
            | {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        },
        429: {"description": "提交过于频繁 (rate limit)", "content": _HTML_BODY},
    },
    summary="Submit an online application (CSRF-protected, rate-limited per applicant and address)",
)
def apply_online(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    organ: Annotated[str, Form(max_length=64)] = "",
    applicant_type: Annotated[str, Form(max_length=32)] = "",
    applicant_name: Annotated[str, Form(max_length=200)] = "",
    applicant_id_number: Annotated[str, Form(max_length=100)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    requested_form: Annotated[str, Form(max_length=500)] = "",
    proposes_proactive: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """422 (in Chinese) names every missing field of art. 29; 429 past the rate limit."""
    values = {
        "organ": organ,
        "applicant_type": applicant_type,
        "applicant_name": applicant_name,
        "applicant_id_number": applicant_id_number,
        "contact": contact,
        "address": address,
        "description": description,
        "requested_form": requested_form,
        "proposes_proactive": proposes_proactive,
    }
    refusal = form_refusal(request, PORTAL_CSRF, csrf_token)
    if refusal:
        page = pages.notice("申请表已过期或来自其他网站，请重新打开申请表。", refusal)
        return HTMLResponse(page, status_code=403)
    found = session.exec(select(Organ).where(col(Organ.code) == organ)).first()
    kind = (
        ApplicantType(applicant_type)
        if applicant_type in ApplicantType._value2member_map_
        else ApplicantType.NATURAL_PERSON
    )
    limits: dict[str, RateLimit] = request.app.state.application_limits
    address_key = request.client.host if request.client else "unknown"
    if not limits["address"].allow(address_key) or (
        applicant_id_number.strip()
        and not limits["applicant"].allow(applicant_key(kind, applicant_id_number))
    ):
        return HTMLResponse(
            "<p>提交过于频繁，请稍后再试。</p>", status_code=429, headers={"Retry-After": "3600"}
        )
    if found is None:
        from policies.findings import Finding, Severity

        missing = Finding(
            "application.organ", Severity.BLOCKING, "请选择受理机关。", "条例 art. 27", "organ"
        )
        return _form(session, values=values, findings=[missing], status_code=422)
    try:
        application, new = register_application(
            session=session,
            organ=found,
            request=ApplicationRequest(
                applicant_type=kind,
                applicant_name=applicant_name,
                applicant_id_number=applicant_id_number,
                contact=contact,
                address=address or None,
                description=description,
                requested_form=requested_form,
                proposes_proactive=bool(proposes_proactive),
                channel=Channel.ONLINE,
                confirmed_on=local_date(now()),
            ),
            profile=settings.policy_profile,
            at=now(),
        )
    except RequestInvalid as refused:
        return _form(session, values=values, findings=refused.findings, status_code=422)
    assert application.id is not None
    if new:
        background.add_task(
            start_application,
            request.app.state.writer,
            request.app.state.review_starter,
            application.id,
        )
    view = application_view(session, application, viewer=None, as_of=now())
    due = deadline_text(view.reply_due_at, provisional=False) if view.reply_due_at else ""
    return HTMLResponse(
        pages.application_received(application.number, application.received_on.isoformat(), due),
        status_code=201 if new else 200,
    )
