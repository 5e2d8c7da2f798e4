"""SQLModel tables, engine and session plumbing. No rules (style.md)."""

from models.alerts import Alert
from models.annual_reports import AnnualReportImport, AnnualReportMark
from models.applications import (
    Application,
    ApplicationClockEvent,
    ApplicationDelivery,
    ApplicationDocument,
    ApplicationRelease,
)
from models.audit import AuditEvent
from models.calendar import CalendarDayRecord, CalendarYearRecord
from models.chain import ChainLink  # also notes each audit event and decision inserted
from models.deadlines import Deadline
from models.decisions import Decision
from models.documents import Document
from models.files import StoredFile
from models.idempotency import IdempotentResponse
from models.office import WAITING_STATUSES  # the office monitor's indexes (issue 5)
from models.organs import Organ
from models.publications import InterpretationMaterial, Publication, Withdrawal
from models.readings import FileReading
from models.rereviews import Rereview
from models.search import PublicationSearch
from models.stranded import StrandedReview
from models.users import ApiToken, BrowserSession, OneTimeCodeSecret, OrganAssignment, User
from models.validity import ValidityChangeRecord
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from models.workers import RunClaim, WorkerLease

__all__ = [
    "WAITING_STATUSES",
    "Alert",
    "AnnualReportImport",
    "AnnualReportMark",
    "ApiToken",
    "Application",
    "ApplicationClockEvent",
    "ApplicationDelivery",
    "ApplicationDocument",
    "ApplicationRelease",
    "AuditEvent",
    "BrowserSession",
    "CalendarDayRecord",
    "CalendarYearRecord",
    "ChainLink",
    "Deadline",
    "Decision",
    "Document",
    "FileReading",
    "IdempotentResponse",
    "InterpretationMaterial",
    "Marking",
    "OneTimeCodeSecret",
    "Organ",
    "OrganAssignment",
    "Publication",
    "PublicationSearch",
    "RecordedFinding",
    "Rereview",
    "RunClaim",
    "StoredFile",
    "StrandedReview",
    "User",
    "ValidityChangeRecord",
    "Version",
    "VersionAttachment",
    "Withdrawal",
    "WorkerLease",
]
