"""The `gongkai` command: run the engine, migrate the database, manage users and tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from config.settings import get_settings


def _migrate(_: argparse.Namespace) -> int:
    from models.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print(f"database ready: {settings.database_url}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from cli.stack import run_stack

    return run_stack(get_settings())


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="gongkai", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the configured database").set_defaults(
        handler=_migrate
    )
    commands.add_parser("run", help="run the engine on its embedded default").set_defaults(
        handler=_run
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
