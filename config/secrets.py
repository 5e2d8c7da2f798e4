"""Secrets the engine makes for itself on first run and keeps under the data folder, readable
by its owner only (mode 0600): the key that encrypts one-time-code secrets, the Prefect
server's credential."""

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
