"""Waiting for an application's human steps: suspended (no process held) until the step is left,
through the form here (its one-time code proving who typed it) or through REST (which resumes
the run after recording). Waits are keyed by the number of actions recorded and a round within
it, so a resumed run (which starts again from the top) finds each input once; the close task's
result is persisted, so an input already answered is not recorded twice."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import suspend_flow_run

from config.settings import get_settings
from policies.application_steps import ApplicationStep
from services.applications import (
    application_view,
    get_application,
    pending_releases,
    take_action,
)
from services.audit import record_event
from services.errors import DomainError
from workflows.application.form import ApplicationDecision, action_of, describe_application
from workflows.human import DECISION_REFUSED, proven_reviewer, spend_code
from workflows.runtime import SUSPEND_BACKSTOP_SECONDS, document_url, now, unit_of_work


def application_url(application_id: int) -> str:
    """Where the office handles the application (the API)."""
    return f"{get_settings().api_base_url}/applications/{application_id}"


@task(cache_policy=NO_CACHE, persist_result=False)
def open_application_step(application_id: int) -> dict[str, Any]:
    """The application's step now, the actions recorded, and the form's description."""
    with unit_of_work() as session:
        application = get_application(session, application_id)
        view = application_view(session, application, viewer=None, as_of=now())
        step = application.step
        releases = [
            (r.file_name, r.attribute, document_url(r.document_id))
            for r in pending_releases(session, application_id)
        ]
        description = (
            describe_application(view, step, url=application_url(application_id), releases=releases)
            if step is not ApplicationStep.DONE
            else ""
        )
        return {"step": step.value, "actions": application.actions, "description": description}


@task(persist_result=True)
def close_application_step(
    application_id: int, actions: int, round_: int, response: dict[str, Any]
) -> dict[str, Any]:
    """Take the form's action as the person its one-time code proves, or say why not (audited);
    actions and round_ key the persisted result, so a resumed run does not take it again."""
    try:
        with unit_of_work() as session:
            application = get_application(session, application_id, for_update=True)
            if application.actions != actions:  # the REST door acted meanwhile
                spend_code(session, response)
                return {"ok": True, "superseded": True}
            person = proven_reviewer(session, response)
            take_action(
                session=session,
                application=application,
                act=action_of(response),
                person=person,
                at=now(),
                channel="ui",
            )
    except (DomainError, ValueError) as refused:
        problem = refused.message if isinstance(refused, DomainError) else str(refused)
        with unit_of_work() as session:
            spend_code(session, response)
            record_event(
                session=session,
                action=DECISION_REFUSED,
                at=now(),
                channel="ui",
                after={
                    "application_id": application_id,
                    "claimed_reviewer": str(response.get("reviewer", ""))[:100],
                    "action": str(response.get("action", "")),
                    "code_given": bool(str(response.get("code") or "").strip()),
                },
                reason=problem,
            )
        return {"ok": False, "problem": problem}
    return {"ok": True}


def wait_for_application(application_id: int, steps: frozenset[ApplicationStep]) -> str:
    """Suspend until the application leaves these steps; the step it is in then."""
    problem, round_, seen = "", 0, -1
    while True:
        opened = open_application_step(application_id)
        if ApplicationStep(opened["step"]) not in steps:
            return str(opened["step"])
        actions = int(opened["actions"])
        round_ = round_ + 1 if actions == seen else 1
        seen = actions
        description = opened["description"]
        if problem:
            description = f"> **上次提交未被接受:** {problem}\n\n{description}"
        answer = suspend_flow_run(
            wait_for_input=ApplicationDecision.with_initial_data(description=description),
            key=f"application-{application_id}-a{actions}-r{round_}",
            timeout=SUSPEND_BACKSTOP_SECONDS,
        )
        outcome = close_application_step(application_id, actions, round_, answer.model_dump())
        problem = "" if outcome["ok"] else str(outcome["problem"])
