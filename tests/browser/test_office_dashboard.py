"""The office dashboard in headless Chromium (issue 5 "Done when"): the office signs in with its
token, sees a document stuck in secrecy review across the 2026 National Day, follows its link to
the document, and the board picks up a newly stuck document without a page reload."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from config.settings import Settings
from models.db import session_scope
from policies.calendar import SHANGHAI
from policies.statuses import Status
from policies.steps import Step
from services.review import open_step
from tests.api.conftest import Person, app, people, settings  # noqa: F401  (real app, both DBs)
from tests.browser_support import serve_app
from tests.factories import id_of, make_document, make_organ, make_user

AS_OF = "2026-10-16T10:00:00%2B08:00"  # URL-encoded +08:00


def _stuck_in_secrecy_review(engine: Engine, title: str, entered: datetime) -> int:
    with session_scope(engine) as session:
        drafter = make_user(session, organ=make_organ(session))
        document = make_document(
            session,
            drafter=drafter,
            title=title,
            status=Status.SECRECY_REVIEW,
            status_changed_at=entered,
            flow_run_id="0b7d0d84-2f1e-4a55-9a51-6c4f8e1f0001",
        )
        open_step(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            step=Step.SECRECY_REVIEW,
            at=entered,
        )
        return id_of(document)


def test_the_office_opens_the_dashboard_sees_a_stuck_document_and_follows_its_link(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    people: dict[str, Person],  # noqa: F811
    browser: Any,
) -> None:
    engine = app.state.engine
    late = _stuck_in_secrecy_review(
        engine, "关于国庆前报审的通知", datetime(2026, 9, 29, 10, tzinfo=SHANGHAI)
    )
    with serve_app(app) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/office/dashboard")
            page.wait_for_url("**/office/login")
            page.fill("input[name=token]", people["office"].token)
            page.click("button[type=submit]")
            page.wait_for_url("**/office/dashboard")

            page.goto(f"{base}/office/dashboard?as_of={AS_OF}&refresh=1")
            row = page.locator("#stuck tbody tr", has_text="关于国庆前报审的通知")
            assert row.count() == 1
            cells = row.locator("td")
            assert "9 个工作日 / 7 WD" in cells.nth(7).inner_text()  # 9 working days, 7 allowed
            assert cells.nth(8).inner_text() == "overdue"
            flow_link = row.get_by_role("link", name="flow run")
            assert flow_link.get_attribute("href", timeout=2000).endswith(
                "/runs/flow-run/0b7d0d84-2f1e-4a55-9a51-6c4f8e1f0001"
            )

            # A document becomes stuck while the page is open: the board refreshes in place.
            page.evaluate("window.__notReloaded = true")
            newer = _stuck_in_secrecy_review(
                engine, "关于节后报审的通知", datetime(2026, 10, 8, 9, tzinfo=SHANGHAI)
            )
            page.locator("#stuck tbody tr", has_text="关于节后报审的通知").wait_for(timeout=10_000)
            assert page.evaluate("window.__notReloaded") is True
            assert page.locator("#stuck-total").inner_text() == "2"

            row.get_by_role("link", name=f"#{late} 关于国庆前报审的通知").click()
            page.wait_for_url(f"**/office/documents/{late}")
            body = json.loads(page.locator("body").inner_text())
            assert body["document"]["id"] == late
            assert body["status"] == "secrecy_review"
            assert newer != late
        finally:
            page.close()
