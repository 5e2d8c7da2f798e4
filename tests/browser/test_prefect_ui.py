"""A reviewer decides in the Prefect UI (issue 6 and issue 21, "Done when"): headless Chromium
opens the UI served by the stack's Prefect server, signs in with the server's credential, finds
the document's suspended run, clicks Resume, fills the typed StepDecision form and submits. A
name without its one-time code, a replayed code and the drafter's own code are refused (the
document stays, the reason is shown in the form, the refusal is audited); the reviewer's fresh
code moves the document on, recorded with channel "ui" and that reviewer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.decisions import Decision
from models.users import User
from policies.statuses import Status
from tests.codes import fresh_code
from tests.workflows import conftest as workflow_fixtures
from tests.workflows.conftest import AUTH_STRING, Stack
from tests.workflows.helpers import new_document, start_review, status_of, wait_suspended_at

# The session's Prefect server and serve process (tests/workflows/conftest.py).
stack = workflow_fixtures.stack
prefect_client_settings = workflow_fixtures.prefect_client_settings
pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def _property(page: Any, label: str) -> Any:
    """One field of Prefect's schema form, found by its label."""
    return page.locator(
        ".schema-form-property",
        has=page.locator(
            ".schema-form-property__label", has_text=re.compile(rf"^{re.escape(label)}$")
        ),
    )


def _choose(page: Any, label: str, option: str) -> None:
    """Pick an option of a schema-form select, opened from the keyboard as a reviewer may (a
    mouse click on this control did not open its list in headless Chromium)."""
    control = _property(page, label).locator("button.p-select-button__control")
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        control.focus()
        page.keyboard.press("Space")
        try:
            choice.wait_for(state="visible", timeout=1_500)
        except PlaywrightTimeout:
            continue
        choice.click()
        expect(control).to_contain_text(option)
        return
    pytest.fail(f"the {label} select did not open")


def _sign_in(page: Any, stack: Stack) -> None:
    """The Prefect UI asks for the server's credential first (issue 21); give it."""
    page.goto(f"{stack.ui_url}/runs")
    password = page.get_by_placeholder("admin:pass")
    expect(password).to_be_visible(timeout=30_000)
    password.fill(AUTH_STRING)
    page.get_by_role("button", name="Login").click()
    expect(password).to_be_hidden(timeout=30_000)


def _submit(page: Any, stack: Stack, doc: int, version: int, **fields: str) -> Any:
    """Open the document's suspended run, click Resume, fill the form and submit; the dialog's
    description as the reviewer saw it."""
    page.goto(f"{stack.ui_url}/runs")
    page.get_by_role("link", name=f"doc-{doc}-v{version}").first.click()
    expect(page.get_by_text("Suspended").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Resume Flow Run")).to_be_visible()
    # The description above the form: the document in the API, its version.
    expect(dialog.get_by_text(f"/documents/{doc}").first).to_be_visible()
    description = dialog.inner_text()
    _choose(page, "Decision", fields["decision"])
    _property(page, "Reviewer").locator("textarea").fill(fields["reviewer"])
    if fields.get("code"):
        _property(page, "Code (Optional)").locator("textarea").fill(fields["code"])
    if fields.get("comment"):
        _property(page, "Comment (Optional)").locator("textarea").fill(fields["comment"])
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog).to_be_hidden(timeout=15_000)
    return description


def _refusals(stack: Stack, doc: int) -> list[str | None]:
    with Session(stack.engine) as session:
        return list(
            session.exec(
                select(AuditEvent.reason)
                .where(
                    col(AuditEvent.document_id) == doc,
                    col(AuditEvent.action) == "decision.refused",
                )
                .order_by(col(AuditEvent.id))
            )
        )


def test_only_the_reviewers_own_fresh_code_moves_the_document_in_the_prefect_ui_issue_21(
    stack: Stack, browser: Any, tmp_path: Path
) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    reviewer, drafter = people["secrecy_reviewer"], people["drafter"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _sign_in(page, stack)
        # 1. The reviewer's name without a code: refused, the document stays, the reason shows.
        _submit(page, stack, doc, version, decision="approve", reviewer=reviewer)
        wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
        assert len(_refusals(stack, doc)) == 1
        shown = _submit(
            page,
            stack,
            doc,
            version,
            decision="approve",
            reviewer=reviewer,
            code=(code := fresh_code(stack.engine, reviewer)),
            comment="经审查，可以公开",
        )
        assert "上次提交未被接受" in shown
        assert "no one-time code" in shown
        # 2. The same form with the reviewer's valid code moves it on.
        wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
        # 3. The same code replayed at the next step is refused.
        _submit(page, stack, doc, version, decision="approve", reviewer=reviewer, code=code)
        wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
        # 4. The drafter's own valid code is refused.
        drafters_code = fresh_code(stack.engine, drafter)
        _submit(page, stack, doc, version, decision="approve", reviewer=drafter, code=drafters_code)
        wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    finally:
        page.screenshot(path=str(tmp_path / "after.png"), full_page=True)
        page.close()

    refusals = _refusals(stack, doc)
    assert len(refusals) == 3
    assert "used already" in (refusals[1] or "")
    assert "role" in (refusals[2] or "")
    with Session(stack.engine) as session:
        decision = session.exec(select(Decision).where(col(Decision.document_id) == doc)).one()
        by = session.get(User, decision.decided_by)
        events = session.exec(
            select(AuditEvent.actor, AuditEvent.channel, AuditEvent.reason).where(
                col(AuditEvent.document_id) == doc,
                col(AuditEvent.action) == "decision.recorded",
            )
        ).all()
    assert (decision.step, decision.kind, decision.channel) == ("secrecy_review", "approve", "ui")
    assert by is not None
    assert by.login == reviewer
    assert decision.comment == "经审查，可以公开"
    assert events == [(reviewer, "ui", "经审查，可以公开")]
    assert status_of(stack, doc) is Status.AWAITING_SIGNOFF
