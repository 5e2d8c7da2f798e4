"""cli/stack.py: `make run` locks its Prefect server (issue 21) with a credential made on first
run, kept under the data folder with mode 0600, and sent by every client; CORS its own origin."""

from __future__ import annotations

import stat
from pathlib import Path

from cli.stack import _prefect_env, without_password
from config.settings import Settings


def test_the_first_run_makes_the_prefect_credential_and_every_process_gets_it(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, prefect_api_url="http://127.0.0.1:4300/api")
    env = _prefect_env(settings)
    credential = env["PREFECT_SERVER_API_AUTH_STRING"]
    user, _, password = credential.partition(":")
    assert user == "gongkai"
    assert len(password) >= 32
    assert env["PREFECT_API_AUTH_STRING"] == credential
    assert env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] == "http://127.0.0.1:4300"
    kept = tmp_path / "prefect-auth"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _prefect_env(settings)["PREFECT_API_AUTH_STRING"] == credential  # the same next run


def test_the_banner_shows_a_database_url_without_its_password() -> None:
    shown = without_password("postgresql://gongkai:s3cret-pw@127.0.0.1:5432/gongkai")
    assert "s3cret-pw" not in shown
    assert shown.startswith("postgresql://gongkai:")
    assert without_password("sqlite:///data/gongkai.db") == "sqlite:///data/gongkai.db"
