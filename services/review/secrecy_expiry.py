"""Secrecy-period expiry: when 制发日 + 保密期限 ends or the 解密时间 is reached, a disclosure
re-review task is created, once (保密法 2024 arts. 20, 24; 实施条例 2024 art. 19 ¶2; domain §10
rule 10). Expiry means 自行解密, not publication: nothing is published or changed here.

The due instants are the `secrecy_expiry` deadlines stored at intake from the marking's 保密期限
and 解密时间 (services/intake/registration.py); a 解密条件 alone sets none, since whether it is met
is a person's finding. Creating the task meets the deadline, so the office no longer counts it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.base import id_of
from models.deadlines import Deadline
from models.documents import Document
from models.rereviews import Rereview
from policies.deadlines import DeadlineKind
from policies.windows import cycle_of
from services.review.rereviews import add_rereviews, new_rereview
from services.timestamps import require_aware


def create_expiry_rereviews(session: Session, *, at: datetime) -> list[Rereview]:
    """One secrecy_expiry re-review per document whose secrecy period ended by `at`."""
    require_aware(at)
    rows = session.exec(
        select(Deadline, Document)
        .join(Document, col(Document.id) == col(Deadline.document_id))
        .where(
            col(Deadline.met_at).is_(None),  # ix_deadlines_open (met_at, due_at)
            col(Deadline.due_at) <= at,
            col(Deadline.kind) == DeadlineKind.SECRECY_EXPIRY.value,
        )
        .order_by(col(Deadline.due_at), col(Deadline.id))
    ).all()
    due_now: list[Rereview] = []
    for deadline, document in rows:
        version_id = deadline.version_id or document.current_version_id
        if version_id is None:
            continue
        due_now.append(
            new_rereview(
                document_id=id_of(document),
                version_id=version_id,
                kind="secrecy_expiry",
                cycle=cycle_of(deadline.due_at),
                due_at=deadline.due_at,
                basis=deadline.basis,
                at=at,
            )
        )
        deadline.met_at = at  # the task exists: the deadline's trigger is handled
        session.add(deadline)
    created = add_rereviews(session, due_now, at=at)
    session.flush()
    return created
