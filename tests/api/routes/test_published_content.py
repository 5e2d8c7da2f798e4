"""Nothing becomes public without a recorded secrecy review of exactly that content (先审查、后公开:
保密法实施条例 2024 art. 42; 条例 art. 17), over HTTP on SQLite and PostgreSQL: a withdrawn
publication stays withdrawn when its document is published again after a conversion, and no
door hands out stored bytes that were altered on disk after they were recorded and reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlmodel import Session

from config.settings import Settings
from models.db import session_scope
from models.documents import Document
from models.files import StoredFile
from models.publications import Publication
from models.users import User
from models.versions import Version
from policies.application_replies import ReplyType
from policies.application_steps import Action
from policies.applications import ApplicantType, Channel
from policies.attributes import Attribute
from policies.calendar import local_date
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.applications import (
    ApplicationAction,
    ApplicationRequest,
    delivery_link,
    register_application,
    take_action,
)
from services.publication.publishing import JsonFileSink, publish_version
from services.review.decisions import record_decision
from services.review.rereview_decisions import decide_rereview
from services.review.rereviews import add_rereviews, new_rereview
from services.review.status import change_status
from tests.api.conftest import Person, TestClient
from tests.factories import id_of, make_colleague, make_document, make_organ, make_user
from tests.publication_helpers import publish, store_bytes

PRIVATE = "11010519491231002X"  # the 被征收人's 居民身份证号: withdrawn, then redacted
FULL = f"关于房屋征收补偿的公告。被征收人张三，身份证号{PRIVATE}，补偿款叁拾万元。"
REDACTED = "关于房屋征收补偿的公告。被征收人（已删减），补偿款叁拾万元。"
RESTRICTION = {
    "reason_code": "NS-4",
    "new_attribute": "on_request",
    "justification": "公告含被征收人的身份证号，属个人隐私",
}


def _converted_and_published(
    app: FastAPI, settings: Settings, document_id: int, office: User, at: datetime
) -> Publication:
    """The re-review converts the filed document to 删减后公开 (a new version), its secrecy
    review clears that version, and it is published (条例 arts. 18, 44; domain §10 rule 16)."""
    with session_scope(app.state.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert document.current_version_id is not None
        (rereview,) = add_rereviews(
            session,
            [
                new_rereview(
                    document_id=document_id,
                    version_id=document.current_version_id,
                    kind="periodic",
                    cycle="2027",
                    due_at=at,
                    basis="条例 art. 18",
                    at=at,
                )
            ],
            at=at,
        )
        outcome = decide_rereview(
            session,
            rereview_id=id_of(rereview),
            decision="convert",
            to_attribute=Attribute.REDACTED,
            reason_codes=["NS-4"],
            explanation="删除被征收人的个人信息后公开",
            actor=office,
            channel="api",
            at=at,
        )
        assert outcome.review is not None
        version_id = outcome.review.version_id
        change_status(
            session=session,
            document_id=document_id,
            target=Status.SECRECY_REVIEW,
            reason="先审查、后公开",
            at=at,
        )
        drafter = session.get(User, document.created_by)
        assert drafter is not None
        for step, role, after in (
            (Step.SECRECY_REVIEW, Role.SECRECY_REVIEWER, timedelta(hours=1)),
            (Step.SIGN_OFF, Role.SIGNER, timedelta(hours=1, minutes=30)),
        ):
            person = make_colleague(session, drafter, role)
            record_decision(
                session=session,
                document_id=document_id,
                version_id=version_id,
                step=step,
                decision="approve",
                actor=person,
                actor_name=person.login,
                role=role,
                channel="api",
                at=at + after,
            )
        return publish_version(
            session=session,
            document_id=document_id,
            version_id=version_id,
            publisher=JsonFileSink(settings.data_dir / "portal"),
            at=at + timedelta(hours=2),
            files_dir=settings.files_dir,
        )


def test_a_withdrawn_publication_stays_withdrawn_when_its_document_is_published_again_rule_21(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    first = publish(
        app.state.engine,
        settings,
        title="关于房屋征收补偿的公告",
        text=FULL,
        redacted_text=REDACTED,
    )
    first_page = f"/portal/documents/{first.index_number}"
    assert PRIVATE in client.get(first_page).text
    restricted = client.post(
        f"/documents/{first.document_id}/withdrawal",
        json=RESTRICTION,
        headers=people["office"].headers,
    )
    assert restricted.status_code == 201, restricted.text
    assert client.get(first_page).status_code == 410

    second = _converted_and_published(
        app,
        settings,
        first.document_id,
        people["office"].user,
        datetime.now(UTC) + timedelta(days=1),
    )
    assert second.index_number != first.index_number
    page = client.get(f"/portal/documents/{second.index_number}")
    assert page.status_code == 200
    assert "（已删减）" in page.text
    assert PRIVATE not in page.text

    # The withdrawn publication was not reviewed again: it stays gone, page, file and feeds.
    again = client.get(first_page)
    assert again.status_code == 410
    assert PRIVATE not in again.text
    assert client.get(f"{first_page}/files/{first.file_id}").status_code == 410
    for feed in ("/portal/feed.json", "/portal/feed.atom"):
        answer = client.get(feed)
        assert answer.status_code == 200
        assert PRIVATE not in answer.text
        assert second.index_number in answer.text
    catalogue = client.get("/portal/catalogue.json").json()
    shown = [entry["index_number"] for entry in catalogue["items"]]
    assert shown == [second.index_number]


BODY = "关于做好春耕工作的通知。各乡镇人民政府：现将有关事项通知如下。"
ALTERED = BODY.replace("春耕", "秋收")  # the same length in bytes: only the hash tells


def _alter_on_disk(settings: Settings, stored: StoredFile) -> None:
    path = settings.files_dir / stored.storage_path
    path.chmod(0o644)
    path.write_bytes(ALTERED.encode())
    assert len(ALTERED.encode()) == stored.size_bytes


def test_the_portal_sends_no_byte_of_a_file_altered_on_disk_after_its_review_实施条例_art_42(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    publication = publish(app.state.engine, settings, text=BODY)
    page = f"/portal/documents/{publication.index_number}"
    download = f"{page}/files/{publication.file_id}"
    sent = client.get(download)
    assert sent.status_code == 200
    assert sent.content == BODY.encode()
    assert sent.headers["content-length"] == str(len(BODY.encode()))
    assert sent.headers["content-disposition"].startswith("attachment")
    with Session(app.state.engine) as session:
        stored = session.get(StoredFile, publication.file_id)
        assert stored is not None

    _alter_on_disk(settings, stored)
    refused = client.get(download)
    assert refused.status_code == 500
    assert refused.json()["error"] == "stored_content_altered"
    assert "秋收" not in refused.text
    shown = client.get(page)  # the page's text is the reading kept when it was reviewed
    assert shown.status_code == 200
    assert "春耕" in shown.text
    assert "秋收" not in shown.text


def _released(app: FastAPI, settings: Settings) -> tuple[str, StoredFile]:
    """An application whose reply releases a filed 依申请公开 document's file, approved by the
    secrecy reviewer (条例 art. 17): the delivery token and the released file."""
    at = datetime.now(UTC) - timedelta(days=2)
    with session_scope(app.state.engine) as session:
        organ = make_organ(session)
        clerk = make_user(session, organ=organ, role=Role.DISCLOSURE_OFFICE)
        reviewer = make_user(session, organ=organ, role=Role.SECRECY_REVIEWER)
        document = make_document(
            session,
            drafter=make_user(session, organ=organ),
            status=Status.FILED,
            marking={"attribute": Attribute.ON_REQUEST},
        )
        version = session.get(Version, document.current_version_id)
        assert version is not None
        stored = store_bytes(session, settings, BODY.encode(), "通知.txt")
        version.main_file_id = id_of(stored)
        session.add(version)
        request = ApplicationRequest(
            applicant_type=ApplicantType.NATURAL_PERSON,
            applicant_name="赵六",
            applicant_id_number="110101198001011234",
            contact="zhao@example.cn",
            description="关于做好春耕工作的通知",
            requested_form="电子文件",
            channel=Channel.ONLINE,
            confirmed_on=local_date(at),
        )
        application, _ = register_application(
            session=session, organ=organ, request=request, profile="national", at=at
        )
        steps = [
            (clerk, ApplicationAction(Action.COMPLETE)),
            (clerk, ApplicationAction(Action.IDENTIFIED, document_ids=(id_of(document),))),
            (clerk, ApplicationAction(Action.CONSULTATIONS_DONE)),
            (clerk, ApplicationAction(Action.REPLY, reply_type=ReplyType.DISCLOSED)),
            (reviewer, ApplicationAction(Action.APPROVE_RELEASE)),
        ]
        for person, act in steps:
            take_action(session=session, application=application, act=act, person=person, at=at)
        link = delivery_link(session, id_of(application), key=settings.one_time_code_key())
        assert link is not None
        return link[0], stored


def test_a_delivery_link_sends_no_byte_of_a_released_file_altered_after_its_review_条例_art_17(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    token, stored = _released(app, settings)
    download = f"/applications/deliveries/{token}/files/{stored.id}"
    sent = client.get(download)
    assert sent.status_code == 200
    assert sent.content == BODY.encode()

    _alter_on_disk(settings, stored)
    refused = client.get(download)
    assert refused.status_code == 500
    assert refused.json()["error"] == "stored_content_altered"
    assert "秋收" not in refused.text
