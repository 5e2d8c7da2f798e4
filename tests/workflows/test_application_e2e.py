"""Issue 26 on a real Prefect server (PostgreSQL): one run per application through its stages.
The office registers over REST (the run starts), completes it in the Prefect form (one-time
code), identifies the document over REST (the waiting run moves on), consults a third party for
6 WD (the reply moves by exactly 6 WD), asks for an extension that a clerk cannot approve and
the head does, proposes the release; the release waits for the secrecy reviewer's decision on
exactly that file, then the applicant's expiring link, printed on the reply letter, delivers it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun
from sqlmodel import Session

from models.versions import Version
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Status
from services.accounts import ensure_organ, issue_token
from tests.api.conftest import TestClient
from tests.codes import enrol_users
from tests.factories import make_document, make_user
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import decide_in_ui, store_text, wait_final

pytestmark = pytest.mark.usefixtures("prefect_client_settings")
SEEN = ["nothing yet"]
TEXT = "关于城区停车收费标准的批复\n此件依申请公开\n"


def _waiting(name: str, key: str) -> FlowRun | None:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
        run = runs[0] if runs else None
        SEEN[0] = f"{name}: " + (
            f"{run.state.name} {run.state.state_details}" if run and run.state else "none"
        )
        if run is None or run.state is None or not run.state.is_paused():
            return None
        details = run.state.state_details
        if details.pause_key != key or not details.run_input_keyset:
            return None
        try:
            client.read_flow_run_input(run.id, details.run_input_keyset["schema"])
        except Exception:
            return None
    return run


def _wait(name: str, key: str) -> FlowRun:
    try:
        return wait_until(lambda: _waiting(name, key), timeout=90, what=f"{name} at {key}")
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed}; last seen: {SEEN[0]}")


def test_an_application_runs_through_its_stages_on_prefect_条例_arts_30_37(
    stack: Stack, api: TestClient
) -> None:
    at = datetime.now(UTC)
    with Session(stack.engine, expire_on_commit=False) as session:
        organ = ensure_organ(session=session, code="ap-e2e", name="测试县人民政府办公室", at=at)
        clerk = make_user(
            session, organ=organ, role=Role.DISCLOSURE_OFFICE, name="clerk-ap", login="clerk-ap"
        )
        make_user(
            session,
            organ=organ,
            role=Role.DISCLOSURE_OFFICE,
            name="head-ap",
            login="head-ap",
            office_head=True,
        )
        make_user(
            session,
            organ=organ,
            role=Role.SECRECY_REVIEWER,
            name="reviewer-ap",
            login="reviewer-ap",
        )
        drafter = make_user(session, organ=organ, name="drafter-ap", login="drafter-ap")
        document = make_document(
            session,
            drafter=drafter,
            status=Status.FILED,
            marking={"attribute": Attribute.ON_REQUEST},
        )
        version = session.get(Version, document.current_version_id)
        assert version is not None
        stored = store_text(session, stack, TEXT, "批复.txt")
        version.main_file_id, version.main_file_name = stored.id or 0, "批复.txt"
        session.add(version)
        _, token = issue_token(session=session, user=clerk, label="t", at=at)
        document_id = document.id
        session.commit()
    enrol_users(stack.engine, "clerk-ap", "head-ap", "reviewer-ap")
    office = {"Authorization": f"Bearer {token}"}
    body: dict[str, Any] = {
        "applicant_type": "natural_person",
        "applicant_name": "孙八",
        "applicant_id_number": "110101196001011234",
        "contact": "13700000000",
        "description": "关于城区停车收费标准的批复",
        "requested_form": "电子文件",
        "channel": "in_person",
        "submitted_on": "2026-09-25",
    }
    created = api.post("/applications", json=body, headers=office)
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    assert created.json()["reply_due_on"] == "2026-10-29"
    name = f"application-{application_id}"
    url = f"/applications/{application_id}"

    def state() -> dict[str, Any]:
        return dict(api.get(url, headers=office).json())

    run = _wait(name, f"{name}-a0-r1")
    decide_in_ui(stack, run.id, action="complete", reviewer="clerk-ap")
    _wait(name, f"{name}-a1-r1")
    assert state()["step"] == "identify"

    # The REST door: recorded, and the waiting run moves on to the next step.
    linked = api.post(
        f"{url}/actions",
        json={"action": "identified", "document_ids": [document_id]},
        headers=office,
    )
    assert linked.status_code == 200, linked.text
    run = _wait(name, f"{name}-a2-r1")

    decide_in_ui(
        stack,
        run.id,
        action="consult",
        party="third_party",
        consultation="商户",
        on="2026-10-12",
        reviewer="clerk-ap",
    )
    run = _wait(name, f"{name}-a3-r1")
    assert state()["state"] == "paused"
    decide_in_ui(
        stack,
        run.id,
        action="consultation_answered",
        consultation="商户",
        on="2026-10-20",
        reviewer="clerk-ap",
    )
    run = _wait(name, f"{name}-a4-r1")
    assert state()["reply_due_on"] == "2026-11-06"  # 10-29 + 6 WD (10-30, 11-02 … 11-06)

    decide_in_ui(stack, run.id, action="consultations_done", reviewer="clerk-ap")
    run = _wait(name, f"{name}-a5-r1")
    decide_in_ui(stack, run.id, action="request_extension", days=20, reviewer="clerk-ap")
    run = _wait(name, f"{name}-a6-r1")
    decide_in_ui(stack, run.id, action="approve_extension", reviewer="clerk-ap")  # not the head
    run = _wait(name, f"{name}-a6-r2")
    assert state()["reply_due_on"] == "2026-11-06"
    decide_in_ui(stack, run.id, action="approve_extension", reviewer="head-ap")
    run = _wait(name, f"{name}-a7-r1")
    assert state()["reply_due_on"] == "2026-12-04"  # + 20 WD

    decide_in_ui(stack, run.id, action="reply", reply_type="disclosed", reviewer="clerk-ap")
    run = _wait(name, f"{name}-a8-r1")
    waiting = state()
    assert (waiting["step"], waiting["reply_type"], waiting["delivery_url"]) == (
        "release",
        None,
        None,
    )

    decide_in_ui(stack, run.id, action="approve_release", reviewer="reviewer-ap")
    final = wait_final(run.id)
    assert final.state is not None
    assert final.state.is_completed()
    done = state()
    assert done["reply_type"] == "disclosed"
    letter = api.get(f"/office/applications/{application_id}/letter", headers=office)
    assert letter.status_code == 200
    assert "提供文件：批复.txt" in letter.text
    assert f"访问 {done['delivery_url']} 下载上述文件" in letter.text  # the link on the letter
    link = done["delivery_url"].removeprefix(api_base(done["delivery_url"]))
    listing = api.get(link)
    assert listing.status_code == 200
    assert "批复.txt" in listing.text
    download = api.get(f"{link}/files/{stored.id}")
    assert download.status_code == 200
    assert download.content == TEXT.encode()
    assert api.get(link[:-4] + "0000").status_code == 404


def api_base(url: str) -> str:
    """The scheme and host of an absolute URL (the link is printed with the API's address)."""
    return url[: url.index("/applications/")]
