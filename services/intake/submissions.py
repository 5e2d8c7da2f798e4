"""What a submission is: the drafter's statements (`Draft`), the received files (`Upload`), the
recorded result (`IntakeResult`), and the draft as the intake checks see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from models.deadlines import Deadline
from models.documents import Document
from models.versions import Version
from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Finding, blocking
from policies.profiles import PolicyProfile, ProfileUnknown, get_profile
from policies.secrecy_levels import SecrecyLevel
from policies.submission_checks import AttachmentKind, Submission
from services.document_queries import VersionRecord
from services.errors import RequestInvalid
from services.storage import StagedFile

SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_RETURNED = "submission.returned"  # 退文
MATERIAL_ADDED = "interpretation.material_added"
_CHECKED_KINDS = frozenset(kind.value for kind in AttachmentKind)
_Row = TypeVar("_Row", Document, Version)


@dataclass(frozen=True, slots=True)
class Draft:
    """What the drafter states about the draft on the submission form."""

    title: str
    organ_id: int
    document_type: DocumentType
    written_on: date  # 成文日期
    policy_profile: str
    attribute: Attribute | None
    doc_number: str | None = None  # 文号
    reason_codes: tuple[str, ...] = ()
    reason_explanation: str = ""
    secrecy_level: SecrecyLevel = SecrecyLevel.NONE
    secrecy_period_years: int | None = None
    declassify_on: date | None = None
    declassify_condition: str = ""
    secrecy_override_reference: str = ""
    is_important_policy: bool = False
    issued_in_government_name: bool = False

    def document_fields(self) -> dict[str, Any]:
        """The columns of the document that the draft states (set again on resubmission)."""
        return {
            "title": self.title,
            "doc_number": self.doc_number,
            "organ_id": self.organ_id,
            "document_type": self.document_type.value,
            "written_on": self.written_on,
            "policy_profile": self.policy_profile,
            "is_important_policy": self.is_important_policy,
            "issued_in_government_name": self.issued_in_government_name,
        }


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file and what it is: "main" or an attachment kind."""

    kind: str
    staged: StagedFile


@dataclass(slots=True)
class IntakeResult:
    """The recorded submission: returned (退文) when blocking findings exist.

    `record` holds the version with its files, marking and recorded findings as written in this
    transaction, so the answer is built without reading them back."""

    document: Document
    record: VersionRecord
    findings: list[Finding]
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def version(self) -> Version:
        """The version recorded by this submission."""
        return self.record.version

    @property
    def returned(self) -> bool:
        """Whether the submission was returned (退文)."""
        return bool(blocking(self.findings))


def profile_named(name: str) -> PolicyProfile:
    """The policy profile of a submission; an unknown name is a malformed request."""
    try:
        return get_profile(name)
    except ProfileUnknown as error:
        raise RequestInvalid(str(error)) from None


def submission_of(draft: Draft, attachment_kinds: set[str]) -> Submission:
    """The draft as the intake checks see it; the engine prints the secrecy mark itself."""
    return Submission(
        attribute=draft.attribute,
        document_type=draft.document_type,
        reason_codes=draft.reason_codes,
        reason_explanation=draft.reason_explanation,
        is_important_policy=draft.is_important_policy,
        issued_in_government_name=draft.issued_in_government_name,
        secrecy_level=draft.secrecy_level,
        secrecy_period_years=draft.secrecy_period_years,
        declassify_on=draft.declassify_on,
        declassify_condition=draft.declassify_condition,
        secrecy_override_reference=draft.secrecy_override_reference,
        has_secrecy_mark=draft.secrecy_level.is_classified,
        attachments=frozenset(AttachmentKind(k) for k in attachment_kinds if k in _CHECKED_KINDS),
    )


def row_id(row: Any) -> int:
    """The primary key of a flushed row (a bug if it has none yet)."""
    assert isinstance(row.id, int), f"{row!r} has no id yet"
    return row.id


def insert_row(session: Session, row: _Row) -> _Row:
    """Write one new row with a single Core INSERT … RETURNING id instead of an ORM flush (the
    unit of work's flush costs far more than the statement), then let the session hold it as a
    persistent row: later changes to it (a document's current version, its status) are flushed
    as updates, and `session.get` finds it without reading it back. Every column is taken from
    the object as constructed (its defaults included), as the ORM would have written it."""
    table = _table_of(type(row))
    values = {column.key: getattr(row, column.key) for column in table.c if column.key != "id"}
    row.id = session.connection().execute(_insert_returning_id(table), values).scalar_one()
    make_transient_to_detached(row)
    session.add(row)
    return row


def insert_rows(session: Session, rows: Sequence[SQLModel]) -> None:
    """Write new rows that this transaction does not change afterwards (a version's marking,
    findings and new deadlines, its audit event) with one Core INSERT per table — executemany for
    several rows — instead of adding them to the session and flushing: the flush's unit of work
    costs more than the statements. In the order given per table, each table in the order it
    first appears (rows may only point to rows written before them). The rows stay outside the
    session and get no id: nothing reads them back in this transaction."""
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for row in rows:
        table = _table_of(type(row))
        values = {column.key: getattr(row, column.key) for column in table.c if column.key != "id"}
        by_table.setdefault(table, []).append(values)
    connection = session.connection()
    for table, values_list in by_table.items():
        connection.execute(_insert(table), values_list)


def set_current_version(session: Session, document: Document, version: Version) -> None:
    """Point the document at its new version with one Core UPDATE, and record the value as the
    session's committed state, so the session does not write it again (no flush of the document
    for this; other pending changes to it are flushed as before)."""
    session.connection().execute(
        _set_current_version(), {"document_id": row_id(document), "version_id": row_id(version)}
    )
    set_committed_value(document, "current_version_id", version.id)


@lru_cache(maxsize=1)
def _set_current_version() -> sa.Update:
    table = _table_of(Document)
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("document_id"))
        .values(current_version_id=sa.bindparam("version_id"))
    )


@lru_cache(maxsize=16)
def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


def _table_of(model: type[Any]) -> sa.Table:
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table)
    return table


@lru_cache(maxsize=8)
def _insert_returning_id(table: sa.Table) -> sa.Insert:
    return sa.insert(table).returning(table.c.id)
