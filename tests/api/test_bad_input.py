"""Issue 23: bad input never hurts. Out-of-range ids, offsets, dates and instants are 422s that
name the field; control characters and bidirectional overrides are refused with their position;
accepted text is NFC-normalised."""

from __future__ import annotations

import unicodedata

import pytest

from tests.api.conftest import Person, TestClient, form, main_file

TOO_BIG = "9223372036854775808"  # 2**63: one past the largest BIGINT


def _submitted(client: TestClient, people: dict[str, Person]) -> int:
    """A document the drafter submitted (for a decision on it)."""
    response = client.post(
        "/documents", data=form(), files=main_file(), headers=people["drafter"].headers
    )
    document_id: int = response.json()["document"]["id"]
    return document_id


def _fields(response_json: dict[str, object]) -> set[str]:
    findings = response_json["findings"]
    assert isinstance(findings, list)
    return {f["field"] for f in findings}


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("GET", f"/documents/{TOO_BIG}", "document_id"),
        ("GET", f"/documents?offset={TOO_BIG}", "offset"),
        ("GET", f"/rereviews?offset={TOO_BIG}", "offset"),
        ("GET", f"/office/stuck?offset={TOO_BIG}", "offset"),
        ("GET", f"/office/documents/{TOO_BIG}", "document_id"),
        ("GET", f"/office/statistics?organ_id={TOO_BIG}&year=2025", "organ_id"),
        ("POST", f"/documents/{TOO_BIG}/versions", "document_id"),
        ("POST", f"/documents/{TOO_BIG}/decisions", "document_id"),
        ("POST", f"/rereviews/{TOO_BIG}/decision", "rereview_id"),
        ("GET", "/office/stuck?as_of=0001-01-01T00:00:00Z", "as_of"),
        ("GET", "/office/stuck?as_of=9999-12-31T23:59:59Z", "as_of"),
        ("GET", "/office/dashboard/board?as_of=0001-01-01T00:00:00Z", "as_of"),
        ("GET", "/office/dashboard/board?as_of=9999-12-31T23:59:59Z", "as_of"),
        ("GET", "/office/overdue?as_of=9999-12-31T23:59:59-12:00", "as_of"),
        ("GET", "/office/statistics?from=0001-01-01&to=9999-12-31", "from"),
        ("GET", "/office/statistics?from=2025-01-01&to=9999-12-31", "to"),
    ],
)
def test_issue_23_out_of_range_numbers_and_dates_are_422_naming_the_field(
    client: TestClient, people: dict[str, Person], method: str, url: str, field: str
) -> None:
    who = "drafter" if url.endswith("/versions") else "office"
    response = client.request(method, url, headers=people[who].headers, json={"step": "x"})
    assert response.status_code == 422, response.text
    assert field in _fields(response.json())


def test_issue_23_a_naive_as_of_is_refused_with_how_to_fix_it(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.get(
        "/office/stuck?as_of=2026-10-16T10:00:00", headers=people["office"].headers
    )
    assert response.status_code == 422
    assert "time zone" in response.json()["findings"][0]["message"]


@pytest.mark.parametrize("written_on", ["0001-01-01", "1949-09-30", "2101-01-01"])
def test_issue_23_a_written_on_outside_the_range_is_refused(
    client: TestClient, people: dict[str, Person], written_on: str
) -> None:
    response = client.post(
        "/documents",
        data=form(written_on=written_on),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert _fields(response.json()) == {"written_on"}


def test_the_ends_of_the_date_range_are_accepted(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        "/documents",
        data=form(written_on="1949-10-01"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("title", "position", "code"),
    [
        ("通知\x00\x1b", 3, "0000"),
        ("通知\x1b", 3, "001B"),
        ("a\x85b", 2, "0085"),  # C1 (NEXT LINE)
        ("关于\u202e知通", 3, "202E"),  # right-to-left override
        ("关于\u2066通知\u2069", 3, "2066"),  # left-to-right isolate
        ("关于\n通知", 3, "000A"),  # a title is one line
    ],
)
def test_issue_23_a_title_with_a_control_or_bidi_character_is_refused_with_its_position(
    client: TestClient, people: dict[str, Person], title: str, position: int, code: str
) -> None:
    response = client.post(
        "/documents", data=form(title=title), files=main_file(), headers=people["drafter"].headers
    )
    assert response.status_code == 422, response.text
    (finding,) = response.json()["findings"]
    assert finding["field"] == "title"
    assert f"character {position} is U+{code}" in finding["message"]


def test_multi_line_text_keeps_its_tabs_and_line_breaks_but_refuses_other_controls(
    client: TestClient, people: dict[str, Person]
) -> None:
    ok = client.post(
        "/documents",
        data=form(
            attribute="withheld", reason_codes="NS-4", reason_explanation="一、\t内部\r\n二、"
        ),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert ok.status_code in (201, 422), ok.text
    assert "reason_explanation" not in _fields(ok.json()) if ok.status_code == 422 else True
    refused = client.post(
        "/documents",
        data=form(reason_explanation="一\x07二"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert refused.status_code == 422
    assert _fields(refused.json()) == {"reason_explanation"}


def test_accepted_text_is_stored_nfc_normalised(
    client: TestClient, people: dict[str, Person]
) -> None:
    decomposed = "Cafe\u0301 通知"
    response = client.post(
        "/documents",
        data=form(title=decomposed),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["document"]["id"]
    stored = client.get(f"/documents/{document_id}", headers=people["drafter"].headers).json()
    assert stored["document"]["title"] == unicodedata.normalize("NFC", decomposed) == "Café 通知"


def test_a_decision_comment_with_a_bidi_override_is_refused(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        f"/documents/{_submitted(client, people)}/decisions",
        json={"step": "secrecy_review", "decision": "approve", "comment": "ok\u202e"},
        headers=people["reviewer"].headers,
    )
    assert response.status_code == 422
    assert _fields(response.json()) == {"comment"}


def test_issue_23_the_openapi_declares_the_one_error_shape_not_fastapis(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "HTTPValidationError" not in str(schema)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    page = {"schema": {"type": "string"}}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            if operation.get("parameters") or "requestBody" in operation:
                content = dict(responses["422"]["content"])
                if path == "/portal" or path.startswith("/portal/"):
                    # The portal's pages and its application form answer a browser with a page
                    # naming the fields (issues 26 and 27).
                    assert content.pop("text/html", page) == page, where
                assert content == error, where
            if "requestBody" in operation:
                assert "400" in responses, where


def test_issue_23_malformed_json_gets_a_documented_answer_in_the_one_shape(
    client: TestClient, people: dict[str, Person]
) -> None:
    response = client.post(
        f"/documents/{_submitted(client, people)}/decisions",
        content=b'{"step": "secrecy_review", "decision": ',
        headers=people["reviewer"].headers | {"Content-Type": "application/json"},
    )
    documented = client.get("/openapi.json").json()["paths"]["/documents/{document_id}/decisions"]
    assert str(response.status_code) in documented["post"]["responses"]
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"error", "detail", "findings", "document_id"}
