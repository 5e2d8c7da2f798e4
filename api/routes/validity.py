"""Validity of published documents: mark 已修改 / 已废止 / 已失效, set the validity end date.

The disclosure office (or an admin or signer) records the change; the portal page shows the
annotation and the feeds announce it (seed 004 §二(二); domain §10 rule 15).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, Field

from api.deps import SessionDep, now, require_roles
from api.errors import error_responses
from models.users import User
from policies.roles import Role
from policies.validity import Validity
from services.publication.validity import change_validity, set_valid_until

router = APIRouter(prefix="/documents", tags=["validity"])
Officer = Annotated[User, Depends(require_roles(Role.DISCLOSURE_OFFICE, Role.ADMIN, Role.SIGNER))]
DocumentId = Annotated[int, Path(ge=1)]


class ValidityChangeIn(BaseModel):
    """A change of validity and what caused it."""

    to: Validity = Field(description="amended 已修改, repealed 已废止 or expired 已失效")
    reason: str = Field(min_length=1, max_length=2000, description="why (kept in the audit log)")
    amended_by_document_id: int | None = Field(
        default=None, ge=1, description="the amending/repealing document in this engine"
    )
    amended_by_reference: str | None = Field(
        default=None, max_length=200, description="its 文号 or title, e.g. 麻政发〔2026〕5号"
    )
    effective_on: date | None = Field(default=None, description="default: today (Shanghai)")


class ValidityChangeOut(BaseModel):
    """The recorded change."""

    id: int
    document_id: int
    from_validity: Validity
    to_validity: Validity
    reason: str
    actor: str
    amended_by_document_id: int | None
    amended_by_reference: str | None
    effective_on: date
    recorded_at: datetime


class ValidUntilIn(BaseModel):
    """The last day the document is valid (null clears it)."""

    valid_until: date | None
    reason: str = Field(min_length=1, max_length=2000)


class ValidUntilOut(BaseModel):
    """The document's validity and end date."""

    document_id: int
    validity: Validity
    valid_until: date | None


@router.post(
    "/{document_id}/validity",
    status_code=status.HTTP_201_CREATED,
    response_model=ValidityChangeOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Mark a published document amended, repealed or expired (seed 004 §二(二))",
)
def post_validity(
    document_id: DocumentId, body: ValidityChangeIn, user: Officer, session: SessionDep
) -> ValidityChangeOut:
    """409: the document is not published; 422: the change is not allowed (e.g. a repealed
    document is final) or amend/repeal names no amending document — the findings say which rule
    and source."""
    record = change_validity(
        session=session,
        document_id=document_id,
        to=body.to,
        reason=body.reason,
        actor=user.name,
        role=user.role,
        channel="api",
        at=now(),
        amended_by_document_id=body.amended_by_document_id,
        amended_by_reference=body.amended_by_reference,
        effective_on=body.effective_on,
    )
    assert record.id is not None
    return ValidityChangeOut(
        id=record.id,
        document_id=record.document_id,
        from_validity=record.from_validity,
        to_validity=record.to_validity,
        reason=record.reason,
        actor=record.actor,
        amended_by_document_id=record.amended_by_document_id,
        amended_by_reference=record.amended_by_reference,
        effective_on=record.effective_on,
        recorded_at=record.recorded_at,
    )


@router.put(
    "/{document_id}/valid-until",
    response_model=ValidUntilOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Set the validity end date of a published document (有效期至)",
)
def put_valid_until(
    document_id: DocumentId, body: ValidUntilIn, user: Officer, session: SessionDep
) -> ValidUntilOut:
    """After that day the scheduled expiry marks the document 已失效 (domain §10 rule 15)."""
    document = set_valid_until(
        session=session,
        document_id=document_id,
        valid_until=body.valid_until,
        reason=body.reason,
        actor=user.name,
        role=user.role,
        channel="api",
        at=now(),
    )
    return ValidUntilOut(
        document_id=document_id,
        validity=Validity(document.validity),
        valid_until=document.valid_until,
    )
