"""`gongkai verify-audit`: re-compute the record's hash chain (issue 21)."""

from __future__ import annotations

import sys

from config.settings import Settings
from models.db import make_engine
from services.audit_chain import verify_chain


def verify_audit_command(settings: Settings) -> int:
    """Print the chain's head; exit 1 naming the first broken entry and what differs."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            report = verify_chain(connection=connection)
    finally:
        engine.dispose()
    if report.first_break is not None:
        print(f"audit record BROKEN at {report.first_break}", file=sys.stderr)
        return 1
    print(f"audit record valid: {report.count} entries, head {report.head_hash}")
    return 0
