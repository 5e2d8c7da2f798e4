"""Publication (网上公开) of a signed-off version through a publisher, once per version.

The publication row is what the public portal (/portal) shows; the default publisher keeps a
JSON copy of each publication (JsonFileSink). A government CMS can be plugged in instead through
the Publisher interface (WebhookSink). Publishing is once per version: the row's idempotency key
is unique, a version that has a row is never sent again, and a delivery that is retried (network
error, 5xx, or a task retried after a lost commit) carries the same Idempotency-Key, so the CMS
stores it once. The record carries the metadata of 条例 art. 12 ¶3 and the validity (有效性,
seed 000; domain §10 rule 14).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import httpx
from sqlmodel import Session, col, select

from models.deadlines import Deadline
from models.decisions import Decision
from models.files import StoredFile
from models.organs import Organ
from models.publications import Publication
from models.versions import Marking, Version, VersionAttachment
from policies.attributes import Attribute
from policies.deadlines import interpretation_deadline
from policies.profiles import InterpretationMode, get_profile
from policies.statuses import Status
from policies.steps import DecisionKind, Step
from services.calendar import calendar_for
from services.documents import get_marking, version_in_status
from services.errors import DomainError, NotFound, Unavailable
from services.publication.search_index import index_publication
from services.reading.limits import ReadingLimits
from services.reading.store import file_text
from services.review import (
    change_status,
    has_interpretation_material,
    needs_interpretation,
    require_current_version,
    store_deadline,
)
from services.review.materials import has_cleared_material
from services.review.printed import printed_text_findings
from services.stored_content import check_path

logger = logging.getLogger("gongkai.publication")
SUMMARY_CHARS = 120  # 内容概述 (条例 art. 12 ¶3): the opening of the published text
PublisherKind = Literal["portal", "webhook"]


class PublicationRefused(DomainError):
    """The version cannot be published (attribute, missing redacted version, wrong status)."""


@dataclass(frozen=True)
class PublicationPayload:
    """What is sent to the portal: 索引号, 名称, 生成日期, 发布机构, 属性 and 有效性."""

    index_number: str
    title: str
    doc_number: str | None
    written_on: str
    organ: str
    attribute: str
    marking_text: str
    validity: str
    file_id: int
    published_at: str
    idempotency_key: str
    summary: str | None = None
    # The published file's content as recorded and reviewed: whoever fetches the bytes (a CMS,
    # an archive taking the copy) checks them against it.
    file_sha256: str | None = None


@dataclass(frozen=True)
class WithdrawalPayload:
    """What is sent when a publication is withdrawn (撤回): the publication it takes down (its
    索引号 and key) and the notice shown in its place; `kind` tells it from a publication."""

    index_number: str
    publication_key: str
    notice: str
    withdrawn_at: str
    idempotency_key: str
    kind: str = "withdrawal"


@dataclass(frozen=True)
class ValidityPayload:
    """What is sent when a published document's validity (有效性) or its end date (有效期至)
    changes: the publication it concerns (its 索引号 and key) and what it now shows; `kind`
    tells it from a publication and a withdrawal."""

    index_number: str
    publication_key: str
    validity: str
    valid_until: str | None
    effective_on: str | None  # when an amendment, repeal or expiry takes effect
    amended_by_reference: str | None
    changed_at: str
    idempotency_key: str
    kind: str = "validity"


class Publisher(Protocol):
    """Puts a payload where the public can see it, keeps its validity up to date, and takes it
    down again when it is withdrawn; sending the same key twice is a no-op."""

    name: str

    def publish(self, payload: PublicationPayload) -> None:
        """Publish (or re-publish identically) the payload."""

    def withdraw(self, payload: WithdrawalPayload) -> None:
        """Take the publication down (or confirm it is down) and show the notice instead."""

    def amend(self, payload: ValidityPayload) -> None:
        """Show the publication's new validity and end date."""


class JsonFileSink:
    """The default publisher ("portal"): the publication row that publish_version writes is what
    /portal shows; this sink keeps the payload as one JSON file per version under
    <data_dir>/portal, the copy handed to archives and libraries (条例 art. 25 ¶3)."""

    name = "portal"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, idempotency_key: str) -> Path:
        """The file a publication is written to."""
        return self.directory / f"{idempotency_key}.json"

    def publish(self, payload: PublicationPayload) -> None:
        """Write the payload atomically; an existing file for the key is left as it is."""
        self._write(payload.idempotency_key, asdict(payload))

    def withdraw(self, payload: WithdrawalPayload) -> None:
        """Write the withdrawal beside the publication's copy (<key>.json), so that whoever
        took the copy learns it is withdrawn."""
        self._write(payload.idempotency_key, asdict(payload))

    def amend(self, payload: ValidityPayload) -> None:
        """Write the validity change beside the publication's copy, so that whoever took the
        copy learns it is amended, repealed or expired."""
        self._write(payload.idempotency_key, asdict(payload))

    def _write(self, key: str, content: dict[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(key)
        if target.exists():
            return
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(content, ensure_ascii=False, indent=2), "utf-8")
        os.replace(temporary, target)


class PublicationDeliveryRefused(DomainError):
    """The CMS answered 4xx: the payload or the credentials are wrong; retrying will not help."""


class PublicationDeliveryFailed(Unavailable):
    """The CMS could not be reached or kept failing (5xx) after every retry; nothing recorded."""


class WebhookSink:
    """POSTs the payload as JSON to a government CMS with `Idempotency-Key: <key>`.

    Network errors and 5xx answers are retried with exponential backoff; a 4xx is a clear
    failure. The key is the publication's, so a retried delivery never publishes twice.
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    def publish(self, payload: PublicationPayload) -> None:
        """Deliver the payload; raise PublicationDeliveryRefused/Failed if it was not accepted."""
        self._deliver(asdict(payload), payload.idempotency_key, payload.index_number)

    def withdraw(self, payload: WithdrawalPayload) -> None:
        """Deliver the withdrawal (its `kind` is "withdrawal"), as a publication is delivered."""
        self._deliver(asdict(payload), payload.idempotency_key, payload.index_number)

    def amend(self, payload: ValidityPayload) -> None:
        """Deliver the validity change (its `kind` is "validity"), as a publication is."""
        self._deliver(asdict(payload), payload.idempotency_key, payload.index_number)

    def _deliver(self, body: dict[str, object], key: str, index_number: str) -> None:
        headers = {"Idempotency-Key": key}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.is_success:
                    return
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.is_client_error:
                    raise PublicationDeliveryRefused(
                        f"the CMS at {self.url} refused {index_number}: {problem}"
                    )
            logger.warning(
                "delivery of %s failed (attempt %d): %s", index_number, attempt + 1, problem
            )
        raise PublicationDeliveryFailed(
            f"the CMS at {self.url} did not accept {index_number} after "
            f"{self.retries + 1} attempts: {problem}"
        )


class PublisherSettings(Protocol):
    """The settings that name the publisher (config.settings.Settings has them)."""

    @property
    def publisher(self) -> PublisherKind: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def publisher_webhook_url(self) -> str | None: ...
    @property
    def publisher_webhook_timeout_seconds(self) -> float: ...
    @property
    def publisher_webhook_retries(self) -> int: ...


def configured_publisher(settings: PublisherSettings) -> Publisher:
    """The publisher the settings name: the portal (default) or a CMS webhook."""
    return make_publisher(
        settings.publisher,
        portal_dir=settings.data_dir / "portal",
        webhook_url=settings.publisher_webhook_url,
        timeout=settings.publisher_webhook_timeout_seconds,
        retries=settings.publisher_webhook_retries,
    )


def make_publisher(
    kind: PublisherKind,
    *,
    portal_dir: Path,
    webhook_url: str | None = None,
    timeout: float = 10.0,
    retries: int = 3,
) -> Publisher:
    """The configured publisher: the portal (default) or a CMS webhook."""
    if kind == "webhook":
        if not webhook_url:
            raise ValueError("the webhook publisher needs a URL")
        return WebhookSink(webhook_url, timeout=timeout, retries=retries)
    return JsonFileSink(portal_dir)


def summarise(text: str) -> str | None:
    """内容概述: the opening of the text with whitespace folded, at most SUMMARY_CHARS long."""
    folded = " ".join(text.split())
    if not folded:
        return None
    return folded if len(folded) <= SUMMARY_CHARS else folded[: SUMMARY_CHARS - 1] + "…"


def _check_printed(
    session: Session,
    file_id: int,
    marking: Marking,
    files_dir: Path,
    at: datetime,
    limits: ReadingLimits | None,
) -> str | None:
    """The published file must print its record's marking and 密级 (rules 3, 9(d)): refused
    otherwise; its 内容概述 from the text kept when it was first read (never read again)."""
    read = file_text(session=session, file_id=file_id, files_dir=files_dir, at=at, limits=limits)
    refusals = [f for f in printed_text_findings(read, marking) if f.is_blocking]
    if refusals:
        raise PublicationRefused(
            "the published file must carry its record's marking and 密级: "
            + "; ".join(f.message for f in refusals)
        )
    return summarise(read.text)  # None: the portal shows the title instead


def publication_key(version_id: int) -> str:
    """The idempotency key of a version's publication."""
    return f"publication-v{version_id}"


def _published_file(session: Session, version: Version, attribute: Attribute) -> int:
    if not attribute.publishes_redacted_version:
        return version.main_file_id
    redacted = session.exec(
        select(VersionAttachment.file_id).where(
            col(VersionAttachment.version_id) == version.id,
            col(VersionAttachment.kind) == "redacted_version",
        )
    ).first()
    if redacted is None:
        raise PublicationRefused(
            f"{attribute.label}: only the redacted version may be published; none was sent"
        )
    return redacted


# What a secrecy review (or the determination after an escalation) records when it clears a version.
CLEARED = frozenset({DecisionKind.APPROVE, DecisionKind.CHANGE_ATTRIBUTE, DecisionKind.DETERMINE})
REVIEW_STEPS = (Step.SECRECY_REVIEW.value, Step.DETERMINATION.value)


def _require_review(session: Session, version_id: int, attribute: Attribute) -> None:
    """Nothing becomes public without a recorded review of exactly that version and marking
    (先审查、后公开: 保密法实施条例 2024 art. 42; 条例 art. 17): the version's last secrecy
    review or determination cleared it under the attribute it is published with — not an
    escalation still undetermined, a return, or a review of another version — and its signer
    signed it off after that."""
    last = session.exec(
        select(Decision)
        .where(col(Decision.version_id) == version_id, col(Decision.step).in_(REVIEW_STEPS))
        .order_by(col(Decision.id).desc())
    ).first()
    if last is None or last.kind not in CLEARED or last.attribute_after is not attribute:
        raise PublicationRefused(
            f"version {version_id} has no recorded secrecy review clearing it as "
            f"'{attribute.label}' (先审查、后公开: 保密法实施条例 2024 art. 42)"
        )
    # The 签发 of that version after its clearance: the document's status alone cannot tell a
    # signed-off version from one still waiting for the signer, whatever a run was made to do.
    signed = session.exec(
        select(Decision)
        .where(col(Decision.version_id) == version_id, col(Decision.step) == Step.SIGN_OFF.value)
        .order_by(col(Decision.id).desc())
    ).first()
    if signed is None or signed.kind != DecisionKind.SIGN_OFF or (signed.id or 0) < (last.id or 0):
        raise PublicationRefused(
            f"version {version_id} has no recorded 签发 after its secrecy review "
            f"({Step.SIGN_OFF.rule.source})"
        )


def files_of_publication(*, session: Session, document_id: int, version_id: int) -> list[int]:
    """The file `publish_version` reads (the published file, its printed marks checked): none
    when the version is published already or would be refused before it is read."""
    version = version_in_status(
        session=session,
        document_id=document_id,
        version_id=version_id,
        status=Status.AWAITING_SIGNOFF,
    )
    if version is None:
        return []
    key = publication_key(version_id)
    if session.exec(select(Publication).where(col(Publication.idempotency_key) == key)).first():
        return []
    marking = get_marking(session=session, version_id=version_id)
    if not marking.attribute.is_published:
        return []
    try:
        return [_published_file(session, version, marking.attribute)]
    except PublicationRefused:
        return []


def publish_version(
    *,
    session: Session,
    document_id: int,
    version_id: int,
    publisher: Publisher,
    at: datetime,
    files_dir: Path | None = None,
    limits: ReadingLimits | None = None,
) -> Publication:
    """Publish a signed-off version once: sink, record, deadlines met, status 已发布.

    With files_dir the published file's printed marking and 密级 are checked against the record
    (refused when they disagree) and the 内容概述 is taken from its text."""
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    key = publication_key(version_id)
    existing = session.exec(
        select(Publication).where(col(Publication.idempotency_key) == key)
    ).first()
    if existing is not None:
        return existing
    if document.status is not Status.AWAITING_SIGNOFF:
        raise PublicationRefused(f"document {document_id} is '{document.status}', not signed off")
    marking = get_marking(session=session, version_id=version_id)
    if not marking.attribute.is_published:
        raise PublicationRefused(f"'{marking.attribute.label}' documents are filed, not published")
    _require_review(session, version_id, marking.attribute)
    version = session.get(Version, version_id)
    organ = session.get(Organ, document.organ_id)
    if version is None or organ is None:
        raise NotFound(f"version {version_id} or its organ does not exist")
    index_number = f"{organ.code}-{document.written_on.year}-{document_id:06d}-{version.number}"
    file_id = _published_file(session, version, marking.attribute)
    published = session.get(StoredFile, file_id)
    if published is None:
        raise NotFound(f"stored file {file_id} does not exist")
    summary = None
    if files_dir is not None:
        # The bytes going public must be those recorded and reviewed (先审查、后公开).
        check_path(files_dir / published.storage_path, published)
        summary = _check_printed(session, file_id, marking, files_dir, at, limits)
    payload = PublicationPayload(
        index_number=index_number,
        title=document.title,
        doc_number=document.doc_number,
        written_on=document.written_on.isoformat(),
        organ=organ.name,
        attribute=marking.attribute.label,
        marking_text=marking.marking_text,
        validity=document.validity,
        file_id=file_id,
        published_at=at.isoformat(),
        idempotency_key=key,
        summary=summary,
        file_sha256=published.sha256,
    )
    publisher.publish(payload)
    row = Publication(
        document_id=document_id,
        version_id=version_id,
        published_at=at,
        marking_text=marking.marking_text,
        validity=document.validity,
        index_number=index_number,
        publisher=publisher.name,
        idempotency_key=key,
        summary=payload.summary,
        file_id=file_id,
    )
    session.add(row)
    index_publication(session=session, publication=row, document=document, organ_name=organ.name)
    for deadline in session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document_id,
            col(Deadline.kind).in_(("publication_local", "publication_ceiling")),
        )
    ).all():
        deadline.met_at = deadline.met_at or at
        session.add(deadline)
    if needs_interpretation(session=session, document=document, attribute=marking.attribute):
        # Rule 12: with the document (TOGETHER) or within 3 WD after its publication.
        profile = get_profile(document.policy_profile)
        due = interpretation_deadline(at, profile, calendar_for(profile.name, session=session))
        stored = store_deadline(
            session=session, document_id=document_id, version_id=version_id, value=due, at=at
        )
        together = profile.interpretation_mode is InterpretationMode.TOGETHER
        if (
            together
            and has_interpretation_material(
                session=session, document_id=document_id, version_id=version_id
            )
        ) or has_cleared_material(session=session, document_id=document_id):
            stored.met_at = at
            session.add(stored)
    change_status(
        session=session,
        document_id=document_id,
        target=Status.PUBLISHED,
        reason=f"published as {index_number} via {publisher.name}",
        at=at,
    )
    return row
