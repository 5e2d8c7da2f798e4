"""Applications whose Prefect run has not started, and recording the start.

The API starts the run after the registration commits; when Prefect did not answer, the
application stays without a run (every step still works over REST) and the API's sweep of
unstarted runs finds it here and starts it later.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.applications import Application
from policies.application_steps import ApplicationStep


def applications_awaiting_run_start(*, session: Session, limit: int = 100) -> list[int]:
    """Open applications with no run recorded, oldest first."""
    ids = session.exec(
        select(Application.id)
        .where(
            col(Application.flow_run_id).is_(None),
            col(Application.step) != ApplicationStep.DONE,
        )
        .order_by(col(Application.registered_at), col(Application.id))
        .limit(limit)
    ).all()
    return [i for i in ids if i is not None]


def record_application_run_started(*, session: Session, application_id: int, run: str) -> None:
    """Remember the run handling the application (the first recorded stays)."""
    application = session.get(Application, application_id, with_for_update=True)
    if application is not None and application.flow_run_id is None:
        application.flow_run_id = run
        session.add(application)
