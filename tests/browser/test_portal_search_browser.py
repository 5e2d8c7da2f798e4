"""A citizen searches the portal in headless Chromium (issue 27 "Done when"): 「公开」 and 「征地」
typed into the search form (plain HTML, no JavaScript) find the documents whose title or
reviewed text holds them, newest first, and nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from config.settings import Settings
from tests.api.conftest import app, settings  # noqa: F401  (the real app on both databases)
from tests.browser_support import serve_app
from tests.factories import T0
from tests.publication_helpers import publish

DOCUMENTS = (  # title, text: oldest first
    ("关于做好政务公开工作的通知", "各乡镇人民政府：现将政务公开工作要点印发给你们。"),
    ("关于征地补偿标准的公告", "征地补偿按照片区综合地价执行。"),
    ("关于春耕生产的通知", "春耕期间暂停办理征地审批，相关信息依法公开。"),
    ("关于防汛演练的通知", "各单位按预案组织演练。"),
)


def test_a_citizen_searches_gongkai_and_zhengdi_and_finds_the_documents(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    browser: Any,
) -> None:
    for n, (title, text) in enumerate(DOCUMENTS):
        publish(app.state.engine, settings, at=T0 + timedelta(hours=1 + n), title=title, text=text)

    with serve_app(app) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/portal")

            def search(term: str) -> list[str]:
                page.get_by_label("关键词").fill(term)
                page.get_by_role("button", name="检索").click()
                page.wait_for_url("**/portal?q=*")
                assert page.get_by_label("关键词").input_value() == term
                return [
                    link.inner_text() for link in page.locator("tbody tr td:nth-child(2) a").all()
                ]

            # 公开: two titles and one text (春耕: 依法公开), newest first; not 防汛.
            assert search("公开") == ["关于春耕生产的通知", "关于做好政务公开工作的通知"]
            assert "共 2 件" in page.locator(".total").inner_text()
            # 征地: a title and a text.
            assert search("征地") == ["关于春耕生产的通知", "关于征地补偿标准的公告"]
            assert "共 2 件" in page.locator(".total").inner_text()
            page.get_by_role("link", name="关于征地补偿标准的公告").click()
            page.wait_for_url("**/portal/documents/**")
            assert page.locator("h1").inner_text() == "关于征地补偿标准的公告"
        finally:
            page.close()
