"""Impossible states are refused by the database itself, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.documents import Document
from models.versions import Version
from policies.attributes import Attribute
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Stage, Status
from tests.factories import id_of, make_document, make_marking, make_stored_file


def test_classified_marking_that_is_not_withheld_is_refused(session: Session) -> None:
    # 不得将涉及国家秘密的信息公开: 保密法实施条例 2024 art. 5; 条例 art. 14.
    with pytest.raises(sa.exc.IntegrityError, match="classified_is_withheld"):
        make_document(
            session,
            marking={
                "attribute": Attribute.PROACTIVE,
                "secrecy_level": SecrecyLevel.SECRET,
                "secrecy_period_years": 10,
            },
        )


def test_classified_withheld_marking_is_accepted(session: Session) -> None:
    document = make_document(
        session,
        marking={
            "attribute": Attribute.WITHHELD,
            "secrecy_level": SecrecyLevel.SECRET,
            "secrecy_period_years": 10,
            "reason_codes": ["NS-1"],
        },
    )
    assert document.current_version_id is not None


def test_second_file_with_the_same_sha256_is_refused(session: Session) -> None:
    first = make_stored_file(session)
    with pytest.raises(sa.exc.IntegrityError):
        make_stored_file(session, sha256=first.sha256, storage_path="elsewhere")


def test_negative_file_size_is_refused(session: Session) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="size_not_negative"):
        make_stored_file(session, size_bytes=-1)


def _add_version(session: Session, document: Document, number: int) -> None:
    version = Version(
        document_id=id_of(document),
        number=number,
        submitted_by=document.created_by,
        submitted_at=document.created_at,
        main_file_id=id_of(make_stored_file(session)),
        main_file_name="通知.pdf",
    )
    session.add(version)
    session.flush()


def test_version_number_is_unique_per_document(session: Session) -> None:
    document = make_document(session)
    _add_version(session, document, 2)
    with pytest.raises(sa.exc.IntegrityError):
        _add_version(session, document, 2)


def test_version_number_starts_at_one(session: Session) -> None:
    document = make_document(session)
    with pytest.raises(sa.exc.IntegrityError, match="number_positive"):
        _add_version(session, document, 0)


def test_second_marking_for_a_version_is_refused(session: Session) -> None:
    document = make_document(session)
    version = session.get_one(Version, document.current_version_id)
    with pytest.raises(sa.exc.IntegrityError):
        make_marking(session, version=version)


def test_status_outside_its_stage_is_refused(session: Session) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="status_matches_stage"):
        make_document(session, status=Status.PUBLISHED, stage=Stage.INTAKE)


def test_timestamps_come_back_aware_in_utc(session: Session) -> None:
    shanghai = datetime(2025, 3, 3, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    document = make_document(session, created_at=shanghai)
    session.commit()
    session.expire_all()
    stored = session.get_one(Document, document.id)
    assert stored.created_at == shanghai
    assert stored.created_at.utcoffset() == timedelta(0)
