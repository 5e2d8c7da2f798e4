"""The web server's access log without the secrets that travel in a path: an applicant's
delivery link (`/applications/deliveries/<token>`) opens the released files for anyone who has
it, so the token is never written to a log (条例 art. 40: the files go to the applicant only)."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"  # uvicorn's access log: (client, method, path, version, status)
_SECRET_IN_PATH = re.compile(r"(/applications/deliveries/)[^/?#\s]+")
REDACTED = "…"


def redacted(path: str) -> str:
    """The path with every secret it carries replaced."""
    return _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", path)


class RedactedAccessLog(logging.Filter):
    """Replaces the secrets in the path of each access-log line (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's path argument in place; always let the line through."""
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log() -> None:
    """Install the filter on the access log, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactedAccessLog) for f in logger.filters):
        logger.addFilter(RedactedAccessLog())
