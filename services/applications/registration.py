"""Registering an application (条例 arts. 29, 31, 42, 45): by the office for one received in
person, by post or fax, or online from the portal. Duplicates, double clicks and retries find
the application already registered (one per fingerprint of who, what, how and when)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models.applications import Application, ApplicationClockEvent
from models.base import id_of
from models.organs import Organ
from models.users import User
from policies.application_clock import ClockEventKind
from policies.applications import (
    ApplicantType,
    Channel,
    check_contents,
    fee_yuan,
    receipt_date,
)
from policies.findings import Finding
from policies.profiles import get_profile
from policies.roles import Role
from services.applications.clock import refresh_deadlines
from services.audit import record_event
from services.calendar import calendar_for
from services.errors import invalid_fields
from services.timestamps import require_aware

APPLICATION_REGISTERED = "application.registered"


@dataclass(frozen=True, slots=True)
class ApplicationRequest:
    """What an application says (条例 art. 29) and how it arrived (art. 31)."""

    applicant_type: ApplicantType
    applicant_name: str
    applicant_id_number: str
    contact: str
    description: str
    requested_form: str
    channel: Channel
    address: str | None = None
    submitted_on: date | None = None  # in person
    signed_on: date | None = None  # registered post
    confirmed_on: date | None = None  # ordinary mail, fax, internet
    proposes_proactive: bool = False  # 条例 art. 44 ¶2: proposes proactive disclosure


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def applicant_key(applicant_type: ApplicantType, id_number: str) -> str:
    """Who the applicant is, without keeping it readable: fees and rate limits count by it."""
    kind = "organisation" if applicant_type.is_organisation else "person"
    return hashlib.sha256(f"{kind}:{_normal(id_number)}".encode()).hexdigest()


def _fingerprint(organ_id: int, request: ApplicationRequest, received_on: date) -> str:
    parts = (
        str(organ_id),
        applicant_key(request.applicant_type, request.applicant_id_number),
        request.channel.value,
        received_on.isoformat(),
        _normal(request.description),
        _normal(request.requested_form),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _findings(request: ApplicationRequest) -> tuple[list[Finding], date | None]:
    findings = check_contents(
        {
            "applicant_name": request.applicant_name,
            "applicant_id_number": request.applicant_id_number,
            "contact": request.contact,
            "description": request.description,
            "requested_form": request.requested_form,
        }
    )
    received = receipt_date(
        request.channel,
        submitted_on=request.submitted_on,
        signed_on=request.signed_on,
        confirmed_on=request.confirmed_on,
    )
    if isinstance(received, Finding):
        return [*findings, received], None
    return findings, received


def _nth_in_month(session: Session, organ_id: int, key: str, received_on: date) -> int:
    first = received_on.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    earlier = session.exec(
        select(func.count())
        .select_from(Application)
        .where(
            col(Application.organ_id) == organ_id,
            col(Application.applicant_key) == key,
            col(Application.received_on) >= first,
            col(Application.received_on) < after,
        )
    ).one()
    return int(earlier) + 1


def register_application(
    *,
    session: Session,
    organ: Organ,
    request: ApplicationRequest,
    profile: str,
    at: datetime,
    registered_by: User | None = None,
) -> tuple[Application, bool]:
    """Register an application, or find the same one registered before (retries, duplicates):
    returns it and whether it is new. Every missing art. 29 field is named at once (422)."""
    require_aware(at)
    findings, received_on = _findings(request)
    if findings or received_on is None:
        raise invalid_fields(findings)
    organ_id = id_of(organ)
    fingerprint = _fingerprint(organ_id, request, received_on)
    existing = _by_fingerprint(session, fingerprint)
    if existing is not None:
        return existing, False
    key = applicant_key(request.applicant_type, request.applicant_id_number)
    nth = _nth_in_month(session, organ_id, key, received_on)
    application = Application(
        number=f"pending:{fingerprint[:48]}",
        organ_id=organ_id,
        policy_profile=get_profile(profile).name,
        channel=request.channel,
        received_on=received_on,
        registered_at=at,
        registered_by=registered_by.id if registered_by else None,
        fingerprint=fingerprint,
        applicant_type=request.applicant_type,
        applicant_key=key,
        applicant_name=request.applicant_name.strip(),
        applicant_id_number=request.applicant_id_number.strip(),
        contact=request.contact.strip(),
        address=(request.address or "").strip() or None,
        description=request.description.strip(),
        requested_form=request.requested_form.strip(),
        proposes_proactive=request.proposes_proactive,
        nth_in_month=nth,
        fee_yuan=fee_yuan(nth),
    )
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except sa.exc.IntegrityError:  # the same application registered concurrently
        found = _by_fingerprint(session, fingerprint)
        assert found is not None
        return found, False
    application.number = f"{organ.code}-依申请-{received_on.year}-{id_of(application):06d}"
    session.add(
        ApplicationClockEvent(
            application_id=id_of(application),
            kind=ClockEventKind.RECEIVED,
            occurred_on=received_on,
            recorded_by=application.registered_by,
            recorded_at=at,
        )
    )
    session.flush()
    calendar = calendar_for(application.policy_profile, session=session)
    refresh_deadlines(session=session, application=application, calendar=calendar, at=at)
    record_event(
        session=session,
        action=APPLICATION_REGISTERED,
        at=at,
        actor=registered_by.login if registered_by else "applicant (online)",
        role=registered_by.role if registered_by else Role.SYSTEM,
        channel="api",
        after={
            "application_id": application.id,
            "number": application.number,
            "channel": request.channel.value,
            "received_on": received_on.isoformat(),
            "fee_yuan": application.fee_yuan,
        },
        reason="条例 arts. 29, 31, 45 (登记)",
    )
    return application, True


def _by_fingerprint(session: Session, fingerprint: str) -> Application | None:
    return session.exec(
        select(Application).where(col(Application.fingerprint) == fingerprint)
    ).first()
