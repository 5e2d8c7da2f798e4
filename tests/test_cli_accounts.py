"""The account commands (issue 21): logins unique across organs, organ assignment, one-time-code
enrolment with its otpauth:// URI and terminal QR code, signing a person out of every browser."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from cli.main import main
from config.settings import get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GONGKAI_DATABASE_URL", raising=False)
    monkeypatch.delenv("GONGKAI_TOTP_KEY", raising=False)
    get_settings.cache_clear()
    assert main(["migrate"]) == 0
    yield tmp_path
    get_settings.cache_clear()


def test_accounts_from_the_command_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create-user", "--name", "li", "--organ", "wm", "--role", "secrecy_reviewer"]) == 0
    assert main(["create-user", "--name", "li", "--organ", "zw", "--role", "signer"]) == 0
    assert "signs in as li@zw" in capsys.readouterr().out
    assert main(["assign-organ", "--user", "li", "--organ", "zw"]) == 0
    assert main(["assign-organ", "--user", "li", "--organ", "nowhere"]) == 1
    assert "unknown code 'nowhere'" in capsys.readouterr().err

    assert main(["enrol-totp", "--user", "li@zw"]) == 0
    shown = capsys.readouterr().out
    uri = shown.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/gongkai:li%40zw?secret=")
    assert len(shown.splitlines()) > 10  # the QR code, drawn in the terminal
    assert isinstance(pyotp.parse_uri(uri), pyotp.TOTP)
    assert stat.S_IMODE((data_dir / "totp.key").stat().st_mode) == 0o600
    assert main(["enrol-totp", "--user", "nobody", "--no-qr"]) == 1

    assert main(["revoke-sessions", "--user", "li"]) == 0
    assert "0 browser session(s) of li revoked" in capsys.readouterr().out


def test_restarting_a_review_that_has_not_ended_is_refused_by_the_command(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["create-user", "--name", "wang", "--organ", "wm", "--role", "disclosure_office"]) == 0
    )
    assert main(["create-user", "--name", "zhao", "--organ", "wm", "--role", "drafter"]) == 0
    assert main(["restart-review", "--document", "1", "--by", "zhao"]) == 1
    assert "only the office or an admin" in capsys.readouterr().err
    assert main(["restart-review", "--document", "1", "--by", "wang"]) == 1
    assert "no ended review run" in capsys.readouterr().err
