"""Documents identified for an application (search and identify), and the conversion proposals
(条例 art. 44; domain §10 rule 17) when one document has been released to enough distinct
applicants, or when the applicant proposed proactive disclosure: a re-review of kind
"applications" on the existing conversion path (a new version and a full review when
converted)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlmodel import Session, col, func, select

from models.applications import Application, ApplicationDocument
from models.base import id_of
from models.documents import Document
from models.rereviews import Rereview
from models.users import User
from policies.application_replies import ReplyType
from policies.applications import SOURCE_CONVERSION, SOURCE_PROPOSAL, conversion_due
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
    """Once replied, a conversion re-review (domain §10 rule 17) for each linked filed document:
    - released to the profile's number of distinct applicants this year (art. 44 ¶1; once per
      document and year);
    - whatever the reply, when the applicant proposed proactive disclosure (art. 44 ¶2; once per
      document and application)."""
    if application.replied_on is None:
        return []
    threshold = get_profile(application.policy_profile).conversion_threshold
    year = application.replied_on.year
    released = application.reply_type in RELEASED
    rows = []
    for document in linked_documents(session, id_of(application)):
        if document.status != Status.FILED or document.current_version_id is None:
            continue
        due = partial(
            new_rereview,
            document_id=id_of(document),
            version_id=document.current_version_id,
            kind="applications",
            due_at=at,
            at=at,
        )
        recipients = distinct_recipients(session, id_of(document), year) if released else 0
        if conversion_due(recipients, threshold):
            applicants = f"{threshold.applicants} 名申请人 ({threshold.source})"
            rows.append(due(cycle=str(year), basis=f"{SOURCE_CONVERSION}: {applicants}"))
        if application.proposes_proactive:
            rows.append(
                due(
                    cycle=f"proposal-{id_of(application)}",
                    basis=f"{SOURCE_PROPOSAL}: 申请 {application.number}",
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
