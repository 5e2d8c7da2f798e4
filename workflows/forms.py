"""The reviewer's form in the Prefect UI: a flat RunInput and a Markdown description."""

from __future__ import annotations

from typing import Literal

from prefect.input import RunInput
from pydantic import Field

from policies.attributes import Attribute
from policies.calendar import PROVISIONAL_RULE, deadline_text
from policies.steps import Choice
from services.review import StepView
from services.review.materials import MaterialForReview

# Flat enums the UI renders as drop-downs, from the policies: the decision choices of every step
# (policies/steps.py says which step offers which) and the attributes.
DecisionChoice = Literal[tuple(choice.value for choice in Choice)]  # type: ignore[valid-type]
NewAttribute = Literal[("", *(attribute.value for attribute in Attribute))]  # type: ignore[valid-type]


class StepDecision(RunInput):
    """A reviewer's decision; flat so the UI renders it as a simple form."""

    decision: DecisionChoice  # type: ignore[valid-type]
    reviewer: str = Field(description="Your login (gongkai create-user printed it)")
    code: str = Field(
        default="",
        description="The 6-digit one-time code your authenticator app shows now (each code "
        "counts once)",
    )
    reason_codes: list[str] = Field(default_factory=list)
    comment: str = ""
    new_attribute: NewAttribute = ""  # type: ignore[valid-type]


def describe(view: StepView, *, url: str, problem: str = "") -> str:
    """The Markdown shown above the form: the document, its marking, findings and deadlines."""
    lines = [f"## {view.step.rule.title}", ""]
    if problem:
        lines += [f"> **上次提交未被接受 (previous input refused):** {problem}", ""]
    lines += [
        f"- **标题**: {view.title}",
        f"- **文号**: {view.doc_number or '（无）'}",
        f"- **公开属性**: {view.attribute.label} ({view.attribute.value})",
        f"- **理由**: {', '.join(view.reason_codes) or '（无）'} {view.reason_explanation}",
        f"- **文件**: [{url}]({url}) (version {view.version_id})",
        "",
        "### 预审发现 (pre-screen findings; evidence only, never a decision)",
    ]
    lines += [f"- {f}" for f in view.findings] or ["- （无）"]
    lines += ["", "### 期限 (deadlines)"]
    lines += [
        f"- {kind}: {deadline_text(due, provisional=provisional)} — 依据 {basis}"
        for kind, due, basis, provisional in view.deadlines
    ] or ["- （无）"]
    if any(provisional for *_, provisional in view.deadlines):
        lines += ["", f"> （暂定）: {PROVISIONAL_RULE}"]
    lines += ["", f"**可选决定**: {view.step.rule.choices_text()}"]
    return "\n".join(lines)


def describe_material(item: MaterialForReview, *, url: str) -> str:
    """The Markdown above the form for material sent after intake: the file and its evidence."""
    lines = [
        "## 补充材料保密审查 (material sent after intake: secrecy review before it is shown)",
        "",
        f"- **文件**: {item.file.original_name} ({item.material.kind}, sha256 {item.file.sha256})",
        f"- **公文**: [{url}]({url})",
        "",
        "### 预审发现 (pre-screen findings; evidence only, never a decision)",
    ]
    lines += [f"- {e.to_finding().message}" for e in item.evidence] or ["- （无）"]
    if item.extraction_problem:
        lines.append(f"- {item.extraction_problem}")
    lines += ["", "**可选决定**: approve 同意公开 | return 退回（须说明理由）"]
    return "\n".join(lines)
