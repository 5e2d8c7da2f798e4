"""The embedded default: everything on one machine under one data folder."""

from __future__ import annotations

from config.settings import Settings


def run_stack(settings: Settings) -> int:
    """Create and migrate the embedded database and report what is running."""
    from models.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.files_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print("gongkai: embedded default")
    print(f"  database      {settings.database_url}  (migrated to the newest schema)")
    print(f"  files         {settings.files_dir.resolve()}")
    print(f"  policy        profile '{settings.policy_profile}'")
    return 0
