"""Material sent after intake passes secrecy review before the portal shows it (先审查、后公开,
条例 art. 17; issue 21): it is pre-screened, a secrecy reviewer approves or returns it, and the
decision is recorded (decisions, audit) like every other. Approving interpretation material
meets the document's 3-working-day interpretation deadline (seeds 002, 004; domain §10 rule 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models.db import id_of
from models.deadlines import Deadline
from models.decisions import Channel, Decision
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Version, VersionAttachment
from policies.deadlines import DeadlineKind
from policies.legal_reasons import REASONS
from policies.prescreen import Evidence
from policies.roles import Role
from policies.steps import DecisionKind
from services.accounts import decides_for_organ
from services.audit import record_act
from services.errors import Conflict, NotFound
from services.reading.detectors import prescreen
from services.reading.limits import ReadingLimits
from services.reading.store import file_text
from services.review.decisions import DecisionInvalid, NotAllowed
from services.stored_content import StoredContentAltered, StoredContentMissing

MATERIAL_STEP = "material_review"  # the step name its decisions are recorded under
MATERIAL_CLEARED = "interpretation.material_cleared"
MATERIAL_REFUSED = "interpretation.material_refused"
MATERIAL_CHOICES = (DecisionKind.APPROVE.value, DecisionKind.RETURN.value)


@dataclass(frozen=True, slots=True)
class MaterialForReview:
    """A material awaiting the secrecy reviewer, with its pre-screen evidence."""

    material: InterpretationMaterial
    file: StoredFile
    evidence: list[Evidence]
    extraction_problem: str | None


def is_pending(session: Session, material: InterpretationMaterial) -> bool:
    """Sent after intake and not yet decided by a secrecy reviewer."""
    if material.review_decision_id is not None or material.cleared_at is not None:
        return False
    attached = session.exec(
        select(VersionAttachment.file_id)
        .join(Version, col(Version.id) == col(VersionAttachment.version_id))
        .where(
            col(Version.document_id) == material.document_id,
            col(VersionAttachment.file_id) == material.file_id,
        )
    ).first()
    return attached is None


def prescreen_material(
    stored: StoredFile,
    *,
    session: Session,
    files_dir: Path,
    terms: tuple[str, ...],
    at: datetime | None = None,
    limits: ReadingLimits | None = None,
) -> tuple[list[Evidence], str | None]:
    """The pre-screen evidence in the material's text (read once and kept when `at` is given),
    and what a reviewer must read by eye (limits reached, pages OCR could not read). Bytes that
    are gone, or no longer those received, yield no evidence and say so: the reviewer returns
    the material, and the list it stands in still answers."""
    try:
        read = file_text(
            session=session, file_id=id_of(stored), files_dir=files_dir, at=at, limits=limits
        )
    except (StoredContentAltered, StoredContentMissing) as error:
        return [], error.message
    problems = [f.message for f in read.findings if f.is_blocking]
    return prescreen(read.text, terms=terms), "; ".join(problems) or None


def pending_materials(
    *, session: Session, files_dir: Path, terms: tuple[str, ...], document_id: int | None = None
) -> list[MaterialForReview]:
    """Materials awaiting secrecy review, oldest first, each pre-screened."""
    statement = (
        select(InterpretationMaterial, StoredFile)
        .join(StoredFile, col(StoredFile.id) == col(InterpretationMaterial.file_id))
        .where(
            col(InterpretationMaterial.review_decision_id).is_(None),
            col(InterpretationMaterial.cleared_at).is_(None),
        )
        .order_by(col(InterpretationMaterial.received_at), col(InterpretationMaterial.id))
    )
    if document_id is not None:
        statement = statement.where(col(InterpretationMaterial.document_id) == document_id)
    found = []
    for material, stored in session.exec(statement).all():
        if is_pending(session, material):
            evidence, problem = prescreen_material(
                stored, session=session, files_dir=files_dir, terms=terms
            )
            found.append(MaterialForReview(material, stored, evidence, problem))
    return found


def material_files(*, session: Session, material_id: int) -> list[int]:
    """The file `material_for_review` reads: the material's, while it awaits review."""
    material = session.get(InterpretationMaterial, material_id)
    if material is None or not is_pending(session, material):
        return []
    return [material.file_id]


def material_for_review(
    *,
    session: Session,
    material_id: int,
    files_dir: Path,
    terms: tuple[str, ...],
    at: datetime | None = None,
    limits: ReadingLimits | None = None,
) -> MaterialForReview | None:
    """The material with its pre-screen evidence while it awaits review; None once decided.
    With `at` its reading is kept (the review run); without, a read-only caller's."""
    material = session.get(InterpretationMaterial, material_id)
    if material is None:
        raise NotFound(f"material {material_id} does not exist")
    if not is_pending(session, material):
        return None
    stored = session.get(StoredFile, material.file_id)
    assert stored is not None
    evidence, problem = prescreen_material(
        stored, session=session, files_dir=files_dir, terms=terms, at=at, limits=limits
    )
    return MaterialForReview(material, stored, evidence, problem)


def _check_reviewer(session: Session, document: Document, reviewer: User) -> None:
    if reviewer.role is not Role.SECRECY_REVIEWER:
        raise NotAllowed(
            f"material is cleared by role '{Role.SECRECY_REVIEWER}', not '{reviewer.role}'"
        )
    if not decides_for_organ(session=session, user=reviewer, organ_id=document.organ_id):
        raise NotAllowed(
            f"{reviewer.login} is not assigned to the organ of document {document.id}; an "
            "administrator assigns organs with `gongkai assign-organ`"
        )
    drafters = session.exec(
        select(Version.submitted_by).where(col(Version.document_id) == document.id)
    ).all()
    if reviewer.id == document.created_by or reviewer.id in drafters:
        raise NotAllowed(f"{reviewer.name} drafted this document and may not review it (回避)")


def has_cleared_material(*, session: Session, document_id: int) -> bool:
    """Whether 解读材料 sent after intake was cleared already (the 3 WD deadline is then met as
    the document is published)."""
    cleared = session.exec(
        select(InterpretationMaterial.id).where(
            col(InterpretationMaterial.document_id) == document_id,
            col(InterpretationMaterial.kind) == "interpretation_material",
            col(InterpretationMaterial.cleared_at).is_not(None),
        )
    ).first()
    return cleared is not None


def _meet_interpretation_deadline(session: Session, document_id: int, at: datetime) -> None:
    deadline = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document_id,
            col(Deadline.kind) == DeadlineKind.INTERPRETATION,
            col(Deadline.met_at).is_(None),
        )
    ).first()
    if deadline is not None:
        deadline.met_at = at
        session.add(deadline)


def decide_material(
    *,
    session: Session,
    material_id: int,
    reviewer: User,
    decision: str,
    at: datetime,
    channel: Channel = "api",
    reason_codes: list[str] | None = None,
    comment: str = "",
) -> Decision:
    """A secrecy reviewer approves the material (the portal may show it) or returns it (it is
    never shown); recorded once, as a decision and an audit event."""
    codes = list(reason_codes or [])
    material = session.get(InterpretationMaterial, material_id, with_for_update=True)
    if material is None:
        raise NotFound(f"material {material_id} does not exist")
    if not is_pending(session, material):
        raise Conflict(f"material {material_id} is not awaiting secrecy review")
    document = session.get(Document, material.document_id)
    assert document is not None
    assert document.current_version_id is not None
    _check_reviewer(session, document, reviewer)
    if decision not in MATERIAL_CHOICES:
        raise DecisionInvalid(f"'{decision}' is not a decision on material; choose approve, return")
    unknown = [code for code in codes if code not in REASONS]
    if unknown:
        raise DecisionInvalid(f"unknown reason codes {unknown}; use codes from the catalogue")
    if decision == DecisionKind.RETURN and not (codes or comment.strip()):
        raise DecisionInvalid("a return (退文) needs reasons: give reason codes or a comment")
    attempt = session.exec(
        select(func.count())
        .select_from(Decision)
        .where(
            col(Decision.document_id) == document.id,
            col(Decision.version_id) == document.current_version_id,
            col(Decision.step) == MATERIAL_STEP,
        )
    ).one()
    row = Decision(
        document_id=material.document_id,
        version_id=document.current_version_id,
        step=MATERIAL_STEP,
        attempt=int(attempt) + 1,
        kind=decision,
        reason_codes=codes,
        comment=comment or None,
        decided_by=reviewer.id,
        role=reviewer.role,
        channel=channel,
        decided_at=at,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"material {material_id} was decided concurrently") from exc
    material.review_decision_id = row.id
    approved = decision == DecisionKind.APPROVE
    if approved:
        material.cleared_at = at
        if material.kind == "interpretation_material":
            _meet_interpretation_deadline(session, material.document_id, at)
    session.add(material)
    record_act(
        session=session,
        person=reviewer,
        action=MATERIAL_CLEARED if approved else MATERIAL_REFUSED,
        channel=channel,
        document_id=material.document_id,
        version_id=document.current_version_id,
        after={"material_id": material_id, "file_id": material.file_id, "decision_id": row.id},
        reason="; ".join([*codes, comment]) or None,
        at=at,
    )
    session.flush()
    return row
