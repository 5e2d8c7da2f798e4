"""Releases to an applicant through the secrecy review (条例 art. 17 先审查、后公开; design.md:
anything that becomes public has a recorded review of exactly that content): a reply that
provides information proposes exactly the files to be sent — the version's file for 予以公开, its
redacted file for 部分公开 — and a secrecy reviewer decides on them before the reply is made.
Nothing marked 不予公开 or classified is proposed: its attribute must first be changed by a
recorded decision with a coded reason (the conversion path, services.review.rereview_decisions).
Approved files are delivered by a link scoped to the application, expiring, each use logged."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models.applications import Application, ApplicationDelivery, ApplicationRelease
from models.base import id_of
from models.documents import Document
from models.files import StoredFile
from models.users import User
from models.versions import Marking, Version, VersionAttachment
from policies.application_replies import ReplyType, check_reply
from policies.application_steps import ApplicationStep
from policies.applications import DELIVERY_LINK_DAYS
from policies.attributes import Attribute
from policies.findings import Finding, Severity
from services.accounts import decides_for_organ
from services.applications.links import linked_documents
from services.applications.replies import ReplyRequest, record_reply
from services.audit import record_act, record_event
from services.errors import Conflict, Forbidden, Gone, NotFound, RequestInvalid

RELEASE_PROPOSED = "application.release_proposed"
RELEASE_DECIDED = "application.release_decided"
DELIVERY_USED = "application.delivery_used"
SOURCE = "条例 art. 17 (先审查、后公开); 条例 arts. 36(二), 37"
PROVIDES = (ReplyType.DISCLOSED, ReplyType.PARTIAL)


def _refused(rule: str, message: str) -> RequestInvalid:
    return RequestInvalid(message, [Finding(rule, Severity.BLOCKING, message, SOURCE)])


def _file_to_release(
    session: Session, document: Document, reply_type: ReplyType
) -> tuple[Version, int, str, Attribute]:
    version = session.get(Version, document.current_version_id)
    marking = session.exec(
        select(Marking).where(col(Marking.version_id) == document.current_version_id)
    ).first()
    if version is None or marking is None:
        raise _refused("release.version", f"公文 #{document.id} 没有可提供的版本。")
    if _withheld(marking):
        raise _refused(
            "release.withheld",
            f"《{document.title}》为不予公开或涉密文件：须先经有记录的变更属性决定（附理由代码）"
            "方可向申请人提供（条例第十四条、第十七条）。",
        )
    if reply_type is ReplyType.DISCLOSED:
        if marking.attribute.publishes_redacted_version:
            raise _refused(
                "release.redacted_only",
                f"《{document.title}》为删减后公开，删减部分有记录的不予公开理由："
                "只能以部分公开提供删减后的文件；提供全文须先经有记录的变更属性决定"
                "（条例第十七条、第三十七条）。",
            )
        return version, version.main_file_id, version.main_file_name, marking.attribute
    redacted = session.exec(
        select(VersionAttachment).where(
            col(VersionAttachment.version_id) == version.id,
            col(VersionAttachment.kind) == "redacted_version",
        )
    ).first()
    if redacted is None:
        raise _refused(
            "release.redacted",
            f"部分公开须提供《{document.title}》删减后的文件（区分处理，条例第三十七条）。",
        )
    return version, redacted.file_id, redacted.file_name or "redacted", marking.attribute


def _withheld(marking: Marking | None) -> bool:
    """Whether a document so marked is withheld from applicants: 不予公开, or classified."""
    return (
        marking is None
        or marking.attribute is Attribute.WITHHELD
        or (marking.secrecy_level != "none")
    )


def _withheld_since(session: Session, release: ApplicationRelease) -> bool:
    """Whether the document a release came from has since been marked 不予公开 or classified (a
    recorded attribute change, a secrecy decision): its link then sends no more of it."""
    document = session.get(Document, release.document_id)
    marking = None
    if document is not None and document.current_version_id is not None:
        marking = session.exec(
            select(Marking).where(col(Marking.version_id) == document.current_version_id)
        ).first()
    return _withheld(marking)


def propose_release(
    *,
    session: Session,
    application: Application,
    reply: ReplyRequest,
    at: datetime,
    by: User | None = None,
) -> bool:
    """For a reply that provides linked documents: check the reply, propose exactly the files to
    release for the secrecy review, keep the reply until then; False if nothing is to be sent."""
    if reply.reply_type not in PROVIDES:
        return False
    documents = linked_documents(session, id_of(application))
    if not documents:
        return False
    findings = check_reply(reply.reply_type, reply.sub_reason, list(reply.reason_codes))
    if findings:
        raise RequestInvalid("; ".join(f.message for f in findings), findings)
    proposed = []
    for document in documents:
        version, file_id, name, attribute = _file_to_release(session, document, reply.reply_type)
        proposed.append(
            ApplicationRelease(
                application_id=id_of(application),
                document_id=id_of(document),
                version_id=id_of(version),
                file_id=file_id,
                file_name=name,
                attribute=attribute.value,
                created_at=at,
            )
        )
    for row in pending_releases(session, id_of(application)):
        session.delete(row)  # an earlier proposal, superseded before any decision
    session.flush()
    session.add_all(proposed)
    application.proposed_reply = {
        "reply_type": reply.reply_type.value,
        "sub_reason": reply.sub_reason,
        "reason_codes": list(reply.reason_codes),
        "explanation": reply.explanation,
        "proposed_by": by.id if by else None,
    }
    session.add(application)
    record_event(
        session=session,
        action=RELEASE_PROPOSED,
        at=at,
        after={"application_id": application.id, "files": [r.file_id for r in proposed]},
        reason=SOURCE,
    )
    session.flush()
    return True


def _releases(session: Session, application_id: int, status: str) -> list[ApplicationRelease]:
    return list(
        session.exec(
            select(ApplicationRelease)
            .where(
                col(ApplicationRelease.application_id) == application_id,
                col(ApplicationRelease.status) == status,
            )
            .order_by(col(ApplicationRelease.id))
        ).all()
    )


def pending_releases(session: Session, application_id: int) -> list[ApplicationRelease]:
    """The files waiting for the secrecy reviewer's decision."""
    return _releases(session, application_id, "pending")


def decide_release(
    *,
    session: Session,
    application: Application,
    approve: bool,
    reviewer: User,
    reason_codes: list[str],
    comment: str | None,
    at: datetime,
) -> ApplicationStep:
    """The secrecy reviewer's decision on exactly the proposed files: approved, the reply is
    made and the files can be delivered; refused (with reasons), the office replies anew."""
    pending = pending_releases(session, id_of(application))
    if not pending or application.proposed_reply is None:
        raise Conflict("没有待审查的拟提供文件。")
    for row in pending:
        document = session.get(Document, row.document_id)
        assert document is not None
        if not decides_for_organ(session=session, user=reviewer, organ_id=document.organ_id):
            raise Forbidden(
                f"{reviewer.login} 不是《{document.title}》所属机关的保密审查人，不能审查其提供"
                "（保密法实施条例 2024 art. 42；管理员可用 `gongkai assign-organ` 指定）。"
            )
    if not approve and not reason_codes:
        raise _refused("release.reasons", "不同意提供须说明理由代码（条例第三十六条第三项）。")
    for row in pending:
        row.status = "approved" if approve else "refused"
        row.decided_by, row.decided_at = reviewer.id, at
        row.reason_codes, row.comment = list(reason_codes), comment
        session.add(row)
    record_act(
        session=session,
        person=reviewer,
        action=RELEASE_DECIDED,
        at=at,
        after={
            "application_id": application.id,
            "approved": approve,
            "files": [r.file_id for r in pending],
        },
        reason=comment or SOURCE,
    )
    proposed: dict[str, Any] = application.proposed_reply
    application.proposed_reply = None
    session.add(application)
    if not approve:
        session.flush()
        return ApplicationStep.REPLY
    proposer = (
        session.get(User, proposed.get("proposed_by")) if proposed.get("proposed_by") else None
    )
    reply = ReplyRequest(
        ReplyType(proposed["reply_type"]),
        proposed.get("sub_reason"),
        tuple(proposed.get("reason_codes") or ()),
        proposed.get("explanation"),
    )
    record_reply(
        session=session, application=application, reply=reply, person=proposer or reviewer, at=at
    )
    session.add(
        ApplicationDelivery(
            application_id=id_of(application),
            # A placeholder no token hashes to, unique like every link's: the token's hash
            # replaces it once the row has its id and the key is at hand (delivery_link).
            token_hash=secrets.token_hex(32),
            created_at=at,
            expires_at=at + timedelta(days=DELIVERY_LINK_DAYS),
        )
    )
    session.flush()
    return ApplicationStep.DONE


def delivery_token(key: bytes, delivery: ApplicationDelivery) -> str:
    """The link's secret: derived from a key outside the database, so the office can show the
    link again while the database keeps only its sha256."""
    message = f"application-delivery:{delivery.application_id}:{delivery.id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def delivery_link(
    session: Session, application_id: int, *, key: bytes
) -> tuple[str, datetime] | None:
    """The application's delivery token and its expiry (None: nothing released); fixes the
    stored hash on first use of the key."""
    delivery = session.exec(
        select(ApplicationDelivery)
        .where(col(ApplicationDelivery.application_id) == application_id)
        .order_by(col(ApplicationDelivery.id).desc())
    ).first()
    if delivery is None:
        return None
    token = delivery_token(key, delivery)
    if delivery.token_hash != _hash(token):
        delivery.token_hash = _hash(token)
        session.add(delivery)
        session.flush()
    return token, delivery.expires_at


def released_files(session: Session, application_id: int) -> list[ApplicationRelease]:
    """The files approved for release to the application."""
    return _releases(session, application_id, "approved")


def _delivery(session: Session, token: str, at: datetime) -> ApplicationDelivery:
    delivery = session.exec(
        select(ApplicationDelivery).where(col(ApplicationDelivery.token_hash) == _hash(token))
    ).first()
    if delivery is None:
        raise NotFound("链接无效。")
    if at >= delivery.expires_at:
        raise Gone("链接已过期，请联系政府信息公开工作机构。")
    return delivery


def delivery_files(session: Session, *, token: str, at: datetime) -> list[ApplicationRelease]:
    """The files a valid, unexpired link delivers (404 unknown, 410 expired): those approved for
    its application whose document has not since been marked 不予公开 or classified."""
    released = released_files(session, _delivery(session, token, at).application_id)
    return [release for release in released if not _withheld_since(session, release)]


def delivered_file(
    session: Session, *, token: str, file_id: int, at: datetime, address: str | None
) -> tuple[StoredFile, str]:
    """A released file through the applicant's link: the link must exist, not have expired,
    the file be approved for its application, and its document not have been marked 不予公开
    or classified since (410); each use is logged."""
    delivery = _delivery(session, token, at)
    release = next(
        (r for r in released_files(session, delivery.application_id) if r.file_id == file_id), None
    )
    stored = session.get(StoredFile, file_id) if release else None
    if release is None or stored is None:
        raise NotFound("该链接下没有此文件。")
    if _withheld_since(session, release):
        raise Gone(
            "该文件所属公文在提供后已变更为不予公开或涉密，不再通过此链接提供；"
            "请联系政府信息公开工作机构（条例第十四条、第十七条）。"
        )
    delivery.uses += 1
    session.add(delivery)
    record_event(
        session=session,
        action=DELIVERY_USED,
        at=at,
        actor="applicant (delivery link)",
        document_id=release.document_id,
        after={"application_id": delivery.application_id, "file_id": file_id, "address": address},
        reason="条例 art. 40 (提供政府信息)",
    )
    return stored, release.file_name
