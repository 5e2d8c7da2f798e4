"""Table 三 of the annual report from the engine's applications (domain §10 rule 19)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, or_, select

from models.applications import Application
from policies.annual_report import CellKey
from policies.application_replies import ReplyType, report_row
from policies.application_report import ApplicationRecord, table_three


def application_records(
    session: Session, organ_ids: list[int] | None, year: int
) -> list[ApplicationRecord]:
    """The applications that count in year's table 三 (received by its end, open at its start)."""
    statement = select(Application).where(
        col(Application.received_on) <= date(year, 12, 31),
        or_(
            col(Application.replied_on).is_(None),
            col(Application.replied_on) >= date(year, 1, 1),
        ),
    )
    if organ_ids is not None:
        statement = statement.where(col(Application.organ_id).in_(organ_ids))
    records = []
    for a in session.exec(statement).all():
        row = (
            report_row(ReplyType(a.reply_type), a.sub_reason, list(a.reason_codes))
            if a.reply_type
            else None
        )
        concluded = a.replied_on if a.replied_on else a.abandoned_on
        if a.reply_type is None and a.abandoned_on is not None:
            row = "三(六)"  # abandoned (art. 30): no reply type of art. 36, counted as 其他处理
        records.append(ApplicationRecord(a.applicant_type, a.received_on, concluded, row))
    return records


def computed_table_three(
    session: Session, year: int, organ_ids: list[int] | None = None
) -> dict[CellKey, int]:
    """Every cell of table 三 for year, counted from the engine's applications."""
    return table_three(year, application_records(session, organ_ids, year))
