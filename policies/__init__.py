"""The law of disclosure review as data and pure functions.

Standard library and `chinesecalendar` data only; no clock (callers pass `as_of`), no I/O.
"""
