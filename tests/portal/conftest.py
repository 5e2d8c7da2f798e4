"""Portal tests reuse the API fixtures: the real app on SQLite and PostgreSQL, people, a client."""

from tests.api.conftest import app, client, people, settings  # noqa: F401
