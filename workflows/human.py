"""A human step: describe it, wait suspended (no process held), record the decision.

Runs in the flow body, not in a task: Prefect refuses to suspend from a task (prefect.md §7.6).
On resume the flow starts again from the top; the persisted tasks return their stored results
and `suspend_flow_run` returns the stored input of a key that already fired (prefect.md §2.5).
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.exceptions import MissingContextError
from prefect.flow_runs import suspend_flow_run
from prefect.input import keyset_from_paused_state
from prefect.runtime import flow_run
from prefect.states import Suspended
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from config.settings import get_settings
from models.decisions import Decision
from models.users import User
from policies.attributes import Attribute
from policies.steps import Step
from services.audit import record_event
from services.errors import DomainError
from services.office.alerts import AlertSpec, raise_alert
from services.one_time_codes import verify_code
from services.review import (
    current_attempt,
    current_status,
    find_decision,
    find_user,
    open_step,
    record_decision,
)
from workflows.forms import StepDecision, describe
from workflows.runtime import SUSPEND_BACKSTOP_SECONDS, document_url, now, unit_of_work

# A step refused this many times in a row raises an alert (and again at each further multiple);
# the step itself keeps waiting, however often it is answered wrongly (issue 21).
REFUSALS_ALERTED_EVERY = 5
DECISION_REFUSED = "decision.refused"
# Set on a form's answer by the flow, never by the form: when the Prefect server took the answer.
PRESENTED_AT = "presented_at"


def wait_for_form(description: str, key: str) -> dict[str, Any]:
    """Suspend until the form at `key` is answered; the answer, with the instant it was presented.

    A one-time code is checked against that instant, not against the moment the run gets going
    again: a code typed in time counts however long a busy or restarted worker takes to resume
    the run. The instant is the server's own stamp on the stored input, so the form cannot set it.
    """
    answer = suspend_flow_run(
        wait_for_input=StepDecision.with_initial_data(description=description),
        key=key,
        timeout=SUSPEND_BACKSTOP_SECONDS,
    )
    return {**answer.model_dump(), PRESENTED_AT: presented_at(key).isoformat()}


def presented_at(key: str) -> datetime:
    """When the Prefect server stored the input that resumed this run at `key` (now, if no
    stored input is found, which only happens when the run is resumed without one)."""
    run_id = flow_run.get_id()
    if run_id is None:  # outside a run (tests of the step itself)
        return now()
    response_key = keyset_from_paused_state(Suspended(pause_key=key))["response"]
    with get_client(sync_client=True) as client:
        found = client.filter_flow_run_input(
            flow_run_id=UUID(run_id), key_prefix=response_key, limit=1, exclude_keys=set()
        )
    stamped = found[0].created if found else None
    return min(stamped, now()) if stamped is not None else now()


@task(persist_result=True)
def open_step_task(document_id: int, version_id: int, step: str, round_: int) -> dict[str, Any]:
    """Store the step's deadline and render its description; returns the attempt it opens."""
    with unit_of_work() as session:
        view = open_step(
            session=session,
            document_id=document_id,
            version_id=version_id,
            step=Step(step),
            at=now(),
        )
        attempt = current_attempt(
            session=session, document_id=document_id, version_id=version_id, step=Step(step)
        )
    return {"attempt": attempt, "description": describe(view, url=document_url(document_id))}


@task(persist_result=True)
def close_step_task(
    document_id: int,
    version_id: int,
    step: str,
    attempt: int,
    round_: int,
    response: dict[str, Any],
) -> dict[str, Any]:
    """Record the decision typed in the UI, unless the REST door already recorded it.

    round_ is part of the cache key: the same answer given again after a refusal (e.g. "material
    uploaded" once it really is) must be checked again, not read from the stored result."""
    return close_step(document_id, version_id, Step(step), attempt, response)


def close_step(
    document_id: int, version_id: int, step: Step, attempt: int, response: dict[str, Any]
) -> dict[str, Any]:
    """The decision of this attempt, recorded from the form unless one is there already.

    The two doors can cross: a REST decision may be committed between our look-up and our
    insert (or the UI input may arrive for a step the REST door has just closed). The refusal
    then says "already decided"; the step is nevertheless decided, so the recorded decision
    wins and the flow goes on with it instead of waiting again for a step that is over."""
    try:
        with unit_of_work() as session:
            if _recorded(session, document_id, version_id, step, attempt) is None:
                _record_from_form(session, document_id, version_id, step, response)
            status = current_status(session=session, document_id=document_id)
    except (DomainError, OperationalError) as refused:
        with unit_of_work() as session:
            recorded = _recorded(session, document_id, version_id, step, attempt)
            if recorded is None:
                if isinstance(refused, DomainError):
                    audit_refusal(session, document_id, version_id, step.value, response, refused)
                    return {"ok": False, "problem": refused.message}
                raise
            status = current_status(session=session, document_id=document_id)
        _log().warning(
            "%s of document %s was decided through channel %r meanwhile; the form input of %r "
            "is not recorded and the flow goes on with the recorded decision",
            step.value,
            document_id,
            recorded.channel,
            response.get("reviewer"),
        )
        return {"ok": True, "status": status.value, "recorded_via": recorded.channel}
    return {"ok": True, "status": status.value}


def _recorded(
    session: Session, document_id: int, version_id: int, step: Step, attempt: int
) -> Decision | None:
    return find_decision(
        session=session,
        document_id=document_id,
        version_id=version_id,
        step=step,
        attempt=attempt,
    )


def audit_refusal(
    session: Session,
    document_id: int,
    version_id: int | None,
    step: str,
    response: dict[str, Any],
    refused: DomainError,
) -> None:
    """The refused form, in the audit log: what was claimed and why the engine refused it (never
    the code itself). The engine is the actor: the named person is a claim, not a proof."""
    record_event(
        session=session,
        action=DECISION_REFUSED,
        at=now(),
        channel="ui",
        document_id=document_id,
        version_id=version_id,
        after={
            "step": step,
            "claimed_reviewer": str(response.get("reviewer", ""))[:100],
            "decision": str(response.get("decision", "")),
            "code_given": bool(str(response.get("code") or "").strip()),
        },
        reason=refused.message,
    )


def _record_from_form(
    session: Session, document_id: int, version_id: int, step: Step, response: dict[str, Any]
) -> None:
    """Record the form's decision if its one-time code proves the named reviewer typed it."""
    user = proven_reviewer(session, response)
    new_attribute = response.get("new_attribute") or None
    record_decision(
        session=session,
        document_id=document_id,
        version_id=version_id,
        step=step,
        decision=response["decision"],
        actor=user,
        actor_name=user.login,
        role=user.role,
        channel="ui",
        at=now(),
        reason_codes=list(response.get("reason_codes") or []),
        comment=response.get("comment") or "",
        new_attribute=Attribute(new_attribute) if new_attribute else None,
    )


def proven_reviewer(session: Session, response: dict[str, Any]) -> User:
    """The person the form names, if its one-time code proves they typed it: the code is
    checked (and spent, in the caller's transaction) before anything is recorded, at the instant
    the form was presented (`wait_for_form`)."""
    user = find_user(session=session, login=response["reviewer"])
    if user is None:
        raise DomainError(f"no active user signs in as {response['reviewer']!r}")
    presented = response.get(PRESENTED_AT)
    verify_code(
        session=session,
        user=user,
        code=str(response.get("code") or ""),
        key=get_settings().one_time_code_key(),
        at=datetime.fromisoformat(presented) if presented else now(),
    )
    return user


def _log() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except MissingContextError:  # called outside a run (tests of the step itself)
        return logging.getLogger("gongkai.workflows")


def suspend_key(step: Step, version_id: int, round_: int) -> str:
    """Stable per step, version and round; Prefect keys allow lowercase, digits and dashes."""
    return f"{step.value.replace('_', '-')}-v{version_id}-r{round_}"


@task(persist_result=True)
def alert_refusals_task(
    document_id: int, version_id: int, step: str, refusals: int, problem: str
) -> bool:
    """Raise an alert that a step's form keeps being refused (once per count; persisted, so a
    resumed run does not raise it again)."""
    with unit_of_work() as session:
        alert = raise_alert(
            session,
            AlertSpec(
                key=f"refusals:{document_id}:{version_id}:{step}:{refusals}",
                kind="decision.refused",
                threshold=str(refusals),
                message=f"{step} of document {document_id}: {refusals} inputs refused in a row; "
                f"the last: {problem[:500]}",
                document_id=document_id,
            ),
            at=now(),
        )
    _log().warning("%s of document %s: %s inputs refused", step, document_id, refusals)
    return alert is not None


def wait_for_decision(document_id: int, version_id: int, step: Step) -> str:
    """Suspend until a valid decision is recorded for the step; the document's new status. A
    refused input never ends the run: the step waits again with the reason, and repeated
    refusals are alerted."""
    problem = ""
    for round_ in itertools.count(1):
        opened = open_step_task(document_id, version_id, step.value, round_)
        description = opened["description"]
        if problem:
            description = f"> **上次提交未被接受:** {problem}\n\n{description}"
        answer = wait_for_form(description, suspend_key(step, version_id, round_))
        outcome = close_step_task(
            document_id, version_id, step.value, opened["attempt"], round_, answer
        )
        if outcome["ok"]:
            return str(outcome["status"])
        problem = str(outcome["problem"])
        if round_ % REFUSALS_ALERTED_EVERY == 0:
            alert_refusals_task(document_id, version_id, step.value, round_, problem)
    raise AssertionError("unreachable: the rounds never end")
