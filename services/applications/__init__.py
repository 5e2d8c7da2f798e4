"""Applications for government information (依申请公开, 条例 arts. 27–45): registration with
idempotency and fees, the statutory clock and its deadlines, linked documents and conversion
proposals, replies, what each person may see, and table 三 of the annual report."""

from services.applications.clock import (
    CLOCK_EVENT_RECORDED,
    clock_events,
    clock_of,
    record_clock_event,
)
from services.applications.letter import ReplyLetter, reply_letter
from services.applications.links import (
    DOCUMENT_LINKED,
    distinct_recipients,
    link_document,
    propose_conversions,
)
from services.applications.office import OpenApplication, open_application_deadlines
from services.applications.registration import (
    APPLICATION_REGISTERED,
    ApplicationRequest,
    applicant_key,
    register_application,
)
from services.applications.releases import (
    DELIVERY_USED,
    delivered_file,
    delivery_files,
    delivery_link,
    pending_releases,
    released_files,
)
from services.applications.replies import APPLICATION_REPLIED, ReplyRequest, record_reply
from services.applications.report import application_records, computed_table_three
from services.applications.runs import (
    applications_awaiting_run_start,
    record_application_run_started,
)
from services.applications.steps import APPLICATION_ACTION, ApplicationAction, take_action
from services.applications.views import (
    PERSONAL_DATA_ROLES,
    Applicant,
    ApplicationView,
    application_view,
    get_application,
    linked_document_ids,
)

__all__ = [
    "APPLICATION_ACTION",
    "APPLICATION_REGISTERED",
    "APPLICATION_REPLIED",
    "CLOCK_EVENT_RECORDED",
    "DELIVERY_USED",
    "DOCUMENT_LINKED",
    "PERSONAL_DATA_ROLES",
    "Applicant",
    "ApplicationAction",
    "ApplicationRequest",
    "ApplicationView",
    "OpenApplication",
    "ReplyLetter",
    "ReplyRequest",
    "applicant_key",
    "application_records",
    "application_view",
    "applications_awaiting_run_start",
    "clock_events",
    "clock_of",
    "computed_table_three",
    "delivered_file",
    "delivery_files",
    "delivery_link",
    "distinct_recipients",
    "get_application",
    "link_document",
    "linked_document_ids",
    "open_application_deadlines",
    "pending_releases",
    "propose_conversions",
    "record_application_run_started",
    "record_clock_event",
    "record_reply",
    "register_application",
    "released_files",
    "reply_letter",
    "take_action",
]
