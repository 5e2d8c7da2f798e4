"""Intake (收文): register a submitted draft or a corrected version, run the intake checks, and
record everything — also a 退文, so the office sees its history (domain §10 rules 1, 4, 9, 11).

- `submissions`: what a submission is (the draft, its uploads, the recorded result);
- `registration`: a new document as version 1; `resubmission`: version n+1 after 退文;
- `versions`: recording one version (files, marking, findings, audit, 退文);
- `attachments`: files sent with a version, and interpretation material sent later;
- `deadlines`: the deadlines known at intake.
"""

from services.intake.attachments import INTERPRETATION_KINDS, add_interpretation_material
from services.intake.drafts import (
    MATERIAL_ADDED,
    SUBMISSION_RECEIVED,
    SUBMISSION_RETURNED,
    Draft,
    IntakeResult,
    Upload,
    profile_named,
    submission_of,
)
from services.intake.registration import register_submission
from services.intake.resubmission import resubmit

__all__ = [
    "INTERPRETATION_KINDS",
    "MATERIAL_ADDED",
    "SUBMISSION_RECEIVED",
    "SUBMISSION_RETURNED",
    "Draft",
    "IntakeResult",
    "Upload",
    "add_interpretation_material",
    "profile_named",
    "register_submission",
    "resubmit",
    "submission_of",
]
