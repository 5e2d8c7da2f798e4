"""Issue 21: withdrawal (撤回) after publication, over HTTP (SQLite and PostgreSQL): the portal
answers 410 Gone for the page and the files with a notice and no content, both feeds carry the
withdrawal, the document is filed with its new attribute and re-enters the periodic re-review,
nothing stored is removed, and everything is audited (domain §10 rule 21)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from fastapi import FastAPI
from sqlmodel import Session, col, select

from config.settings import Settings
from models.audit import AuditEvent
from models.db import commit_unit_of_work, session_scope
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.publications import Publication
from models.versions import Marking
from policies.roles import Role
from policies.statuses import Status
from services.accounts import create_user, ensure_organ, issue_token
from services.audit_chain import verify_chain
from services.review.rereviews import create_due_rereviews
from tests.api.conftest import Person, TestClient
from tests.publication_helpers import publish, unpublished

AT = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
BODY = "各乡镇人民政府：现将有关事项通知如下"
MISTAKE = {
    "reason_code": "WD-MISTAKE",
    "new_attribute": "withheld",
    "justification": "误将内部事务信息公开，经审查撤回",
}


def test_a_withdrawn_document_is_gone_from_the_portal_and_the_feeds_and_filed(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings, title="关于误发布事项的通知")
    page_url = f"/portal/documents/{pub.index_number}"
    assert BODY in client.get(page_url).text
    url = f"/documents/{pub.document_id}/withdrawal"
    assert client.post(url, json=MISTAKE, headers=people["drafter"].headers).status_code == 403

    answer = client.post(url, json=MISTAKE, headers=people["office"].headers)
    assert answer.status_code == 201, answer.text
    withdrawal = answer.json()
    assert (withdrawal["attribute_before"], withdrawal["attribute_after"]) == (
        "proactive",
        "withheld",
    )

    copy = settings.data_dir / "portal" / f"withdrawal-p{pub.id}.json"  # the archive's copy
    assert json.loads(copy.read_text("utf-8"))["index_number"] == pub.index_number
    page = client.get(page_url)
    assert page.status_code == 410
    assert "撤回" in page.text
    assert "关于误发布事项的通知" in page.text
    assert BODY not in page.text
    download = client.get(f"{page_url}/files/{pub.file_id}")
    assert download.status_code == 410
    assert BODY not in download.text
    assert pub.index_number not in client.get("/portal").text

    atom = ET.fromstring(client.get("/portal/feed.atom").content)
    (tombstone,) = atom.findall(f"{TOMBSTONES}deleted-entry")
    assert tombstone.get("ref") == f"tag:gongkai-review,2026:publication:{pub.index_number}"
    assert "撤回" in (tombstone.findtext(f"{TOMBSTONES}comment") or "")
    assert atom.findall(f"{ATOM}entry") == []  # the publication's own entry is gone
    (item,) = client.get("/portal/feed.json").json()["items"]
    assert item["tags"] == ["withdrawn"]
    assert item["_gongkai"] == {"withdrawn": True}
    assert item["title"].startswith("【已撤回】")

    engine = app.state.engine
    with Session(engine) as session:
        document = session.get(Document, pub.document_id)
        assert document is not None
        assert document.status is Status.FILED
        marking = session.exec(
            select(Marking).where(col(Marking.version_id) == document.current_version_id)
        ).one()
        assert marking.attribute == "withheld"
        assert session.get(Publication, pub.id) is not None  # nothing stored is removed
        stored = session.get(StoredFile, pub.file_id)
        assert stored is not None
        assert (settings.files_dir / stored.storage_path).is_file()
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.document_id) == pub.document_id)
        ).all()
        assert {"publication.withdrawn", "attribute.changed", "status.changed"} <= set(actions)
        later = document.status_changed_at + timedelta(days=400)
        due = create_due_rereviews(session, at=later)
        commit_unit_of_work(session)
        assert pub.document_id in {r.document_id for r in due}
        assert verify_chain(connection=session.connection()).valid

    again = client.post(url, json=MISTAKE, headers=people["office"].headers)
    assert again.status_code == 409


def test_withdrawing_what_is_not_published_is_409_and_an_unknown_code_422_naming_the_field(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    filed = unpublished(app.state.engine, settings)
    office = people["office"].headers
    refused = client.post(f"/documents/{filed.id}/withdrawal", json=MISTAKE, headers=office)
    assert refused.status_code == 409
    pub = publish(app.state.engine, settings)
    unknown = client.post(
        f"/documents/{pub.document_id}/withdrawal",
        json=MISTAKE | {"reason_code": "XX-9"},
        headers=office,
    )
    assert unknown.status_code == 422
    assert [f["field"] for f in unknown.json()["findings"]] == ["reason_code"]
    assert client.get(f"/portal/documents/{pub.index_number}").status_code == 200


def test_restricting_the_attribute_is_the_same_path(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish(app.state.engine, settings)
    restricted = client.post(
        f"/documents/{pub.document_id}/withdrawal",
        json={"reason_code": "NS-4", "new_attribute": "on_request", "justification": "含个人信息"},
        headers=people["office"].headers,
    )
    assert restricted.status_code == 201, restricted.text
    assert restricted.json()["attribute_after"] == "on_request"
    assert client.get(f"/portal/documents/{pub.index_number}").status_code == 410


def test_a_signer_of_another_organ_may_neither_withdraw_nor_change_validity(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    """保密法实施条例 2024 art. 42 and domain §10 rule 21: a signer acts for their own organ's
    documents and those of organs assigned to them, not for every organ's."""
    pub = publish(app.state.engine, settings, title="关于他机关文件的通知")
    with session_scope(app.state.engine) as session:
        home = session.get_one(Organ, session.get_one(Document, pub.document_id).organ_id)
        stranger = signer_with_token(
            session, ensure_organ(session=session, code="zw", name=None, at=AT)
        )
        own = signer_with_token(session, home)
    url = f"/documents/{pub.document_id}"
    expire = {"to": "expired", "reason": "已过有效期"}
    until = {"valid_until": "2030-12-31", "reason": "设定有效期"}
    assert client.post(f"{url}/withdrawal", json=MISTAKE, headers=stranger).status_code == 403
    assert client.post(f"{url}/validity", json=expire, headers=stranger).status_code == 403
    assert (
        client.request("PUT", f"{url}/valid-until", json=until, headers=stranger).status_code == 403
    )
    with Session(app.state.engine) as session:
        document = session.get_one(Document, pub.document_id)
        assert (document.status, document.validity, document.valid_until) == (
            Status.PUBLISHED,
            "valid",
            None,
        )
    assert client.get(f"/portal/documents/{pub.index_number}").status_code == 200
    assert client.request("PUT", f"{url}/valid-until", json=until, headers=own).status_code == 200
    assert client.post(f"{url}/withdrawal", json=MISTAKE, headers=own).status_code == 201


def signer_with_token(session: Session, organ: Organ) -> dict[str, str]:
    """A signer of the organ, and the headers that authenticate them."""
    signer = create_user(
        session=session, name=f"签发人-{organ.code}", organ=organ, role=Role.SIGNER, at=AT
    )
    _, token = issue_token(session=session, user=signer, label="test", at=AT)
    return {"Authorization": f"Bearer {token}"}
