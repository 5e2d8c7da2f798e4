"""The handling of one application (依申请公开), one module per stage: register, 补正, search
and identify, consultations, the reply decision (with the extension and the release review)."""
