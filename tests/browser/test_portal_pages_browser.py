"""Issue 27 in headless Chromium: a citizen finds a document, opens it and reads its text on the
page; on a 375 px phone nothing scrolls sideways; axe-core finds no serious or critical
violation on the catalogue, search results, a document page, a 政策解读 page, and the 404,
410 and 422 pages (GB/T 37668-2019 互联网内容无障碍可访问性; axe-core checks WCAG 2.x, which
it follows).

Screenshots are written to GONGKAI_TEST_SCREENSHOTS (default: the test's tmp_path).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from config.settings import Settings
from models.publications import Publication
from tests.api.conftest import (  # noqa: F401  (the real app on both databases)
    Person,
    TestClient,
    app,
    client,
    people,
    settings,
)
from tests.browser_support import check_accessibility, serve_app
from tests.documents import docx_bytes
from tests.publication_helpers import publish_reviewed, withdraw

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PHONE = {"width": 375, "height": 812}
NOTICE = [
    "关于进一步做好政务公开工作的通知",
    "各乡镇人民政府，县直各部门：",
    "　　为深入贯彻《中华人民共和国政府信息公开条例》，推进决策、执行、管理、服务、结果公开，"
    "现就做好今年政务公开工作通知如下。",
    "一、严格落实公文公开属性源头认定制度",
    "　　拟制公文时应当明确主动公开、依申请公开或者不予公开，并在报批时一并报审。",
    "http://www.example.gov.cn/zwgk/a-very-long-address-without-any-break-in-it-at-all-0123456789",
    "此件公开发布",
]
LAND = "关于麻江县2025年第一批次城镇建设用地征地补偿安置方案的公告"


def _documents(engine: Engine, config: Settings) -> dict[str, Publication]:
    return {
        "notice": publish_reviewed(
            engine,
            config,
            title="关于进一步做好政务公开工作的通知",
            doc_number="麻府办发〔2025〕12号",
            organ_name="麻江县人民政府办公室",
            main_file=(docx_bytes(NOTICE), "关于进一步做好政务公开工作的通知.docx", DOCX),
            interpretation_text="《关于进一步做好政务公开工作的通知》政策解读\n一、出台背景",
        ),
        "land": publish_reviewed(
            engine,
            config,
            title=LAND,
            doc_number="麻府征〔2025〕1号",
            attribute="redacted",
            redacted_text="征地补偿安置方案（删减后公开）\n补偿标准按省定标准执行。\n此件删减后公开",
        ),
        "withdrawn": publish_reviewed(
            engine, config, title="关于误发布事项的通知", text="误发布的正文"
        ),
    }


def _screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    directory = Path(os.environ.get("GONGKAI_TEST_SCREENSHOTS", tmp_path))
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def _no_sideways_scroll(page: Any) -> None:
    width, client_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert width <= client_width, f"{page.url}: {width} px wide in a {client_width} px window"


def test_a_citizen_finds_a_document_opens_it_and_reads_its_text(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    browser: Any,
) -> None:
    docs = _documents(app.state.engine, settings)
    with serve_app(app) as base:
        page = browser.new_page()
        try:
            page.goto(f"{base}/portal")
            page.get_by_label("名称").fill("公开")
            page.get_by_role("button", name="检索").click()
            page.wait_for_url("**/portal?*title=*")
            results = page.locator("table.results tbody tr")
            assert results.count() == 1
            page.get_by_role("link", name="关于进一步做好政务公开工作的通知").click()
            page.wait_for_url(f"**/portal/documents/{docs['notice'].index_number}")
            text = page.get_by_role("region", name="正文")
            assert text.get_by_text("一、严格落实公文公开属性源头认定制度").is_visible()
            assert text.get_by_text("拟制公文时应当明确主动公开").is_visible()
            indent = text.get_by_text("拟制公文时应当明确主动公开").evaluate(
                "p => getComputedStyle(p).textIndent"
            )
            assert indent == "34px"  # 2em at 17 px: the first-line indent of printed 公文
            metadata = page.get_by_role("table", name="文件信息")
            assert metadata.get_by_role("row", name="文号").inner_text().split() == [
                "文号",
                "麻府办发〔2025〕12号",
            ]
            page.get_by_role("link", name="interpretation_material.txt", exact=True).click()
            assert page.get_by_text("一、出台背景").is_visible()
            page.locator("a.interpreted").click()
            page.wait_for_url(f"**/portal/documents/{docs['notice'].index_number}")

            page.goto(f"{base}/portal?title=征地")
            page.get_by_role("link", name=LAND).click()
            assert page.get_by_text("补偿标准按省定标准执行。").is_visible()
            assert page.locator(".redacted-note").is_visible()
        finally:
            page.close()


def test_on_a_375_px_phone_no_page_scrolls_sideways(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    docs = _documents(app.state.engine, settings)
    with serve_app(app) as base:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2)
        page = context.new_page()
        try:
            for name, path in (
                ("catalogue", "/portal"),
                ("search", "/portal?title=公开"),
                ("document", f"/portal/documents/{docs['notice'].index_number}"),
                ("redacted", f"/portal/documents/{docs['land'].index_number}"),
            ):
                page.goto(f"{base}{path}")
                _screenshot(page, tmp_path, f"phone-{name}")
                _no_sideways_scroll(page)
            # Between a phone and a desktop, nothing scrolls sideways either.
            for width in (600, 900, 1024):
                page.set_viewport_size({"width": width, "height": 800})
                for path in ("/portal", f"/portal/documents/{docs['notice'].index_number}"):
                    page.goto(f"{base}{path}")
                    _no_sideways_scroll(page)
            # The catalogue's rows are cards on a phone, each cell labelled by its column.
            page.set_viewport_size(PHONE)
            page.goto(f"{base}/portal")
            label = page.locator("table.results td").first.evaluate(
                "td => getComputedStyle(td, '::before').content"
            )
            assert label == '"索引号"'
        finally:
            context.close()


def test_axe_finds_no_serious_or_critical_violation_on_the_portal_pages(
    app: FastAPI,  # noqa: F811
    settings: Settings,  # noqa: F811
    client: TestClient,  # noqa: F811
    people: dict[str, Person],  # noqa: F811
    browser: Any,
    tmp_path: Path,
) -> None:
    docs = _documents(app.state.engine, settings)
    withdraw(client, docs["withdrawn"], people["office"].headers)
    notice = f"/portal/documents/{docs['notice'].index_number}"
    with serve_app(app) as base:
        # The portal's CSP lets no script run; axe is injected past it, as a tester's tool.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        try:
            page.goto(f"{base}{notice}")
            material = page.get_by_role("link", name="interpretation_material.txt", exact=True)
            interpretation = material.get_attribute("href")
            pages = {
                "catalogue": ("/portal", 200),
                "search": ("/portal?title=%E5%BE%81%E5%9C%B0", 200),  # 征地
                "no-results": ("/portal?title=%E6%97%A0%E6%AD%A4%E6%96%87%E4%BB%B6", 200),
                "document": (notice, 200),
                "redacted": (f"/portal/documents/{docs['land'].index_number}", 200),
                "interpretation": (interpretation, 200),
                "404": ("/portal/documents/NO-SUCH-2025-000001-1", 404),
                "422": ("/portal?written_from=2025-13-01", 422),
                "410": (f"/portal/documents/{docs['withdrawn'].index_number}", 410),
            }
            found = {}
            for name, (path, status) in pages.items():
                answer = page.goto(f"{base}{path}")
                assert answer.status == status, name
                _screenshot(page, tmp_path, f"desktop-{name}")
                found[name] = check_accessibility(page)
            assert found == {name: [] for name in pages}
        finally:
            context.close()


def test_the_accessibility_check_finds_what_it_is_for(browser: Any) -> None:
    """The check itself can fail: an unlabelled field and an image without text are critical."""
    page = browser.new_page()
    try:
        page.set_content(
            '<!DOCTYPE html><html lang="zh-CN"><head><title>坏页面</title></head><body><main>'
            '<h1>坏页面</h1><img src="data:,"><input type="text" name="q"></main></body></html>'
        )
        rules = {line.split(" ")[0] for line in check_accessibility(page)}
        assert {"image-alt", "label"} <= rules
    finally:
        page.close()
