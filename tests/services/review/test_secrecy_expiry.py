"""Secrecy-period expiry creates exactly one re-review and publishes nothing (保密法 2024 arts.
20, 24; 实施条例 2024 art. 19 ¶2; domain §10 rule 10), on both databases."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.documents import Document
from models.publications import Publication
from models.rereviews import Rereview
from policies.attributes import Attribute
from policies.calendar import SHANGHAI, end_of_day
from policies.classification import Classification
from policies.deadlines import secrecy_expiry_deadline
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from services.review import create_expiry_rereviews, store_deadline
from tests.factories import id_of, make_document


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def classified(session: Session, classification: Classification, written_on: date) -> Document:
    """A filed 秘密 document with the expiry deadline intake stores for it."""
    document = make_document(
        session,
        status=Status.FILED,
        written_on=written_on,
        document_type="notice",
        marking={
            "attribute": Attribute.WITHHELD,
            "marking_text": Attribute.WITHHELD.marking,
            "secrecy_level": classification.level,
            "secrecy_period_years": classification.period_years,
            "declassify_on": classification.declassify_on,
            "reason_codes": ["NS-1"],
        },
    )
    value = secrecy_expiry_deadline(written_on, classification)
    assert value is not None
    store_deadline(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        value=value,
        at=_at(2016, 3, 1),
    )
    session.commit()
    return document


def tasks(session: Session, document: Document) -> list[Rereview]:
    return list(session.exec(select(Rereview).where(col(Rereview.document_id) == document.id)))


def run(session: Session, at: datetime) -> int:
    created = create_expiry_rereviews(session, at=at)
    session.commit()
    return len(created)


def test_an_expired_secrecy_period_creates_exactly_one_task(session: Session) -> None:
    # 秘密★10年 from the 制发日 2016-03-01: the period ends at 24:00 2026-03-01.
    document = classified(
        session, Classification(SecrecyLevel.SECRET, period_years=10), date(2016, 3, 1)
    )
    assert run(session, _at(2026, 3, 1, 23, 59)) == 0
    assert run(session, _at(2026, 3, 2)) == 1
    assert run(session, _at(2026, 3, 2)) == 0
    assert run(session, _at(2027, 1, 1)) == 0
    [task] = tasks(session, document)
    assert (task.kind, task.status, task.cycle) == ("secrecy_expiry", "open", "2026-03-01")
    assert task.due_at == end_of_day(date(2026, 3, 1))
    assert "保密法 2024" in task.basis
    assert task.version_id == document.current_version_id
    # 自行解密 is not publication: the document stays filed, nothing is published.
    session.refresh(document)
    assert document.status is Status.FILED
    published = select(Publication).where(col(Publication.document_id) == document.id)
    assert session.exec(published).all() == []
    deadline = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document.id, col(Deadline.kind) == "secrecy_expiry"
        )
    ).one()
    assert deadline.met_at == _at(2026, 3, 2)


def test_a_declassification_date_before_the_period_end_triggers_the_task(
    session: Session,
) -> None:
    # 保密法 2024 art. 20 ¶3: a 解密时间 set on the document.
    document = classified(
        session,
        Classification(SecrecyLevel.SECRET, period_years=10, declassify_on=date(2020, 6, 1)),
        date(2016, 3, 1),
    )
    assert run(session, _at(2020, 6, 1, 12)) == 0
    assert run(session, _at(2020, 6, 2, 0, 1)) == 1
    [task] = tasks(session, document)
    assert task.cycle == "2020-06-01"
