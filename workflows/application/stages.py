"""The stages of an application, top to bottom (条例 arts. 30–37, 45): each waits while the
application is in its steps; the state lives in our tables, so a resumed run passes the stages
already left without waiting."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from policies.application_steps import ApplicationStep
from services.applications import clock_of, get_application
from services.applications.clock import refresh_deadlines
from services.calendar import calendar_for
from workflows.application.human import wait_for_application
from workflows.runtime import now, unit_of_work

S = ApplicationStep


@task(cache_policy=NO_CACHE, persist_result=False)
def register_stage(application_id: int) -> str:
    """Register (条例 art. 45 登记): the deadlines stored again (idempotent); the step."""
    with unit_of_work() as session:
        application = get_application(session, application_id)
        calendar = calendar_for(application.policy_profile, session=session)
        refresh_deadlines(session=session, application=application, calendar=calendar, at=now())
        clock_of(session, application, now())
        return application.step.value


def supplement_stage(application_id: int) -> str:
    """补正 (条例 art. 30): complete, or the applicant is asked once and supplements or not."""
    return wait_for_application(application_id, frozenset({S.COMPLETENESS, S.SUPPLEMENT}))


def identify_stage(application_id: int) -> str:
    """Search and identify (条例 art. 45 办理): the documents linked, or none exist."""
    return wait_for_application(application_id, frozenset({S.IDENTIFY}))


def consultation_stage(application_id: int) -> str:
    """Consultations (条例 arts. 32, 34): the clock paused while they are open."""
    return wait_for_application(application_id, frozenset({S.CONSULTATION}))


def reply_stage(application_id: int) -> str:
    """The reply decision (条例 arts. 33, 36, 37), the head's extension, the release review."""
    return wait_for_application(application_id, frozenset({S.REPLY, S.EXTENSION, S.RELEASE}))
