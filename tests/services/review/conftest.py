"""The review services read uploaded files through the real app: the API fixtures (SQLite and
PostgreSQL)."""

from tests.api.conftest import app, client, people, settings  # noqa: F401
