"""What a submission states: the drafter's fields on the form (`Draft`), codes or Chinese labels
accepted for the enumerated ones, every bad field named at once."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import Finding
from policies.secrecy_levels import SecrecyLevel
from services.errors import field_finding, invalid_fields, schema_findings
from services.validation import RANGE_TEXT, Day, Line, MultiLine

_SPLIT = re.compile(r"[,，、;；\s]+")
_TRUE = {"true", "1", "yes", "on", "是"}
_FALSE = {"false", "0", "no", "off", "否", ""}
MULTI_VALUED = frozenset({"reason_codes"})


class Draft(BaseModel):
    """The fields of POST /documents and POST /documents/{id}/versions (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line = Field(min_length=1, max_length=500, description="标题")
    doc_number: Line | None = Field(default=None, max_length=100, description="文号")
    organ: Line | None = Field(
        default=None,
        max_length=64,
        description="发文机关 code. A drafter submits for their own organ (the default); an admin "
        "must name one (422 without it).",
    )
    document_type: DocumentType = Field(description="公文种类: code or Chinese label, e.g. 通知")
    written_on: Day = Field(description=f"成文日期 (YYYY-MM-DD, within {RANGE_TEXT})")
    policy_profile: Line | None = Field(
        default=None, max_length=64, description="policy profile; default GONGKAI_POLICY_PROFILE"
    )
    attribute: Attribute | None = Field(
        default=None, description="公开属性: code (proactive…) or label (主动公开…); missing → 退文"
    )
    reason_codes: list[Annotated[Line, Field(max_length=16)]] = Field(
        max_length=20,
        default_factory=list,
        description="reason codes (NS-1…NS-8, WS-1, NL-1…NL-7; see the README); repeat the "
        "field or use commas",
    )
    reason_explanation: MultiLine = Field(default="", max_length=5000, description="理由说明")
    secrecy_level: SecrecyLevel = Field(
        default=SecrecyLevel.NONE, description="密级: none/mimi/jimi/juemi or 无/秘密/机密/绝密"
    )
    secrecy_period_years: int | None = Field(default=None, gt=0, le=100, description="保密期限")
    declassify_on: Day | None = Field(default=None, description="解密时间")
    declassify_condition: MultiLine = Field(default="", max_length=2000, description="解密条件")
    secrecy_override_reference: Line = Field(
        default="", max_length=500, description="另有规定 allowing a longer 保密期限"
    )
    is_important_policy: bool = Field(default=False, description="重要政策")
    issued_in_government_name: bool = Field(
        default=False, description="以政府或办公厅（室）名义印发"
    )

    @field_validator("document_type", mode="before")
    @classmethod
    def _document_type(cls, value: Any) -> Any:
        return _by_code_or_label(DocumentType, value)

    @field_validator("attribute", mode="before")
    @classmethod
    def _attribute(cls, value: Any) -> Any:
        return None if value == "" else _by_code_or_label(Attribute, value)

    @field_validator("secrecy_level", mode="before")
    @classmethod
    def _secrecy_level(cls, value: Any) -> Any:
        return SecrecyLevel.NONE if value == "" else _by_code_or_label(SecrecyLevel, value)

    @field_validator("is_important_policy", "issued_in_government_name", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        return value

    @field_validator("reason_codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        return [c.upper() for v in values for c in _SPLIT.split(str(v)) if c]

    @classmethod
    def of_form(cls, fields: dict[str, list[str]]) -> Draft:
        """The draft from the received form fields; RequestInvalid names every bad field."""
        data: dict[str, Any] = {}
        problems: list[Finding] = []
        for name, values in fields.items():
            if name in MULTI_VALUED:
                data[name] = values
            elif len(values) > 1:
                problems.append(field_finding(name, "give this field once"))
            elif values[0] != "" or name in ("attribute", "secrecy_level"):
                data[name] = values[0]
        try:
            draft = cls.model_validate(data)
        except ValidationError as error:
            problems += schema_findings(error.errors())
        if problems:
            raise invalid_fields(problems)
        return draft


def _by_code_or_label(enum: type[StrEnum], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    member = _members_by_code_or_label(enum).get(value.strip())
    if member is None:
        choices = ", ".join(f"{m.value} ({getattr(m, 'label', m.value)})" for m in enum)
        raise ValueError(f"expected one of: {choices}")
    return member


@cache
def _members_by_code_or_label(enum: type[StrEnum]) -> dict[str, StrEnum]:
    """Each member by its code and by its label; where two share a text, the first member."""
    members: dict[str, StrEnum] = {}
    for member in enum:
        for text in (member.value, getattr(member, "label", None)):
            if isinstance(text, str):
                members.setdefault(text, member)
    return members
