"""Time handed to services: callers pass "now", and it must be timezone-aware."""

from __future__ import annotations

from datetime import datetime


def require_aware(at: datetime) -> datetime:
    """Refuse a naive datetime: every stored timestamp is an instant (design.md Time)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass a timezone-aware datetime")
    return at
