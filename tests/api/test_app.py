"""The API as a newcomer meets it: the OpenAPI document explains every enumerated value (its
label and, for an attribute, its printed marking), in the schemas and in the upload form."""

from __future__ import annotations

from tests.api.conftest import TestClient


def test_enumerated_values_carry_their_meanings_in_the_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    attribute = components["Attribute"]
    assert attribute["x-enum-descriptions"]["withheld"] == "不予公开（此件不公开）"
    assert "`redacted`: 删减后公开（此件删减后公开）" in attribute["description"]
    assert components["Status"]["x-enum-descriptions"]["returned"].startswith("退文")
    assert components["Role"]["x-enum-descriptions"]["secrecy_reviewer"] == "保密审查人"
    assert "secrecy_review: 无法确定" in components["Choice"]["x-enum-descriptions"]["escalate"]
    assert components["Step"]["x-enum-descriptions"]["sign_off"] == "签发 (sign-off)"
    form = schema["paths"]["/documents"]["post"]["requestBody"]["content"]
    fields = form["multipart/form-data"]["schema"]["properties"]
    document_type = fields["document_type"]
    assert document_type["x-enum-descriptions"]["normative"] == "行政规范性文件"
    assert "must name one" in fields["organ"]["description"]
    assert "NL-1…NL-7" in fields["reason_codes"]["description"]
