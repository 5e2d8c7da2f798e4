"""POST /documents: accepted drafts, 退文 with every finding, malformed requests, file checks."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI

from config.settings import Settings
from models.documents import Document
from models.files import StoredFile
from tests.api.conftest import (
    SEEDS,
    Person,
    TestClient,
    count_rows,
    docx_bytes,
    form,
    main_file,
    stored_files,
)
from tests.documents import ofd_bytes

SEED_DRAFTS = [
    ("000_1813ee0d5e08f3d0.txt", "notice"),
    ("001_ba254ddc52d1c150.txt", "notice"),
    ("002_9ef16690e919b37e.txt", "opinion"),
    ("003_6c1440d9d031ba5d.txt", "report"),
    ("004_20898ee32b236ba2.txt", "通知"),
]


@pytest.mark.parametrize(
    ("seed", "document_type"), SEED_DRAFTS, ids=[s[:3] for s, _ in SEED_DRAFTS]
)
def test_a_seed_text_is_accepted_as_a_draft_with_its_publication_ceiling(
    client: TestClient, people: dict[str, Person], seed: str, document_type: str
) -> None:
    data = (SEEDS / seed).read_bytes()
    response = client.post(
        "/documents",
        data=form(document_type=document_type, attribute="主动公开"),
        files=main_file(seed, data),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    assert body["document"]["organ_id"] == people["drafter"].user.organ_id
    assert body["version"]["number"] == 1
    (main,) = body["version"]["files"]
    assert main["media_type"].startswith("text/plain")
    assert main["size_bytes"] == len(data)
    assert body["version"]["marking"]["marking_text"] == "此件公开发布"
    ceiling = [d for d in body["deadlines"] if d["kind"] == "publication_ceiling"]
    assert ceiling
    assert "条例 art. 26" in ceiling[0]["basis"]
    assert body["review"]["state"] in ("starting", "pending")


def test_a_docx_draft_is_typed_by_its_content(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("草稿", docx_bytes()),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["files"][0]["media_type"].endswith("document")


def test_withheld_without_reason_code_is_returned_and_recorded_with_its_source(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(attribute="不予公开", reason_explanation="内部文件"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "退文"
    rules = {f["rule"]: f for f in body["findings"]}
    assert "条例 arts. 14–16" in rules["reason.code_required"]["source"]
    assert rules["reason.code_required"]["field"] == "reason_codes"
    detail = client.get(f"/documents/{body['document_id']}", headers=people["drafter"].headers)
    assert detail.status_code == 200
    recorded = detail.json()
    assert recorded["status"] == "returned"
    assert {f["rule"] for f in recorded["findings"]} == set(rules)
    actions = [e["action"] for e in recorded["history"]]
    assert actions == ["submission.received", "status.changed"]
    assert recorded["history"][1]["after"]["status"] == "returned"
    assert recorded["versions"][0]["marking"]["attribute"] == "withheld"


def test_classified_secret_marked_proactive_is_returned(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(attribute="主动公开", secrecy_level="秘密", secrecy_period_years="5"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422
    body = response.json()
    finding = next(f for f in body["findings"] if f["rule"] == "secrecy.attribute_must_be_withheld")
    assert "实施条例 2024 art. 5" in finding["source"]
    detail = client.get(f"/documents/{body['document_id']}", headers=people["drafter"].headers)
    version = detail.json()["versions"][0]
    assert version["marking"] is None  # an unlawful marking is not stored; the audit keeps it
    assert detail.json()["history"][0]["after"]["secrecy_level"] == "mimi"


def test_policy_document_without_interpretation_package_is_returned(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(
            document_type="行政规范性文件",
            policy_profile="liaoning",
            issued_in_government_name="true",
        ),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422
    findings = {f["rule"]: f for f in response.json()["findings"]}
    assert {"interpretation.plan_required", "interpretation.material_required"} <= set(findings)
    assert "seed 004 §二(五)" in findings["interpretation.plan_required"]["source"]


def test_policy_document_with_its_interpretation_package_is_accepted(
    client: TestClient, people: dict[str, Person]
) -> None:
    files = main_file() | {
        "interpretation_plan": ("解读方案.txt", io.BytesIO("解读方案".encode()), "text/plain"),
        "interpretation_material": ("解读材料.docx", io.BytesIO(docx_bytes("解读")), "x"),
    }
    response = client.post(
        "/documents",
        data=form(document_type="normative", policy_profile="liaoning"),
        files=files,
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    kinds = [f["kind"] for f in response.json()["version"]["files"]]
    assert kinds == ["main", "interpretation_plan", "interpretation_material"]


def test_every_blocking_finding_is_listed_at_once(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(attribute=None, document_type="normative"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422
    rules = {f["rule"] for f in response.json()["findings"]}
    assert {"attribute.required", "interpretation.plan_required"} <= rules


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (form(title=None), "title"),
        (form(written_on="2025-13-40"), "written_on"),
        (form(attribute="secret-ish"), "attribute"),
        (form(document_type="poem"), "document_type"),
        (form(secrecy_period_years="ten"), "secrecy_period_years"),
        (form(policy_profile="atlantis"), None),
        (form(unexpected="x"), "unexpected"),
    ],
    ids=["no title", "bad date", "bad attribute", "bad type", "bad period", "profile", "extra"],
)
def test_a_malformed_request_says_which_field_and_what_is_expected(
    client: TestClient, people: dict[str, Person], app: FastAPI, fields: dict, field: str | None
) -> None:
    response = client.post(
        "/documents", data=fields, files=main_file(), headers=people["drafter"].headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    if field is not None:
        assert field in {f["field"] for f in body["findings"]}
        assert all(f["message"].startswith(f"{f['field']}:") for f in body["findings"])
    assert count_rows(app, Document) == 0


def test_a_missing_main_file_is_malformed(client: TestClient, people: dict[str, Person]) -> None:
    response = client.post(
        "/documents",
        data=form(),
        files={"other": ("x.txt", io.BytesIO(b"hello"), "text/plain")},
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422
    assert response.json()["findings"][0]["field"] == "file"


def test_an_empty_file_is_refused_with_400(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    response = client.post(
        "/documents", data=form(), files=main_file("a.pdf", b""), headers=people["drafter"].headers
    )
    assert response.status_code == 400
    assert response.json()["error"] == "empty_file"
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, b"just text pretending", b"PK\x03\x04junk"],
    ids=["png", "text", "zip-not-docx"],
)
def test_a_file_renamed_to_pdf_that_is_not_a_pdf_is_refused_with_415(
    client: TestClient, people: dict[str, Person], settings: Settings, app: FastAPI, data: bytes
) -> None:
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("通知.pdf", data),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_type"
    assert stored_files(settings) == []
    assert count_rows(app, Document) == 0


@pytest.mark.parametrize("name", ["通知.doc", "通知.wps", "通知"])
def test_a_legacy_doc_or_wps_file_is_refused_with_415_saying_what_to_save_it_as(
    client: TestClient, people: dict[str, Person], settings: Settings, name: str
) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # Compound File Binary header
    response = client.post(
        "/documents", data=form(), files=main_file(name, ole2), headers=people["drafter"].headers
    )
    assert response.status_code == 415
    assert "save it as DOCX, OFD or PDF" in response.json()["detail"]
    assert stored_files(settings) == []


def test_an_ofd_draft_is_accepted_as_application_ofd(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("通知.ofd", ofd_bytes([["关于……的通知", "（此件公开发布）"]])),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["files"][0]["media_type"] == "application/ofd"


def test_binary_junk_under_a_neutral_name_is_refused_with_415(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("draft", b"abc\x00\x01\x02def"),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 415


def test_a_gb18030_text_draft_is_accepted(client: TestClient, people: dict[str, Person]) -> None:
    text = (SEEDS / "004_20898ee32b236ba2.txt").read_text(encoding="utf-8")
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("辽宁.txt", text.encode("gb18030")),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"]["files"][0]["media_type"].endswith("gb18030")


@pytest.mark.parametrize(
    ("name", "kept"),
    [("../../etc/passwd", "passwd"), ("a\x00b.pdf", "ab.pdf"), ("C:\\x\\..\\通知.pdf", "通知.pdf")],
    ids=["traversal", "nul", "windows"],
)
def test_file_names_are_reduced_to_a_safe_basename(
    client: TestClient, people: dict[str, Person], settings: Settings, name: str, kept: str
) -> None:
    data = b"%PDF-1.7 " + name.encode("utf-8", "replace")
    # Built by hand: httpx would percent-encode the NUL; a hostile client sends it raw.
    boundary = "gkboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in form().items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + name.encode()
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/documents",
        content=b"".join(parts),
        headers=people["drafter"].headers
        | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 201, response.text
    stored = response.json()["version"]["files"][0]
    assert stored["original_name"] == kept
    sha = stored["sha256"]
    path = settings.files_dir / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == data
    assert not (path.stat().st_mode & 0o222), "stored files are read-only"
    assert not (settings.data_dir.parent / "etc").exists()


def test_an_upload_over_the_limit_is_refused_with_413_and_nothing_is_stored(
    client: TestClient, people: dict[str, Person], settings: Settings, app: FastAPI
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024)
    response = client.post(
        "/documents",
        data=form(),
        files=main_file("big.pdf", big),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert stored_files(settings) == []
    assert count_rows(app, Document) == 0
    assert count_rows(app, StoredFile) == 0


def test_a_streamed_upload_over_the_file_limit_stops_at_the_limit(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    settings.max_upload_bytes = 1024 * 1024  # the request limit stays larger
    sent = []
    boundary = "gkboundary"

    async def body():  # chunked: no Content-Length, so the stream itself must be cut off
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.pdf"\r\n\r\n%PDF-1.4\n'
        ).encode()
        for _ in range(64):
            sent.append(1)
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/documents",
        content=body(),
        headers=people["drafter"].headers
        | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert stored_files(settings) == []


def test_an_admin_submits_for_a_named_organ(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"]
    missing = client.post("/documents", data=form(), files=main_file(), headers=admin.headers)
    assert missing.status_code == 422
    assert missing.json()["findings"][0]["field"] == "organ"
    response = client.post(
        "/documents", data=form(organ="zw"), files=main_file(), headers=admin.headers
    )
    assert response.status_code == 201
    assert response.json()["document"]["organ_id"] == people["other_drafter"].user.organ_id


def test_a_drafter_cannot_submit_for_another_organ(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents", data=form(organ="zw"), files=main_file(), headers=people["drafter"].headers
    )
    assert response.status_code == 403


def test_upload_refuses_revoked_tokens_and_inactive_users(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    """The per-request token look-up keeps its rules: a revoked token or an inactive user is 401,
    and nothing is registered."""
    from datetime import UTC, datetime

    from sqlmodel import col, select

    from models.db import session_scope
    from models.users import ApiToken, User
    from services.accounts import hash_token, revoke_token

    ok = client.post(
        "/documents", data=form(), files=main_file(), headers=people["drafter"].headers
    )
    assert ok.status_code == 201, ok.text
    with session_scope(app.state.engine) as session:
        token = session.exec(
            select(ApiToken).where(col(ApiToken.token_hash) == hash_token(people["drafter"].token))
        ).one()
        revoke_token(session=session, token_id=token.id or 0, at=datetime.now(UTC))
        other = session.get(User, people["other_drafter"].user.id)
        assert other is not None
        other.active = False
        session.add(other)
    before = count_rows(app, Document)
    for person in ("drafter", "other_drafter"):
        refused = client.post(
            "/documents", data=form(), files=main_file(), headers=people[person].headers
        )
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthenticated"
    assert count_rows(app, Document) == before


def test_a_refused_token_outranks_the_body_and_keeps_nothing(
    client: TestClient, people: dict[str, Person], settings: Settings, app: FastAPI
) -> None:
    """The token is looked up while the body arrives: a wrong token is still 401 (not the 413,
    415 or 422 the body would earn), a wrong role 403, and no staged byte is left behind."""
    wrong = {"Authorization": "Bearer not-a-token"}
    big = b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024)
    cases = [
        (wrong, dict(data=form(), files=main_file()), 401),
        (wrong, dict(data=form(), files=main_file("big.pdf", big)), 401),
        (wrong, dict(data=form(), files=main_file("a.pdf", b"not a pdf")), 401),
        (wrong, dict(data={"title": ""}, files=main_file()), 401),
        ({}, dict(data=form(), files=main_file()), 401),
        (people["reviewer"].headers, dict(data=form(), files=main_file()), 403),
        (people["reviewer"].headers, dict(data=form(), files=main_file("big.pdf", big)), 403),
    ]
    for headers, body, expected in cases:
        response = client.post("/documents", headers=headers, **body)  # type: ignore[arg-type]
        assert response.status_code == expected, response.text
        assert response.json()["error"] == ("unauthenticated" if expected == 401 else "forbidden")
    assert stored_files(settings) == []
    assert count_rows(app, Document) == 0


def test_a_streamed_upload_with_a_refused_token_is_not_read_to_its_end(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    sent: list[int] = []
    boundary = "gkboundary"

    async def body():  # 16 MiB in 64 KiB chunks, slowly enough for the look-up to finish first
        import asyncio

        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="long.pdf"\r\n\r\n%PDF-1.4\n'
        ).encode()
        for _ in range(256):
            sent.append(1)
            await asyncio.sleep(0.001)
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/documents",
        content=body(),
        headers={
            "Authorization": "Bearer not-a-token",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 401
    assert len(sent) < 256  # the reading stopped once the token was refused
    assert stored_files(settings) == []


def test_two_drafters_of_one_name_in_two_organs_are_told_apart_in_the_audit_record(
    client: TestClient, app: FastAPI
) -> None:
    """Display names are unique within an organ only (issue 21): each submission's audit event
    names its drafter by login, unique across organs, so the record says which 李明 acted."""
    from datetime import UTC, datetime

    from sqlmodel import Session, col, select

    from models.audit import AuditEvent
    from models.db import session_scope
    from policies.roles import Role
    from services.accounts import create_user, ensure_organ, issue_token
    from services.audit import SUBMISSION_RECEIVED

    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    tokens = {}
    with session_scope(app.state.engine) as session:
        for code in ("wm", "zw"):
            organ = ensure_organ(session=session, code=code, name=None, at=at)
            user = create_user(session=session, name="李明", organ=organ, role=Role.DRAFTER, at=at)
            tokens[user.login] = issue_token(session=session, user=user, label="t", at=at)[1]
    assert set(tokens) == {"李明", "李明@zw"}
    documents = {}
    for login, token in tokens.items():
        sent = client.post(
            "/documents",
            data=form(title=f"{login}的通知"),
            files=main_file(data=b"%PDF-1.4\n% " + login.encode()),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 201, sent.text
        documents[login] = sent.json()["document"]["id"]
    with Session(app.state.engine) as session:
        actors = {
            login: session.exec(
                select(AuditEvent.actor).where(
                    col(AuditEvent.document_id) == document_id,
                    col(AuditEvent.action) == SUBMISSION_RECEIVED,
                )
            ).one()
            for login, document_id in documents.items()
        }
    assert actors == {"李明": "李明", "李明@zw": "李明@zw"}
