"""Building documents with real files, starting runs and answering forms in workflow tests."""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import anyio
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run
from sqlmodel import Session, col, select

from models.documents import Document
from models.files import StoredFile
from models.users import User
from models.versions import VersionAttachment
from policies.roles import Role
from policies.statuses import Status
from tests.codes import enrol_users, fresh_code
from tests.factories import T0, id_of, make_document, make_organ, make_user
from tests.workflows.conftest import Stack, wait_until


def run_on_own_loop(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run an async function to its end on a thread of its own, with its own event loop.

    Earlier tests in the same process may leave an event loop running on this thread, where a
    new one refuses to start. The thread runs in a copy of this context, which carries the
    stack's Prefect settings."""
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, anyio.run, function, *args).result()


DEPLOYMENT = "document-review/default"
DRAFT_TEXT = "关于做好2025年春耕工作的通知\n各乡镇人民政府：\n现将有关事项通知如下。\n"


def store_text(session: Session, stack: Stack, text: str, name: str = "通知.txt") -> StoredFile:
    """A stored file with real bytes under the data dir's files folder."""
    data = text.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    existing = session.exec(select(StoredFile).where(col(StoredFile.sha256) == sha)).first()
    if existing is not None:
        return existing
    path = stack.data_dir / "files" / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = StoredFile(
        sha256=sha,
        size_bytes=len(data),
        media_type="text/plain",
        original_name=name,
        storage_path=f"{sha[:2]}/{sha}",
        created_at=T0,
    )
    session.add(row)
    session.flush()
    return row


def new_document(
    stack: Stack,
    *,
    text: str = DRAFT_TEXT,
    attachments: tuple[str, ...] = (),
    marking: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[int, int, dict[str, str]]:
    """A submitted document with its people; returns (document id, version id, names by role)."""
    with Session(stack.engine, expire_on_commit=False) as session:
        organ = make_organ(session)
        drafter = make_user(session, organ=organ)
        drafter.login = drafter.name  # names are unique here: each person signs in by name
        people = {"drafter": drafter.name}
        for role in (Role.SECRECY_REVIEWER, Role.DISCLOSURE_OFFICE, Role.SIGNER):
            name = f"{role.value}-{organ.code}"
            people[role.value] = make_user(
                session, organ=organ, role=role, name=name, login=name
            ).login
        fields.setdefault("document_type", "notice")
        document = make_document(session, drafter=drafter, marking=marking, **fields)
        version_id = document.current_version_id
        assert version_id is not None
        from models.versions import Version

        version = session.get(Version, version_id)
        assert version is not None
        version.main_file_id = id_of(store_text(session, stack, text))
        session.add(version)
        for kind in attachments:
            stored = store_text(session, stack, f"{kind} of {document.title}", f"{kind}.txt")
            session.add(
                VersionAttachment(
                    version_id=version_id, file_id=id_of(stored), kind=kind, file_name=f"{kind}.txt"
                )
            )
        session.commit()
    enrol_users(stack.engine, *people.values())
    return id_of(document), version_id, people


def start_review(document_id: int, version_id: int) -> UUID:
    """Start the review run through the deployment, as the intake API does."""
    run = run_deployment(
        DEPLOYMENT,
        parameters={"document_id": document_id, "version_id": version_id},
        timeout=0,
        flow_run_name=f"doc-{document_id}-v{version_id}",
        _sync=True,  # also from tests whose thread runs an event loop (Playwright's sync API)
    )
    assert isinstance(run, FlowRun)
    return run.id


def read_run(run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def status_of(stack: Stack, document_id: int) -> Status:
    with Session(stack.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.status


def wait_suspended_at(
    stack: Stack, run_id: UUID, document_id: int, status: Status, timeout: float = 90
) -> None:
    """Wait until the document is in status and its run is suspended (no process)."""

    seen: list[str] = ["nothing yet"]

    def probe() -> bool:
        state = read_run(run_id).state
        now = status_of(stack, document_id)
        seen[0] = f"document {now.value}, run {state.name if state else None}: " + (
            (state.message or "")[:200] if state else ""
        )
        if now is not status or state is None or not state.is_paused():
            return False
        keyset = state.state_details.run_input_keyset
        if not keyset:
            seen[0] += "; no input keyset"
            return False
        # The state turns Paused a moment before the form's schema is saved.
        with get_client(sync_client=True) as client:
            try:
                client.read_flow_run_input(run_id, keyset["schema"])
            except Exception as error:
                seen[0] += f"; schema {keyset['schema']!r} not readable: {error!r}"[:300]
                return False
        return True

    try:
        wait_until(probe, timeout=timeout, what=f"document {document_id} suspended at {status}")
    except pytest.fail.Exception as failed:  # say what was seen last, for a failure in CI
        pytest.fail(f"{failed}; last seen: {seen[0]}")


def wait_final(run_id: UUID, timeout: float = 90) -> FlowRun:
    def probe() -> FlowRun | None:
        run = read_run(run_id)
        return run if run.state is not None and run.state.is_final() else None

    return wait_until(probe, timeout=timeout, what=f"run {run_id} to finish")


def decide_in_ui(stack: Stack, run_id: UUID, **run_input: Any) -> None:
    """What the Prefect UI's Resume form posts: by default with the named reviewer's current
    one-time code, as their authenticator shows it."""
    if "reviewer" in run_input and "code" not in run_input:
        run_input["code"] = fresh_code(stack.engine, run_input["reviewer"])
    resume_flow_run(run_id, run_input=run_input, _sync=True)  # type: ignore[call-arg]


def user_id(stack: Stack, name: str) -> int:
    with Session(stack.engine) as session:
        user = session.exec(select(User).where(col(User.name) == name)).one()
        return id_of(user)
