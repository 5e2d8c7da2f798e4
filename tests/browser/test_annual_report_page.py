"""The printable annual report in headless Chromium (条例 arts. 49–50; 国办公开办函〔2019〕60号
[R]): the office signs in, opens the report, sees the failed cross-check first with its numbers,
the six sections and the official tables, and the page prints to PDF."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from config.settings import Settings
from tests.api.conftest import Person, app, people, settings  # noqa: F401  (real app, both DBs)
from tests.browser_support import serve_app

UNBALANCED = (
    "section,row,column,value\n"
    "三,一,自然人,12\n三,一,总计,12\n三,二,自然人,3\n三,二,总计,3\n"
    "三,三(一),自然人,14\n三,三(一),总计,14\n三,三(七),自然人,14\n三,三(七),总计,14\n"
    "三,四,自然人,2\n三,四,总计,2\n五,正文,正文,依申请公开答复书缺少编号。\n"
)


def test_the_office_opens_the_printable_report_and_sees_the_failed_cross_check_60号(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    people: dict[str, Person],  # noqa: F811
    browser: Any,
) -> None:
    with serve_app(app) as base:
        imported = httpx.post(
            f"{base}/office/annual-report/2026/imports",
            content=UNBALANCED.encode(),
            headers=people["office"].headers | {"Content-Type": "text/csv"},
        )
        assert imported.status_code == 201
        page = browser.new_page()
        try:
            page.goto(f"{base}/office/login")
            page.fill("input[name=token]", people["office"].token)
            page.click("button[type=submit]")
            page.wait_for_url("**/office/dashboard")
            page.goto(f"{base}/office/annual-report/2026.html")
            failures = page.locator("#validation-failures")
            assert failures.is_visible()
            assert "本年新收 12 + 上年结转 3 = 15 ≠ 办理结果 14 + 结转下年度 2 = 16" in (
                failures.inner_text()
            )
            headings = page.locator("h2").all_inner_texts()
            assert headings[1:] == [
                "一、总体情况",
                "二、主动公开政府信息情况",
                "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况",
                "五、存在的主要问题及改进情况",
                "六、其他需要报告的事项",
            ]
            assert page.locator("table").count() == 7  # 5 × 第二十条, 三, 四
            row = page.locator("tr", has_text="一、本年新收政府信息公开申请数量")
            assert row.locator("td.imported").first.inner_text() == "12"
            assert "依申请公开答复书缺少编号。" in page.locator("p.imported").inner_text()
            page.emulate_media(media="print")
            assert not page.locator(".legend").is_visible()
            assert page.pdf(format="A4").startswith(b"%PDF")
        finally:
            page.close()
