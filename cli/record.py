"""`gongkai verify-audit`: re-compute the record's hash chain (issue 21) and hold it against the
heads the office kept outside the database."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from config.settings import Settings
from models.db import make_engine
from services.audit_chain import KeptHead, kept_head, kept_heads_in, verify_chain


def verify_audit_command(
    settings: Settings, *, kept_heads: Sequence[str] = (), registers: Sequence[Path] = ()
) -> int:
    """Print the chain's head; exit 1 naming the first broken entry and what differs, or the
    first kept head the chain no longer carries; exit 2 when a kept head cannot be read."""
    try:
        kept = _kept(kept_heads, registers)
    except (OSError, ValueError) as error:
        print(f"verify-audit: {error}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            report = verify_chain(connection=connection, kept=kept)
    finally:
        engine.dispose()
    if report.first_break is not None:
        print(f"audit record BROKEN at {report.first_break}", file=sys.stderr)
        return 1
    matched = ""
    if kept:
        matched = f"; {len(kept)} kept head{' matches' if len(kept) == 1 else 's match'}"
    print(f"audit record valid: {report.count} entries, head {report.head_hash}{matched}")
    return 0


def _kept(kept_heads: Sequence[str], registers: Sequence[Path]) -> list[KeptHead]:
    """The heads given on the command line (`count:hash`) and in the office's register files."""
    heads = [kept_head(given) for given in kept_heads]
    for register in registers:
        heads += kept_heads_in(register.read_text(encoding="utf-8"), source=register.name)
    return heads
