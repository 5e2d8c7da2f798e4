"""The portal in headless Chromium: the catalogue and a document page show the marking and the
validity annotation after a repeal (issue 4 "Done when"; seed 004 §二(二); seed 001 §二(四)1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from config.settings import Settings
from policies.roles import Role
from policies.validity import Validity
from services.publication.publishing import JsonFileSink
from services.publication.validity import change_validity
from tests.api.conftest import app, settings  # noqa: F401  (the real app on both databases)
from tests.browser_support import serve_app
from tests.factories import T0
from tests.publication_helpers import publish


def test_the_catalogue_and_a_page_show_marking_and_repeal_in_a_browser(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    browser: Any,
) -> None:
    engine = app.state.engine
    old = publish(
        engine, settings, title="关于印发旧补贴办法的通知", doc_number="麻政发〔2025〕4号"
    )
    publish(
        engine,
        settings,
        title="关于征收补偿的公告",
        attribute="redacted",
        redacted_text="删减后的公告正文",
    )
    with Session(engine) as session:
        change_validity(
            session=session,
            document_id=old.document_id,
            to=Validity.REPEALED,
            reason="被新办法废止",
            actor="office",
            role=Role.DISCLOSURE_OFFICE,
            channel="api",
            at=T0 + timedelta(days=30),
            publisher=JsonFileSink(settings.data_dir / "portal"),
            amended_by_reference="麻政发〔2025〕9号",
        )
        session.commit()

    with serve_app(app) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/portal")
            row = page.locator("tr", has_text="关于印发旧补贴办法的通知")
            assert row.locator(".marking").inner_text() == "此件公开发布"
            assert row.locator(".validity").inner_text() == "已废止"
            redacted_row = page.locator("tr", has_text="关于征收补偿的公告")
            assert redacted_row.locator(".marking").inner_text() == "此件删减后公开"
            assert redacted_row.locator(".validity").inner_text() == "有效"

            row.get_by_role("link", name="关于印发旧补贴办法的通知").click()
            page.wait_for_url(f"**/portal/documents/{old.index_number}")
            annotation = page.locator(".validity-annotation")
            assert annotation.is_visible()
            assert (
                annotation.inner_text() == "已废止（被《麻政发〔2025〕9号》废止，自 2025-04-02 起）"
            )
            assert page.locator("td.marking").inner_text() == "此件公开发布"
            assert page.locator("td.marking").is_visible()
            assert page.get_by_role("link", name="下载：正文.txt").is_visible()
        finally:
            page.close()
