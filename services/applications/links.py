"""Documents identified for an application (search and identify), and the conversion proposal
when one document has been released to enough distinct applicants (条例 art. 44; domain §10
rule 17): a re-review of kind "applications" on the existing conversion path (a new version and
a full review when converted)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, select

from models.applications import Application, ApplicationDocument
from models.base import id_of
from models.documents import Document
from models.rereviews import Rereview
from models.users import User
from policies.application_replies import ReplyType
from policies.applications import SOURCE_CONVERSION, conversion_due
from policies.profiles import get_profile
from policies.statuses import Status
from services.audit import record_act
from services.documents import get_document
from services.errors import Conflict
from services.review.rereviews import add_rereviews, new_rereview

DOCUMENT_LINKED = "application.document_linked"
RELEASED = (ReplyType.DISCLOSED.value, ReplyType.PARTIAL.value)


def link_document(
    *, session: Session, application: Application, document_id: int, person: User, at: datetime
) -> bool:
    """Link a document of the engine to the application; False if it was linked already."""
    if application.reply_type is not None:
        raise Conflict(f"application {application.number} has been replied to already")
    document = get_document(session=session, document_id=document_id)
    application_id = id_of(application)
    if session.get(ApplicationDocument, (application_id, document_id)) is not None:
        return False
    session.add(
        ApplicationDocument(
            application_id=application_id,
            document_id=id_of(document),
            linked_by=id_of(person),
            linked_at=at,
        )
    )
    record_act(
        session=session,
        person=person,
        action=DOCUMENT_LINKED,
        at=at,
        document_id=document_id,
        after={"application_id": application_id},
        reason="条例 art. 45 (办理)",
    )
    session.flush()
    return True


def distinct_recipients(session: Session, document_id: int, year: int) -> int:
    """How many distinct applicants the document was released to in year (予以公开/部分公开)."""
    count = session.exec(
        select(func.count(func.distinct(Application.applicant_key)))
        .join(ApplicationDocument, col(ApplicationDocument.application_id) == col(Application.id))
        .where(
            col(ApplicationDocument.document_id) == document_id,
            col(Application.reply_type).in_(RELEASED),
            col(Application.replied_on) >= date(year, 1, 1),
            col(Application.replied_on) <= date(year, 12, 31),
        )
    ).one()
    return int(count)


def propose_conversions(
    *, session: Session, application: Application, at: datetime
) -> list[Rereview]:
    """After a release: a conversion re-review for each linked filed document released to the
    profile's number of distinct applicants this year (once per document and year)."""
    if application.reply_type not in RELEASED or application.replied_on is None:
        return []
    threshold = get_profile(application.policy_profile).conversion_threshold
    year = application.replied_on.year
    rows = []
    for link in session.exec(
        select(ApplicationDocument).where(
            col(ApplicationDocument.application_id) == id_of(application)
        )
    ).all():
        document = session.get(Document, link.document_id)
        if document is None or document.status != Status.FILED:
            continue
        if document.current_version_id is None:
            continue
        if not conversion_due(distinct_recipients(session, link.document_id, year), threshold):
            continue
        rows.append(
            new_rereview(
                document_id=link.document_id,
                version_id=document.current_version_id,
                kind="applications",
                cycle=str(year),
                due_at=at,
                basis=f"{SOURCE_CONVERSION}: {threshold.applicants} 名申请人 ({threshold.source})",
                at=at,
            )
        )
    return add_rereviews(session, rows, at=at) if rows else []


def linked_documents(session: Session, application_id: int) -> list[Document]:
    """The documents linked to the application, in id order."""
    return list(
        session.exec(
            select(Document)
            .join(ApplicationDocument, col(ApplicationDocument.document_id) == col(Document.id))
            .where(col(ApplicationDocument.application_id) == application_id)
            .order_by(col(Document.id))
        ).all()
    )
