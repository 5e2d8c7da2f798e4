"""Runs not started yet: each is started once its submission commits; with Prefect down the
document, the material or the application waits, and the sweep starts and records it later."""

from __future__ import annotations

import io

import anyio
from fastapi import FastAPI
from sqlmodel import Session

from api.unstarted_reviews import sweep
from config.settings import Settings
from models.applications import Application
from models.publications import InterpretationMaterial
from policies.application_steps import ApplicationStep
from services.applications import applications_awaiting_run_start
from services.review import materials_awaiting_review_start, versions_awaiting_review_start
from tests.api.conftest import Person, TestClient, form, main_file
from tests.api.routes.test_applications import BODY as APPLICATION
from tests.publication_helpers import publish


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


READING = "政策解读：本县春耕工作的背景和主要内容。".encode()


class _Recording:
    """Stands in for the review starter when Prefect answers: a run id per start, and the
    starts it was asked for."""

    available = True

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def start(self, review):
        self.asked.append(f"doc-{review.document_id}")
        return f"run-doc-{review.document_id}"

    async def start_material_review(self, material_id: int) -> str:
        self.asked.append(f"material-{material_id}")
        return f"run-material-{material_id}"

    async def start_application(self, application_id: int) -> str:
        self.asked.append(f"application-{application_id}")
        return f"run-application-{application_id}"


def test_the_sweep_starts_applications_and_material_prefect_missed(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    """Registered or sent while Prefect did not answer: no run, and nothing else would start
    one; the sweep does, once, and a concluded application or decided material is left alone."""
    pub = publish(app.state.engine, settings)
    material = client.post(
        f"/documents/{pub.document_id}/attachments",
        files={
            "interpretation_material": ("解读.txt", io.BytesIO("政策解读".encode()), "text/plain")
        },
        headers=people["admin"].headers,
    )
    assert material.status_code == 201, material.text
    application = client.post("/applications", json=APPLICATION, headers=people["office"].headers)
    assert application.status_code == 201, application.text
    material_id, application_id = material.json()["id"], application.json()["id"]
    with Session(app.state.engine) as session:
        assert materials_awaiting_review_start(session=session) == [material_id]
        assert applications_awaiting_run_start(session=session) == [application_id]

    prefect = _Recording()
    assert anyio.run(sweep, app.state.writer, prefect) == 2
    assert prefect.asked == [f"material-{material_id}", f"application-{application_id}"]
    with Session(app.state.engine) as session:
        stored_material = session.get(InterpretationMaterial, material_id)
        stored_application = session.get(Application, application_id)
        assert stored_material is not None
        assert stored_application is not None
        assert stored_material.flow_run_id == f"run-material-{material_id}"
        assert stored_application.flow_run_id == f"run-application-{application_id}"
        assert materials_awaiting_review_start(session=session) == []
        assert applications_awaiting_run_start(session=session) == []
    assert anyio.run(sweep, app.state.writer, prefect) == 0

    # Concluded before any run started: nothing to start.
    again = client.post(
        "/applications",
        json=APPLICATION | {"description": "2025年本县财政预算执行情况"},
        headers=people["office"].headers,
    )
    assert again.status_code == 201, again.text
    with Session(app.state.engine) as session:
        concluded = session.get(Application, again.json()["id"])
        assert concluded is not None
        concluded.step = ApplicationStep.DONE
        session.add(concluded)
        session.commit()
        assert applications_awaiting_run_start(session=session) == []
