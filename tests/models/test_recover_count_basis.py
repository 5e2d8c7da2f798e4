"""Migration 0009c gives deadlines stored before it their day zero and N (issue 20), so that
entering 2027 recounts them too: recovered from the basis text and the due day."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.calendar import recover_count_basis
from models.deadlines import Deadline
from policies.calendar import SHANGHAI
from policies.deadlines import interpretation_deadline, publication_deadlines, stage_deadline
from policies.profiles import get_profile
from policies.statuses import Status
from services.calendar import calendar_for
from services.review import store_deadline
from tests.factories import id_of, make_document

AT = datetime(2026, 12, 7, 9, tzinfo=SHANGHAI)


def test_day_zero_and_n_are_recovered_for_deadlines_stored_before(
    engine: Engine, session: Session
) -> None:
    national, majiang = get_profile("national"), get_profile("majiang")
    calendar = calendar_for("national", session=session)
    stored = {
        "ceiling": publication_deadlines(AT, national, calendar, formed_on=date(2026, 12, 7))[0],
        "stage": stage_deadline(
            Status.SECRECY_REVIEW, datetime(2026, 12, 28, 10, tzinfo=SHANGHAI), national, calendar
        ),
        "together": interpretation_deadline(AT, majiang, calendar),
    }
    for name, value in stored.items():
        assert value is not None
        document = make_document(
            session, policy_profile="majiang" if name == "together" else "national"
        )
        store_deadline(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            value=value,
            at=AT,
        )
    session.commit()
    with engine.begin() as connection:
        connection.execute(sa.update(Deadline).values(counted_from=None, working_days=None))
        assert recover_count_basis(connection) == 2
    session.expire_all()
    rows = {row.kind: row for row in session.exec(select(Deadline)).all()}
    assert (rows["publication_ceiling"].counted_from, rows["publication_ceiling"].working_days) == (
        date(2026, 12, 7),
        20,
    )
    assert (rows["stage_allowance"].counted_from, rows["stage_allowance"].working_days) == (
        date(2026, 12, 28),
        7,
    )
    assert rows["interpretation"].working_days is None  # with the document: no count
