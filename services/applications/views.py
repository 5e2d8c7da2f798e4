"""What a person sees of an application: the applicant's personal data only for the
disclosure office (条例 art. 15 personal privacy; issue 26), never on the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models.applications import Application, ApplicationDocument
from models.base import id_of
from models.users import User
from policies.application_clock import ClockState
from policies.application_replies import ReplyType
from policies.applications import ApplicantType, Channel
from policies.roles import Role
from services.applications.clock import clock_of
from services.errors import NotFound

# Who may read an applicant's name, ID number, contact and address.
PERSONAL_DATA_ROLES = frozenset({Role.DISCLOSURE_OFFICE})


@dataclass(frozen=True, slots=True)
class Applicant:
    """The applicant's personal data (office only)."""

    name: str
    id_number: str
    contact: str
    address: str | None


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """An application as shown: its record, its clock, and the applicant when allowed."""

    id: int
    number: str
    organ_id: int
    channel: Channel
    applicant_type: ApplicantType
    received_on: date
    description: str
    requested_form: str
    proposes_proactive: bool  # 条例 art. 44 ¶2
    fee_yuan: int
    nth_in_month: int
    state: ClockState
    reply_due_on: date | None
    reply_due_at: datetime | None
    reply_basis: str
    reply_type: ReplyType | None
    reply_number: str | None
    document_ids: tuple[int, ...]
    applicant: Applicant | None  # None: the viewer may not see personal data


def get_application(
    session: Session, application_id: int, *, for_update: bool = False
) -> Application:
    """The application with this id, or NotFound."""
    statement = select(Application).where(col(Application.id) == application_id)
    if for_update:
        statement = statement.with_for_update()
    application = session.exec(statement).first()
    if application is None:
        raise NotFound(f"no application {application_id}")
    return application


def linked_document_ids(session: Session, application_id: int) -> tuple[int, ...]:
    """The documents the office identified for the application."""
    return tuple(
        session.exec(
            select(ApplicationDocument.document_id)
            .where(col(ApplicationDocument.application_id) == application_id)
            .order_by(col(ApplicationDocument.document_id))
        ).all()
    )


def application_view(
    session: Session, application: Application, *, viewer: User | None, as_of: datetime
) -> ApplicationView:
    """The application as viewer may see it (applicant only for the disclosure office)."""
    clock = clock_of(session, application, as_of)
    show = viewer is not None and viewer.role in PERSONAL_DATA_ROLES
    applicant = (
        Applicant(
            application.applicant_name,
            application.applicant_id_number,
            application.contact,
            application.address,
        )
        if show
        else None
    )
    return ApplicationView(
        id=id_of(application),
        number=application.number,
        organ_id=application.organ_id,
        channel=application.channel,
        applicant_type=application.applicant_type,
        received_on=application.received_on,
        description=application.description,
        requested_form=application.requested_form,
        proposes_proactive=application.proposes_proactive,
        fee_yuan=application.fee_yuan,
        nth_in_month=application.nth_in_month,
        state=clock.state,
        reply_due_on=clock.reply_due_on,
        reply_due_at=clock.reply_due_at,
        reply_basis=clock.basis,
        reply_type=ReplyType(application.reply_type) if application.reply_type else None,
        reply_number=application.reply_number,
        document_ids=linked_document_ids(session, id_of(application)),
        applicant=applicant,
    )
