"""Issue 26 in headless Chromium: a member of the public files an application on the portal's
plain form (no JavaScript); the office signs in and sees it with its reply due date on the
dashboard; after the reply, the letter page shows its number and the remedy channels."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from config.settings import Settings
from tests.api.conftest import Person, app, people, settings  # noqa: F401  (real app, both DBs)
from tests.browser_support import serve_app


def test_the_public_applies_the_office_sees_the_due_date_and_the_letter_条例_arts_29_33_51(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    people: dict[str, Person],  # noqa: F811
    browser: Any,
) -> None:
    office = people["office"]
    with serve_app(app) as base:
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        try:
            page.goto(f"{base}/portal/applications/new")
            page.select_option("select[name=organ]", "wm")
            page.fill("input[name=applicant_name]", "周九")
            page.fill("input[name=contact]", "13600000000")
            page.fill("textarea[name=description]", "本县2026年城乡低保标准调整的文件")
            page.fill("input[name=requested_form]", "电子邮件")
            page.click("button[type=submit]")  # the ID number is missing
            errors = page.locator("#errors li")
            assert errors.count() == 1
            assert "身份证明" in errors.inner_text()
            page.fill("input[name=applicant_id_number]", "110101199901011234")
            page.click("button[type=submit]")
            number = page.locator("#application-number").inner_text()
            due = page.locator("#reply-due").inner_text()
            assert number.startswith("wm-依申请-")
            assert "24:00" in due
        finally:
            context.close()

        page = browser.new_page()
        try:
            page.goto(f"{base}/office/login")
            page.fill("input[name=token]", office.token)
            page.click("button[type=submit]")
            page.wait_for_url("**/office/dashboard")
            row = page.locator("#applications tbody tr", has_text=due)
            row.wait_for(timeout=10_000)
            cells = row.locator("td")
            assert cells.nth(0).inner_text() == number
            assert cells.nth(3).inner_text() == "答复"
            assert "周九" not in page.content()

            application_id = int(number.rsplit("-", 1)[1])  # wm-依申请-2026-000123
            for action in (
                {"action": "complete"},
                {"action": "identified"},
                {"action": "consultations_done"},
                {"action": "reply", "reply_type": "cannot_provide", "sub_reason": "CP-1"},
            ):
                answer = page.request.post(
                    f"{base}/applications/{application_id}/actions",
                    data=action,
                    headers=office.headers,
                )
                assert answer.status == 200, answer.text()
            page.goto(f"{base}/office/applications/{application_id}/letter")
            assert page.locator("#letter-number").inner_text() == f"{number}-答复"
            text = page.locator("body").inner_text()
            assert "本机关不掌握相关政府信息" in text
            assert "行政复议" in text
            assert "行政诉讼" in text
            assert "六十日内" in text
        finally:
            page.close()
