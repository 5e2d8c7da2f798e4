"""Withdrawal (撤回) and restriction of a published document (issue 21; domain §10 rule 21).

The office or the signer withdraws a published document with a coded reason and a written
justification: its marking takes the new attribute, it is filed (PUBLISHED → FILED, the state
machine's move), and the portal answers 410 Gone with a notice. Nothing stored is removed: the
publication, its files and the earlier marking's values stay, in the rows and the audit events.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.publications import Publication, Withdrawal
from models.users import User
from policies.attributes import Attribute
from policies.review_states import check_transition
from policies.statuses import Status
from policies.withdrawal import ERROR_CODES, check_withdrawal
from services.accounts import decides_for_organ
from services.audit import record_act
from services.documents import get_document, get_marking
from services.errors import Conflict, Forbidden, NotFound, RequestInvalid, TransitionNotAllowed
from services.publication.portal import withdrawal_notice
from services.publication.publishing import Publisher, WithdrawalPayload
from services.publication.search_index import forget_publication
from services.review.decisions import ATTRIBUTE_CHANGED
from services.review.status import change_status
from services.timestamps import require_aware

PUBLICATION_WITHDRAWN = "publication.withdrawn"


def withdraw_publication(
    *,
    session: Session,
    document_id: int,
    actor: User,
    reason_code: str,
    new_attribute: Attribute,
    justification: str,
    at: datetime,
    publisher: Publisher,
) -> Withdrawal:
    """Withdraw the document's publication: 409 unless published, 422 with findings for a bad
    reason, attribute or justification, 403 for a role other than office or signer. The
    publisher it went out through takes it down too (a CMS shows it no longer; the portal's
    JSON copy says so), before anything is recorded: 503 when it cannot be told."""
    require_aware(at)
    document = get_document(session=session, document_id=document_id, for_update=True)
    if document.status is not Status.PUBLISHED:
        raise Conflict(f"document {document_id} is '{document.status}', not published")
    refused = check_transition(Status.PUBLISHED, Status.FILED, actor.role)
    if refused:
        raise Forbidden(TransitionNotAllowed(refused).message, refused)
    if not decides_for_organ(session=session, user=actor, organ_id=document.organ_id):
        raise Forbidden(
            f"{actor.login} ({actor.role}) is not assigned to the organ of document "
            f"{document_id}; an administrator assigns organs with `gongkai assign-organ`"
        )
    findings = check_withdrawal(reason_code, new_attribute, justification)
    if findings:
        raise RequestInvalid("; ".join(f.message for f in findings), findings)
    publication = session.exec(
        select(Publication)
        .where(col(Publication.document_id) == document_id)
        .order_by(col(Publication.published_at).desc(), col(Publication.id).desc())
    ).first()
    if publication is None:
        raise NotFound(f"document {document_id} has no publication to withdraw")
    version_id = document.current_version_id or 0
    marking = get_marking(session=session, version_id=version_id)
    before = marking.attribute
    withdrawal = Withdrawal(
        document_id=document_id,
        publication_id=publication.id or 0,
        reason_code=reason_code,
        justification=justification.strip(),
        attribute_before=before.value,
        attribute_after=new_attribute.value,
        withdrawn_by=actor.id or 0,
        withdrawn_at=at,
    )
    session.add(withdrawal)
    forget_publication(session=session, publication_id=publication.id or 0)
    marking.attribute = new_attribute
    marking.marking_text = new_attribute.marking
    marking.reason_codes = [reason_code] if reason_code not in ERROR_CODES else []
    marking.reason_explanation = justification.strip()
    session.add(marking)
    session.flush()
    record_act(
        session=session,
        person=actor,
        action=ATTRIBUTE_CHANGED,
        before={"attribute": before.value},
        after={"attribute": new_attribute.value},
        reason=f"{reason_code}: {justification.strip()}",
        document_id=document_id,
        version_id=version_id,
        at=at,
    )
    record_act(
        session=session,
        person=actor,
        action=PUBLICATION_WITHDRAWN,
        before={"index_number": publication.index_number, "status": Status.PUBLISHED.value},
        after={"withdrawal_id": withdrawal.id, "reason_code": reason_code},
        reason=justification.strip(),
        document_id=document_id,
        version_id=version_id,
        at=at,
    )
    change_status(
        session=session,
        document_id=document_id,
        target=Status.FILED,
        reason=f"撤回 ({reason_code}): {justification.strip()}",
        at=at,
        actor=actor.login,
        role=actor.role,
        channel="api",
    )
    publisher.withdraw(
        WithdrawalPayload(
            index_number=publication.index_number,
            publication_key=publication.idempotency_key,
            notice=withdrawal_notice(withdrawal, document.title),
            withdrawn_at=at.isoformat(),
            idempotency_key=f"withdrawal-p{publication.id}",
        )
    )
    return withdrawal
