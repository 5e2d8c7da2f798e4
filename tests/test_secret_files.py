"""config/secrets.py: a secret made on first use is kept with mode 0600 and reused; a file that
others may read is refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from config.secrets import SecretFileUnsafe, private_folder, secret_file
from config.settings import Settings


def test_a_secret_is_made_once_with_mode_0600_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "auth"
    made = secret_file(path, lambda: "s3cret")
    assert made == "s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_file(path, lambda: "other") == "s3cret"


def test_a_secret_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "auth"
    path.write_text("s3cret\n")
    path.chmod(0o644)
    with pytest.raises(SecretFileUnsafe, match="chmod 600"):
        secret_file(path, lambda: "other")


def test_the_one_time_code_key_is_the_setting_or_a_key_file_under_the_data_folder(
    tmp_path: Path,
) -> None:
    from_file = Settings(data_dir=tmp_path).one_time_code_key()
    assert (tmp_path / "totp.key").read_text().strip().encode() == from_file
    assert Settings(data_dir=tmp_path, totp_key="k" * 44).one_time_code_key() == b"k" * 44


def test_the_data_folder_is_made_for_its_owner_only_and_an_open_one_is_closed(
    tmp_path: Path,
) -> None:
    """Other local accounts must not read the drafts, the applicants' data or the Prefect
    database with the reviewers' form answers that the data folder holds."""
    made = tmp_path / "new" / "data"
    assert private_folder(made) is False
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    open_one = tmp_path / "open"
    open_one.mkdir()
    open_one.chmod(0o755)
    assert private_folder(open_one) is True
    assert stat.S_IMODE(open_one.stat().st_mode) == 0o700
    assert private_folder(open_one) is False
