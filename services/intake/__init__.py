"""Intake (收文): register a submitted draft or a corrected version, run the intake checks, and
record everything — also a 退文, so the office sees its history (domain §10 rules 1, 4, 9, 11).

- `drafts`: what a submission carries (the draft's fields, its uploads, the recorded result);
- `registration`: a new document as version 1, or version n+1 after 退文;
- `attachments`: files sent with a version, and interpretation material sent later;
- `deadlines`: the deadlines known at intake;
- `idempotency`: the first answer kept for an Idempotency-Key, replayed to its retries.
"""

from services.intake.attachments import add_interpretation_material
from services.intake.drafts import Draft, IntakeResult, Upload
from services.intake.registration import register_submission

__all__ = [
    "Draft",
    "IntakeResult",
    "Upload",
    "add_interpretation_material",
    "register_submission",
]
