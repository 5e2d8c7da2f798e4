"""The review (审查) of a submitted version: its status changes (the one writer), the human steps
and their decisions (policies/steps.py), the automatic steps (the marking re-check, the secrecy
pre-screen, the interpretation advance), starting its flow, and the re-reviews of documents kept
from the public (periodic and at the end of a secrecy period) with their keep-or-convert
decisions.

- `status`: the one function that changes a document's status;
- `steps`: a human step opened, deadlines per kind, the calendar of a profile;
- `checks`: the automatic steps;
- `decisions`: a person's decision on a step (both doors, the Prefect form and REST);
- `starts`: versions and materials whose review run has not started, and recording its start;
- `rereviews`, `secrecy_expiry`, `rereview_decisions`: re-reviews created, listed, decided.
"""

from services.review.checks import (
    DEFAULT_TERMS,
    advance_interpretation,
    has_interpretation_material,
    needs_interpretation,
    prescreen_version,
    recheck_marking,
    submission_of,
)
from services.review.decisions import (
    DecisionInvalid,
    NotAllowed,
    current_attempt,
    find_decision,
    find_user,
    record_decision,
)
from services.review.rereview_decisions import ConversionRefused, RereviewOutcome, decide_rereview
from services.review.rereviews import (
    RereviewTask,
    count_overdue_rereviews,
    create_due_rereviews,
    get_rereview,
    list_rereviews,
    task_of,
)
from services.review.secrecy_expiry import create_expiry_rereviews
from services.review.starts import (
    ReviewToStart,
    materials_awaiting_review_start,
    record_material_review_started,
    record_review_started,
    versions_awaiting_review_start,
)
from services.review.status import change_status
from services.review.steps import (
    StepView,
    current_status,
    open_step,
    require_current_version,
    store_deadline,
)

__all__ = [
    "DEFAULT_TERMS",
    "ConversionRefused",
    "DecisionInvalid",
    "NotAllowed",
    "RereviewOutcome",
    "RereviewTask",
    "ReviewToStart",
    "StepView",
    "advance_interpretation",
    "change_status",
    "count_overdue_rereviews",
    "create_due_rereviews",
    "create_expiry_rereviews",
    "current_attempt",
    "current_status",
    "decide_rereview",
    "find_decision",
    "find_user",
    "get_rereview",
    "has_interpretation_material",
    "list_rereviews",
    "materials_awaiting_review_start",
    "needs_interpretation",
    "open_step",
    "prescreen_version",
    "recheck_marking",
    "record_decision",
    "record_material_review_started",
    "record_review_started",
    "require_current_version",
    "store_deadline",
    "submission_of",
    "task_of",
    "versions_awaiting_review_start",
]
