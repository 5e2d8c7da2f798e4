"""Applications for government information (依申请公开, 条例 arts. 27–45): the application, its
clock events and the documents the office links to it. The applicant's personal data lives in
these rows only and is shown to the disclosure office alone (services.applications)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import empty_list, enum_column, json_list_column, utc_column
from models.checks import enum_check
from policies.application_clock import ClockEventKind, ConsultedParty
from policies.application_replies import ReplyType
from policies.application_steps import ApplicationStep
from policies.applications import ApplicantType, Channel


class Application(SQLModel, table=True):
    """One application: to which organ, how and when received (art. 31), from whom (art. 29),
    for what, its fee (art. 42), and its reply (art. 36) once made."""

    __tablename__ = "applications"
    __table_args__ = (
        # Duplicates, double clicks and retries: one application per fingerprint (services).
        sa.UniqueConstraint("fingerprint"),
        sa.UniqueConstraint("number"),
        sa.Index("ix_applications_applicant_month", "applicant_key", "received_on"),
        sa.Index("ix_applications_organ_received", "organ_id", "received_on"),
        enum_check("reply_type", ReplyType),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64)  # 申请编号, e.g. 依申请〔2026〕12号
    organ_id: int = Field(foreign_key="organs.id")
    policy_profile: str = Field(max_length=64)  # the profile its clock and letter follow
    channel: Channel = Field(sa_column=enum_column(Channel, "channel"))
    received_on: date  # 条例 art. 31: the day the application counts as received
    registered_at: datetime = Field(sa_column=utc_column())
    registered_by: int | None = Field(default=None, foreign_key="users.id")  # None: online
    fingerprint: str = Field(max_length=64)  # sha256 of who, what and when
    applicant_type: ApplicantType = Field(sa_column=enum_column(ApplicantType, "applicant_type"))
    applicant_key: str = Field(max_length=64)  # sha256 of type and ID number: fees, rate limits
    applicant_name: str = Field(max_length=200)
    applicant_id_number: str = Field(max_length=100)
    contact: str = Field(max_length=500)
    address: str | None = Field(default=None, max_length=500)
    description: str = Field(sa_type=sa.Text)
    requested_form: str = Field(max_length=500)
    # 条例 art. 44 ¶2: the applicant proposes the information for proactive disclosure.
    proposes_proactive: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    nth_in_month: int  # the applicant's nth application to this organ in the natural month
    fee_yuan: int  # 条例 art. 42; 国办函〔2020〕109号
    reply_type: str | None = Field(default=None, max_length=32)
    sub_reason: str | None = Field(default=None, max_length=16)
    reason_codes: list[str] = Field(default_factory=empty_list, sa_column=json_list_column())
    reply_explanation: str | None = Field(default=None, sa_type=sa.Text)
    reply_number: str | None = Field(default=None, max_length=64)  # 答复书文号
    replied_on: date | None = None  # concluded: counted in table 三 of that year
    report_row: str | None = Field(default=None, max_length=16)  # its row of table 三
    replied_by: int | None = Field(default=None, foreign_key="users.id")
    abandoned_on: date | None = None  # art. 30: no supplement by the stated time
    step: ApplicationStep = Field(
        default=ApplicationStep.COMPLETENESS, sa_column=enum_column(ApplicationStep, "step")
    )
    actions: int = 0  # actions recorded: the flow's waits are keyed by it
    # The Prefect run handling it once started; None: the sweep of unstarted runs starts it.
    flow_run_id: str | None = Field(default=None, max_length=64)
    extension_requested_days: int | None = None  # waiting for the head (条例 art. 33 ¶2)
    # A reply that releases files waits for the secrecy review of exactly those files.
    proposed_reply: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )


class ApplicationClockEvent(SQLModel, table=True):
    """One event on an application's clock (条例 arts. 30–34), appended, never changed."""

    __tablename__ = "application_clock_events"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="applications.id", index=True)
    kind: ClockEventKind = Field(sa_column=enum_column(ClockEventKind, "kind"))
    occurred_on: date
    days: int | None = None
    until: date | None = None
    party: ConsultedParty | None = Field(
        default=None, sa_column=enum_column(ConsultedParty, "party", nullable=True)
    )
    consultation: str | None = Field(default=None, max_length=100)
    approved_by_head: bool = False
    recorded_by: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(sa_column=utc_column())


class ApplicationDocument(SQLModel, table=True):
    """A document of the engine the office identified as what an application asks for."""

    __tablename__ = "application_documents"

    application_id: int = Field(foreign_key="applications.id", primary_key=True)
    document_id: int = Field(foreign_key="documents.id", primary_key=True, index=True)
    linked_by: int = Field(foreign_key="users.id")
    linked_at: datetime = Field(sa_column=utc_column())


ReleaseStatus = Literal["pending", "approved", "refused"]


class ApplicationRelease(SQLModel, table=True):
    """One file proposed for release to an applicant, and the secrecy reviewer's decision on
    exactly that file (for 部分公开 the redacted file): 先审查、后公开 (条例 art. 17)."""

    __tablename__ = "application_releases"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "file_id"),
        enum_check("status", get_args(ReleaseStatus)),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="applications.id", index=True)
    document_id: int = Field(foreign_key="documents.id")
    version_id: int = Field(foreign_key="versions.id")
    file_id: int = Field(foreign_key="stored_files.id")
    file_name: str = Field(max_length=255)
    attribute: str = Field(max_length=16)  # the version's attribute when proposed
    status: str = Field(default="pending", max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason_codes: list[str] = Field(default_factory=empty_list, sa_column=json_list_column())
    comment: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_column=utc_column())


class ApplicationDelivery(SQLModel, table=True):
    """The link the released files are delivered by: scoped to one application, expiring, each
    use logged (only the token's sha256 is kept)."""

    __tablename__ = "application_deliveries"
    __table_args__ = (sa.CheckConstraint("length(token_hash) = 64", name="token_hash_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="applications.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    uses: int = 0
