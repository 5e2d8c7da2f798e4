"""Material sent after intake, before the portal shows it: the secrecy reviewer's queue with the
pre-screen evidence, and their decision (approve: the portal may show it; return: never shown).
先审查、后公开 (条例 art. 17; issue 21)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ReadSessionDep, SessionDep, SettingsDep, now, require_roles
from api.errors import error_responses
from api.review_resumer import end_material_run
from api.review_starter import material_run_key
from api.schemas import Instant, MaterialOut
from models.users import User
from policies.roles import Role
from services.review import DEFAULT_TERMS
from services.review.materials import decide_material, pending_materials

router = APIRouter(prefix="/materials", tags=["review"])
SecrecyReviewer = Annotated[User, Depends(require_roles(Role.SECRECY_REVIEWER))]
Viewer = Annotated[
    User, Depends(require_roles(Role.SECRECY_REVIEWER, Role.DISCLOSURE_OFFICE, Role.ADMIN))
]


class PendingMaterialOut(MaterialOut):
    """A material awaiting secrecy review, with what the pre-screen found in its text."""

    document_id: int
    evidence: list[dict[str, Any]]
    extraction_problem: str | None


class MaterialDecisionIn(BaseModel):
    """The secrecy reviewer's decision on one material."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return"]
    reason_codes: list[str] = Field(default_factory=list, examples=[["NS-4"]])
    comment: str = Field(default="", max_length=4000)


class MaterialDecisionOut(BaseModel):
    """The decision as recorded."""

    id: int
    material_id: int
    document_id: int
    decision: str
    decided_by: int | None
    decided_at: Instant


@router.get(
    "/pending",
    response_model=list[PendingMaterialOut],
    responses=error_responses(401, 403),
    summary="Material sent after intake awaiting secrecy review, with its pre-screen evidence",
)
def list_pending(
    user: Viewer,
    session: ReadSessionDep,
    settings: SettingsDep,
    document_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[PendingMaterialOut]:
    """Oldest first; each material pre-screened (locations of IDs, marks, listed terms)."""
    found = pending_materials(
        session=session,
        files_dir=settings.files_dir,
        terms=DEFAULT_TERMS,
        document_id=document_id,
    )
    return [
        PendingMaterialOut.model_validate(
            MaterialOut.of(item.material, item.file).model_dump()
            | {
                "document_id": item.material.document_id,
                "evidence": [
                    {
                        "kind": e.kind.value,
                        "line": e.line,
                        "column": e.column,
                        "text": e.text,
                        "finding": e.to_finding().message,
                    }
                    for e in item.evidence
                ],
                "extraction_problem": item.extraction_problem,
            }
        )
        for item in found
    ]


@router.post(
    "/{material_id}/decision",
    status_code=status.HTTP_201_CREATED,
    response_model=MaterialDecisionOut,
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Approve (the portal may show it) or return a material sent after intake",
)
async def decide(
    material_id: Annotated[int, Path(ge=1)],
    body: MaterialDecisionIn,
    user: SecrecyReviewer,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> MaterialDecisionOut:
    """409: already decided (or sent with a version, reviewed with it); 403: not a secrecy
    reviewer, or the document's drafter (回避); 422: a return without reasons, unknown codes."""
    row = await run_in_threadpool(
        lambda: decide_material(
            session=session,
            material_id=material_id,
            reviewer=user,
            decision=body.decision,
            reason_codes=body.reason_codes,
            comment=body.comment,
            at=now(),
        )
    )
    assert row.id is not None
    # After the commit: the material's waiting run (the Prefect UI door) sees the decision, ends.
    run_input = {"decision": body.decision, "reviewer": user.name, "comment": body.comment}
    background.add_task(end_material_run, settings, material_run_key(material_id), run_input)
    return MaterialDecisionOut(
        id=row.id,
        material_id=material_id,
        document_id=row.document_id,
        decision=row.kind,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
