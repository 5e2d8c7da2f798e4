"""The scheduled deployments the serve process runs beside the review deployment.

Each entry names a flow by import path, its deployment name and how often it runs. Every
scheduled flow takes an optional `as_of` (ISO timestamp; default: now) so that it can be run by
hand from the Prefect UI for a past or future instant, and each is idempotent: running it twice
for the same instant changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Scheduled:
    """A flow (`"package.module:flow_name"`) deployed as `name`, run every `every`."""

    flow: str
    name: str
    every: timedelta
    description: str


SCHEDULED: tuple[Scheduled, ...] = (
    Scheduled(
        "workflows.validity:expire_validity",
        "hourly",
        timedelta(hours=1),
        "Published documents past their validity end date become 已失效 (seed 004 §二(二)).",
    ),
    Scheduled(
        "workflows.lifecycle:check_windows_flow",
        "every-10-minutes",
        timedelta(minutes=10),
        "Publication (2 h, seed 000 §三(二十二); 20 WD, 条例 art. 26) and interpretation windows "
        "(3 WD, seeds 002, 004): alerts at the configured shares and when overdue.",
    ),
    Scheduled(
        "workflows.lifecycle:create_rereviews_flow",
        "daily",
        timedelta(days=1),
        "Re-reviews of filed documents (条例 art. 18) and at the end of secrecy periods "
        "(保密法 2024 arts. 20, 24); never publishes by itself.",
    ),
    Scheduled(
        "workflows.office_digest:office_digest",
        "hourly",
        timedelta(hours=1),
        "Office digest: documents near or past their stage allowance (local choices, "
        "profiles.py), one alert per threshold, delivered with the pending alerts.",
    ),
    Scheduled(
        "workflows.calendar:recount_deadlines_flow",
        "daily",
        timedelta(days=1),
        "Working-day calendar: every open deadline counted again on the loaded years (an import "
        "recounts its year at once; this sweep catches anything else), audited, alerts on an "
        "old due time withdrawn and the windows checked again (issue 20).",
    ),
    Scheduled(
        "workflows.audit_check:verify_audit",
        "daily",
        timedelta(days=1),
        "The audit record's hash chain re-computed (issue 21): an alert naming the first broken "
        "entry, else the chain's head (count, hash) delivered with the digest.",
    ),
    Scheduled(
        "workflows.reconcile:repair_forms",
        "every-10-minutes",
        timedelta(minutes=10),
        "Suspended review runs whose decision form was not saved (the Prefect API unreachable "
        "for a moment) get it back, so that reviewers can decide them without a restart.",
    ),
    Scheduled(
        "workflows.reconcile:find_stranded_reviews",
        "every-10-minutes",
        timedelta(minutes=10),
        "Review runs that ended (Failed, Crashed, Cancelled) while their document waits at a "
        "human step are listed for the office, which restarts the review at the same step.",
    ),
)


def load_flow(path: str) -> Any:
    """The flow object at "module:attribute"."""
    module, _, attribute = path.partition(":")
    return getattr(import_module(module), attribute)
