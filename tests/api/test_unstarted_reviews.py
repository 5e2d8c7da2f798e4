"""Reviews not started yet: each is started once its submission commits; with Prefect down the
document waits, and the sweep starts and records it later."""

from __future__ import annotations

import anyio
from fastapi import FastAPI
from sqlmodel import Session

from api.unstarted_reviews import sweep
from services.review import versions_awaiting_review_start
from tests.api.conftest import Person, TestClient, form, main_file


def test_with_prefect_unreachable_the_document_waits_for_the_sweep(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    drafter = people["drafter"].headers
    first = client.post("/documents", data=form(), files=main_file(), headers=drafter)
    second = client.post("/documents", data=form(), files=main_file(), headers=drafter)
    assert first.status_code == second.status_code == 201
    assert first.json()["review"]["state"] == "starting"  # the background attempt then fails
    assert second.json()["review"]["state"] == "pending"  # known down: left to the sweep
    ids = {first.json()["document"]["id"], second.json()["document"]["id"]}
    for document_id in ids:
        detail = client.get(f"/documents/{document_id}", headers=drafter).json()
        assert detail["status"] == "submitted"
        assert detail["review"] == {
            "state": "pending",
            "flow_run_id": None,
            "detail": detail["review"]["detail"],
        }
    with Session(app.state.engine) as session:
        waiting = versions_awaiting_review_start(session=session)
    assert {w.document_id for w in waiting} == ids


def test_the_sweep_starts_and_records_waiting_reviews(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    drafter = people["drafter"].headers
    created = client.post("/documents", data=form(), files=main_file(), headers=drafter).json()

    class Prefect:
        available = True

        async def start(self, review):  # stands in for ReviewStarter
            return f"run-{review.document_id}-{review.version_number}"

    started = anyio.run(sweep, app.state.writer, Prefect())
    assert started == 1
    detail = client.get(f"/documents/{created['document']['id']}", headers=drafter).json()
    assert detail["review"]["state"] == "started"
    assert detail["review"]["flow_run_id"] == f"run-{created['document']['id']}-1"
    assert detail["history"][-1]["action"] == "review.started"
    assert anyio.run(sweep, app.state.writer, Prefect()) == 0
