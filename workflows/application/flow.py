"""The handling of one application: register → 补正 → search and identify → consultations →
reply (with extension and release review). One flow run per application, served as deployment
"application/default"; parameters are ids; human steps wait suspended."""

from __future__ import annotations

from prefect import flow

from policies.application_steps import ApplicationStep
from workflows.application.stages import (
    consultation_stage,
    identify_stage,
    register_stage,
    reply_stage,
    supplement_stage,
)

APPLICATION_FLOW = "application"
DONE = ApplicationStep.DONE.value


@flow(name=APPLICATION_FLOW, persist_result=True)
def handle_application(application_id: int) -> str:
    """Take the application through its stages; returns the step it ends in ("done")."""
    step = register_stage(application_id)
    for stage in (supplement_stage, identify_stage, consultation_stage, reply_stage):
        if step == DONE:
            break
        step = stage(application_id)
    return step
