"""The validity lifecycle of published documents: amend, repeal, expire (seed 004 §二(二)).

Only a published document has a validity to change; the change is checked against
policies.validity, kept as a ValidityChangeRecord, copied to the document and its publications
(what the portal shows), sent to the publisher the document went out through (a CMS shows the
new validity; the archives' JSON copy says so) and written to the audit log with who and why,
in the caller's transaction: a CMS that cannot be told fails the transaction, and nothing
changes. A validity end date that has passed expires the document once (domain §10 rule 15).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.decisions import Channel
from models.documents import Document
from models.publications import Publication, Withdrawal
from models.users import User
from models.validity import ValidityChangeRecord
from policies.calendar import local_date
from policies.findings import Finding, Severity
from policies.roles import Role
from policies.statuses import Status
from policies.validity import ANNOTATION_SOURCE, Validity, check_validity_change
from services.accounts import decides_for_organ
from services.audit import SYSTEM, record_event
from services.documents import get_document
from services.errors import Conflict, DomainError, Forbidden, RequestInvalid
from services.publication.publishing import Publisher, ValidityPayload
from services.timestamps import require_aware


class ValidityChangeRefused(DomainError):
    """The change is not allowed by the validity lifecycle (the findings name rule and source)."""


class NotPublished(Conflict):
    """Only a published document has a validity on the portal to change."""


def _published(session: Session, document_id: int, person: User | None) -> Document:
    document = get_document(session=session, document_id=document_id, for_update=True)
    if person is not None and not decides_for_organ(
        session=session, user=person, organ_id=document.organ_id
    ):
        raise Forbidden(
            f"{person.login} ({person.role}) is not assigned to the organ of document "
            f"{document_id}; an administrator assigns organs with `gongkai assign-organ`"
        )
    if document.status is not Status.PUBLISHED:
        raise NotPublished(
            f"document {document_id} is '{document.status}', not published: only a published "
            f"document's validity can change ({ANNOTATION_SOURCE})"
        )
    return document


def _invalid(rule: str, field: str, message: str) -> RequestInvalid:
    return RequestInvalid(
        message, [Finding(rule, Severity.BLOCKING, message, ANNOTATION_SOURCE, field)]
    )


def change_validity(
    *,
    session: Session,
    document_id: int,
    to: Validity,
    reason: str,
    at: datetime,
    publisher: Publisher,
    actor: str = SYSTEM,
    role: Role = Role.SYSTEM,
    channel: Channel = "system",
    person: User | None = None,
    amended_by_document_id: int | None = None,
    amended_by_reference: str | None = None,
    effective_on: date | None = None,
) -> ValidityChangeRecord:
    """Mark a published document amended, repealed or expired, with the document that did it;
    `person`, when a person acts, must decide for the document's organ."""
    require_aware(at)
    reason = reason.strip()
    if not reason:
        raise _invalid("validity.reason_required", "reason", "say why the validity changes")
    reference = (amended_by_reference or "").strip() or None
    document = _published(session, document_id, person)
    if amended_by_document_id is not None:
        if amended_by_document_id == document_id:
            raise _invalid(
                "validity.link_self",
                "amended_by_document_id",
                "a document cannot amend or repeal itself",
            )
        if session.get(Document, amended_by_document_id) is None:
            raise _invalid(
                "validity.link_unknown",
                "amended_by_document_id",
                f"amended_by_document_id: document {amended_by_document_id} does not exist",
            )
    current = Validity(document.validity)
    has_link = amended_by_document_id is not None or reference is not None
    findings = check_validity_change(current, to, has_link=has_link)
    if findings:
        raise ValidityChangeRefused("; ".join(f.message for f in findings), findings)
    record = ValidityChangeRecord(
        document_id=document_id,
        from_validity=current,
        to_validity=to,
        reason=reason,
        actor=actor,
        role=role,
        channel=channel,
        amended_by_document_id=amended_by_document_id,
        amended_by_reference=reference,
        effective_on=effective_on or local_date(at),
        recorded_at=at,
    )
    session.add(record)
    document.validity = to.value
    session.add(document)
    session.execute(
        sa.update(Publication)
        .where(col(Publication.document_id) == document_id)
        .values(validity=to.value)
    )
    session.flush()
    _tell_publisher(session, publisher, document, record.effective_on, reference, at)
    record_event(
        session=session,
        actor=actor,
        role=role,
        channel=channel,
        action="validity.changed",
        at=at,
        document_id=document_id,
        before={"validity": current.value},
        after={
            "validity": to.value,
            "amended_by_document_id": amended_by_document_id,
            "amended_by_reference": reference,
            "effective_on": record.effective_on.isoformat(),
        },
        reason=reason,
    )
    return record


def set_valid_until(
    *,
    session: Session,
    document_id: int,
    valid_until: date | None,
    reason: str,
    actor: str,
    role: Role,
    channel: Channel,
    at: datetime,
    publisher: Publisher,
    person: User | None = None,
) -> Document:
    """Set (or clear, with None) the last day a published document is valid (有效期至);
    `person`, when a person acts, must decide for the document's organ."""
    require_aware(at)
    reason = reason.strip()
    if not reason:
        raise _invalid("validity.reason_required", "reason", "say why the end date is set")
    document = _published(session, document_id, person)
    current = Validity(document.validity)
    if current.is_final:
        message = f"the document is already {current.label}; an end date no longer applies"
        raise ValidityChangeRefused(
            message,
            [
                Finding(
                    "validity.final", Severity.BLOCKING, message, ANNOTATION_SOURCE, "valid_until"
                )
            ],
        )
    before = document.valid_until
    document.valid_until = valid_until
    session.add(document)
    session.flush()
    _tell_publisher(session, publisher, document, None, None, at)
    record_event(
        session=session,
        actor=actor,
        role=role,
        channel=channel,
        action="validity.valid_until_set",
        at=at,
        document_id=document_id,
        before={"valid_until": before.isoformat() if before else None},
        after={"valid_until": valid_until.isoformat() if valid_until else None},
        reason=reason,
    )
    return document


def _tell_publisher(
    session: Session,
    publisher: Publisher,
    document: Document,
    effective_on: date | None,
    reference: str | None,
    at: datetime,
) -> None:
    """Send the document's validity and end date, as they now are, for each of its publications
    that is still up; each change has its own key, so a retried send never counts twice."""
    publications = session.exec(
        select(Publication)
        .where(col(Publication.document_id) == document.id)
        .where(~sa.exists().where(col(Withdrawal.publication_id) == col(Publication.id)))
        .order_by(col(Publication.id))
    ).all()
    for publication in publications:
        publisher.amend(
            ValidityPayload(
                index_number=publication.index_number,
                publication_key=publication.idempotency_key,
                validity=document.validity,
                valid_until=document.valid_until.isoformat() if document.valid_until else None,
                effective_on=effective_on.isoformat() if effective_on else None,
                amended_by_reference=reference,
                changed_at=at.isoformat(),
                idempotency_key=f"validity-p{publication.id}-{at.strftime('%Y%m%dT%H%M%S%f')}",
            )
        )


def expire_due(session: Session, at: datetime, *, publisher: Publisher) -> list[int]:
    """Expire every published document whose end date has passed (Shanghai date), once each."""
    today = local_date(require_aware(at))
    due = session.exec(
        select(col(Document.id), col(Document.valid_until))
        .where(
            col(Document.valid_until) < today,
            col(Document.status) == Status.PUBLISHED,
            col(Document.validity).in_((Validity.VALID.value, Validity.AMENDED.value)),
        )
        .order_by(col(Document.id))
    ).all()
    expired: list[int] = []
    for document_id, valid_until in due:
        assert document_id is not None
        assert valid_until is not None
        try:
            change_validity(
                session=session,
                document_id=document_id,
                to=Validity.EXPIRED,
                reason=f"有效期至 {valid_until.isoformat()}，已届满 (domain §10 rule 15)",
                at=at,
                publisher=publisher,
                effective_on=valid_until + timedelta(days=1),
            )
        except (ValidityChangeRefused, NotPublished):
            continue  # changed meanwhile by someone else: nothing left to do
        expired.append(document_id)
    return expired
