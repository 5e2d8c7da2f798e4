"""The reviewer's form in the Prefect UI: a flat RunInput and a Markdown description."""

from __future__ import annotations

from typing import Literal

from prefect.input import RunInput
from pydantic import Field

from services.review.steps import StepView

STEP_TITLES = {
    "office_prereview": "政务公开工作机构预审 (office pre-review)",
    "secrecy_review": "保密审查 (secrecy review)",
    "determination": "无法确定：报主管部门/保密行政管理部门确定 (determination)",
    "interpretation": "政策解读材料 (interpretation material)",
    "sign_off": "签发 (sign-off)",
}
CHOICES = {
    "office_prereview": "approve = 同意; return = 退文",
    "secrecy_review": "approve = 可以公开; return = 退文 (reasons); change_attribute = 变更属性 "
    "(new_attribute, reason codes, justification in comment); escalate = 无法确定",
    "determination": "approve = 确定可以公开; file = 确定不公开 (filed); return = 退文",
    "interpretation": "approve = 解读材料已上传",
    "sign_off": "approve = 签发并发布; return = 退文; file = 不予发布",
}


class StepDecision(RunInput):
    """A reviewer's decision; flat so the UI renders it as a simple form."""

    decision: Literal["approve", "return", "change_attribute", "escalate", "file"]
    reviewer: str
    reason_codes: list[str] = Field(default_factory=list)
    comment: str = ""
    new_attribute: Literal["", "proactive", "on_request", "redacted", "withheld"] = ""


def describe(view: StepView, *, url: str, problem: str = "") -> str:
    """The Markdown shown above the form: the document, its marking, findings and deadlines."""
    lines = [f"## {STEP_TITLES[view.step.value]}", ""]
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
    lines += [f"- {kind}: {due.isoformat()} — {basis}" for kind, due, basis in view.deadlines] or [
        "- （无）"
    ]
    lines += ["", f"**可选决定**: {CHOICES[view.step.value]}"]
    return "\n".join(lines)
