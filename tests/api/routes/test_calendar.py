"""The working-day calendar over HTTP (issue 20), SQLite and PostgreSQL: an admin enters a
year (CSV or JSON), bad files get 422 naming line and field, the office reads every version;
and every instant in the API is written in one form (+08:00). The 2027 file is a TEST FIXTURE,
not the official schedule."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from models.calendar import CalendarYearRecord
from tests.api.conftest import Person, TestClient, count_rows, form, main_file

FIXTURE_2027 = (
    Path(__file__).parents[2] / "services/calendar/calendar_2027_TEST_FIXTURE_not_official.csv"
)
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _upload(client: TestClient, person: Person, content: bytes, year: int = 2027):
    return client.post(
        f"/office/calendar/{year}",
        files={"file": ("2027.csv", content, "text/csv")},
        headers=person.headers,
    )


def test_an_admin_enters_2027_and_the_office_reads_it(
    client: TestClient, people: dict[str, Person]
) -> None:
    assert client.get("/office/calendar/2027", headers=people["office"].headers).status_code == 404
    first = _upload(client, people["admin"], FIXTURE_2027.read_bytes())
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["changed"]) == (1, True)
    again = _upload(client, people["admin"], FIXTURE_2027.read_bytes())
    assert (again.json()["changed"], again.json()["version"]) == (False, 1)
    assert "nothing changed" in again.json()["message"]
    shown = client.get("/office/calendar/2027", headers=people["office"].headers).json()
    assert shown["current_version"] == 1
    (version,) = shown["versions"]
    assert version["source_number"] == "TEST-FIXTURE-2027"
    assert version["entered_by"] == "admin"
    assert version["entered_at"].endswith("+08:00")
    assert {"date": "2027-01-02", "kind": "makeup", "name": "hypothetical 调休 (test fixture)"} in (
        version["days"]
    )


def test_only_an_admin_enters_a_year_and_nobody_unknown_reads_one(
    client: TestClient, people: dict[str, Person]
) -> None:
    assert _upload(client, people["office"], FIXTURE_2027.read_bytes()).status_code == 403
    assert client.post("/office/calendar/2027").status_code in (401, 422)
    assert client.get("/office/calendar/2026").status_code == 401
    assert client.get("/office/calendar/2026", headers=people["drafter"].headers).status_code == 403


def test_a_bad_file_gets_422_naming_line_and_field_and_stores_nothing(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    before = count_rows(app, CalendarYearRecord)
    bad = FIXTURE_2027.read_text().replace("2027-05-02,holiday", "2028-05-02,holiday")
    response = _upload(client, people["admin"], bad.encode())
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert [f["field"] for f in body["findings"]] == ["line 8: date"]
    assert "outside 2027" in body["findings"][0]["message"]
    assert count_rows(app, CalendarYearRecord) == before


def test_post_and_get_documents_write_every_instant_in_beijing_time(
    client: TestClient, people: dict[str, Person]
) -> None:
    # Issue 20: POST /documents answered +08:00 where GET /documents/{id} answered Z.
    posted = client.post(
        "/documents",
        data=form(attribute="主动公开"),
        files=main_file(),
        headers=people["drafter"].headers,
    )
    assert posted.status_code == 201, posted.text
    document_id = posted.json()["document"]["id"]
    read = client.get(f"/documents/{document_id}", headers=people["drafter"].headers)
    for text in (posted.text, read.text):
        instants = [m.group(0) for m in INSTANT.finditer(text)]
        assert instants
        assert all(i.endswith("+08:00") for i in instants), instants
    ceiling = next(d for d in read.json()["deadlines"] if d["kind"] == "publication_ceiling")
    posted_ceiling = next(
        d for d in posted.json()["deadlines"] if d["kind"] == "publication_ceiling"
    )
    assert ceiling["due_at"] == posted_ceiling["due_at"]
