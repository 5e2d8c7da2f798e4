"""Review runs that ended (Failed, Crashed, Cancelled, Completed) while their document waited at
a human step: found by the scheduled check, listed for the office, closed when the office
restarts the review (issue 21)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_column


class StrandedReview(SQLModel, table=True):
    """One ended review run of a waiting document, and the restart that replaced it."""

    __tablename__ = "stranded_reviews"

    flow_run_id: str = Field(primary_key=True, max_length=64)
    document_id: int = Field(foreign_key="documents.id", index=True)
    version_id: int = Field(foreign_key="versions.id")
    waiting_status: str = Field(max_length=64)  # the status of the human step it waited at
    run_state: str = Field(
        max_length=32
    )  # FAILED, CRASHED, CANCELLED or COMPLETED, as Prefect said
    detected_at: datetime = Field(sa_column=utc_column())
    restarted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    restarted_by: str | None = Field(default=None, max_length=100)
    restart_flow_run_id: str | None = Field(default=None, max_length=64)
