"""Table 三 of the annual report from the engine's applications (domain §10 rule 19): the
database counts the applications alike (applicant type, received in the year or before,
concluded in the year or not, row of table 三 fixed at the reply), the policy fills the cells."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from models.applications import Application
from policies.annual_report import CellKey
from policies.application_report import ApplicationRecord, table_three
from policies.applications import ApplicantType


def application_records(
    session: Session, organ_ids: list[int] | None, year: int
) -> list[ApplicationRecord]:
    """The applications counting in year's table 三 (received by its end, open at its start),
    counted by what the table tells apart; each record stands for `count` applications."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    concluded_on = sa.func.coalesce(col(Application.replied_on), col(Application.abandoned_on))
    new = sa.case((col(Application.received_on) >= first, 1), else_=0).label("new")
    done = sa.case((concluded_on <= last, 1), else_=0).label("done")
    kind = col(Application.applicant_type)
    row = col(Application.report_row)
    statement = (
        sa.select(kind, new, done, row, sa.func.count())
        .where(
            col(Application.received_on) <= last,
            sa.or_(concluded_on.is_(None), concluded_on >= first),
        )
        .group_by(kind, new, done, row)
    )
    if organ_ids is not None:
        statement = statement.where(col(Application.organ_id).in_(organ_ids))
    before = first - timedelta(days=1)
    return [
        ApplicationRecord(
            ApplicantType(applicant_type),
            first if is_new else before,
            last if is_done else None,
            report_row if is_done else None,
            int(count),
        )
        for applicant_type, is_new, is_done, report_row, count in session.execute(statement).all()
    ]


def computed_table_three(
    session: Session, year: int, organ_ids: list[int] | None = None
) -> dict[CellKey, int]:
    """Every cell of table 三 for year, counted from the engine's applications."""
    return table_three(year, application_records(session, organ_ids, year))
