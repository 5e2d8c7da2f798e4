"""Intake (收文): register a submitted draft or a corrected version, run the intake checks, and
record everything — also a 退文, so the office sees its history (domain §10 rules 1, 4, 9, 11).

- `drafts`: what a submission states (the draft's fields);
- `registration`: a new document as version 1, or version n+1 after 退文, with its files,
  marking, findings, deadlines known at intake, and audit event;
- `attachments`: interpretation material sent later;
- `idempotency`: the first answer kept for an Idempotency-Key, replayed to its retries.
"""

from services.intake.attachments import add_interpretation_material
from services.intake.drafts import Draft
from services.intake.registration import IntakeResult, register_submission

__all__ = [
    "Draft",
    "IntakeResult",
    "add_interpretation_material",
    "register_submission",
]
