"""Workers and the runs they execute (issue 24): each serve process holds a lease it renews while
it lives, and each flow-run process claims its run for its worker. A run whose worker's lease has
lapsed is rescheduled; a sibling's live run never is."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_column


class WorkerLease(SQLModel, table=True):
    """One serve process: where it runs and when it last said it was alive."""

    __tablename__ = "worker_leases"

    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = Field(sa_column=utc_column())
    seen_at: datetime = Field(sa_column=utc_column())


class RunClaim(SQLModel, table=True):
    """Which worker last said it executes a flow run, and when (a claim older than the run's
    current state is from an earlier execution and covers nothing)."""

    __tablename__ = "run_claims"

    flow_run_id: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64, index=True)
    claimed_at: datetime = Field(sa_column=utc_column())
