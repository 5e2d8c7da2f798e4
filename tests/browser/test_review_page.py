"""The reviewer's page in headless Chromium (issue 21): the form's link sends a reviewer who is
not signed in to the sign-in form, and back to the document after it, where the pre-screen
evidence is highlighted in the extracted text."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from playwright.sync_api import expect

from config.settings import Settings
from tests.api.conftest import Person, app, people, settings  # noqa: F401  (real app, both DBs)
from tests.api.routes.test_review_pages import document_with_text
from tests.browser_support import serve_app


def test_a_reviewer_follows_the_form_link_signs_in_and_sees_the_evidence_highlighted(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    people: dict[str, Person],  # noqa: F811
    browser: Any,
) -> None:
    doc, _ = document_with_text(app, settings, people["drafter"])
    with serve_app(app) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/review/documents/{doc}")
            page.wait_for_url(lambda url: "/review/login?next=" in url)
            page.fill("input[name=token]", people["reviewer"].token)
            page.click("button[type=submit]")
            page.wait_for_url(f"**/review/documents/{doc}")
            expect(page.locator("mark#f1-1")).to_have_text("涉密")
            expect(page.locator("mark#f1-2")).to_have_text("11010519491231002X")
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["gongkai_review"]["httpOnly"] is True
            assert cookies["gongkai_review"]["value"] != people["reviewer"].token
        finally:
            page.close()
