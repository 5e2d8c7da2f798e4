"""Secrets the engine makes for itself on first run and keeps under the data folder, readable
by its owner only (mode 0600): the key that encrypts one-time-code secrets, the Prefect
server's credential; and the data folder itself, which only its owner may enter (mode 0700):
it holds unpublished drafts, applicants' personal data and the Prefect database with the
reviewers' form answers."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path


class SecretFileUnsafe(RuntimeError):
    """A secret file that others than its owner may read or write."""


def secret_file(path: Path, make: Callable[[], str]) -> str:
    """The secret kept in path, made (by `make`) and written with mode 0600 if there is none.

    A file that group or others may read is refused, not silently used: its secret may be
    known; fix its mode (chmod 600) or replace it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretFileUnsafe(
                f"{path} has mode {mode:o}; others may read it: run `chmod 600 {path}`"
            ) from None
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        value = make()
        handle.write(value + "\n")
    return value


def private_folder(path: Path) -> bool:
    """Make the folder (mode 0700) if there is none, or take group's and others' access away
    from one that has it; whether access was taken away. Everything under it — the databases,
    the stored files, Prefect's runs and their form answers — is then out of other local
    accounts' reach, whatever mode the files themselves were written with."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return False
    path.chmod(mode & 0o700)
    return True
