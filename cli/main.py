"""The `gongkai` command: run the engine, migrate the database, manage users and tokens, verify
the audit record."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from config.settings import Settings, get_settings


def _migrate(_: argparse.Namespace) -> int:
    from models.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print(f"database ready: {settings.database_url}")
    return 0


def _migration(args: argparse.Namespace) -> int:
    from models.migrate import write_migration

    print(f"written: {write_migration(args.message, args.revision)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from cli.stack import run_stack

    settings = get_settings()
    if args.workers is not None:
        settings = settings.model_copy(update={"workers": args.workers})
    return run_stack(settings)


def _worker_count(value: str) -> int:
    count = int(value) if value.strip().isdigit() else 0
    if not 1 <= count <= 32:
        raise argparse.ArgumentTypeError(f"{value!r}: a whole number of workers from 1 to 32")
    return count


def _account(command: str) -> Callable[[argparse.Namespace], int]:
    """The handler of an account command in cli/accounts.py (imported when it runs)."""

    def handler(args: argparse.Namespace) -> int:
        import cli.accounts

        run: Callable[[Settings, argparse.Namespace], int] = getattr(cli.accounts, command)
        return run(get_settings(), args)

    return handler


def _calendar_import(args: argparse.Namespace) -> int:
    from cli.calendar import import_command

    return import_command(get_settings(), args)


def _add_calendar_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calendar = commands.add_parser("calendar", help="the working-day calendar (holiday years)")
    actions = calendar.add_subparsers(dest="calendar_command", required=True)
    entered = actions.add_parser(
        "import",
        help="enter or correct a year's holiday arrangement from a CSV or JSON file "
        '(README "Entering next year\'s calendar")',
    )
    entered.add_argument("file", help="the CSV or JSON file")
    entered.add_argument("--by", required=True, help="the admin entering it (login)")
    entered.add_argument("--year", type=int, help="the year (default: that of the first date)")
    entered.set_defaults(handler=_calendar_import)


def _verify_audit(args: argparse.Namespace) -> int:
    from cli.record import verify_audit_command

    return verify_audit_command(
        get_settings(), kept_heads=args.kept_head, registers=args.kept_heads
    )


def _add_account_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("create-user", help="register a person with one role")
    user.add_argument("--name", required=True)
    user.add_argument(
        "--login",
        help="sign-in name, unique across organs (default: the name, or name@organ if taken)",
    )
    user.add_argument("--organ", required=True, help="organ code (registered if new)")
    user.add_argument("--organ-name", help="the organ's official name, for a new organ")
    user.add_argument(
        "--role",
        required=True,
        choices=["drafter", "secrecy_reviewer", "disclosure_office", "signer", "admin"],
    )
    user.add_argument(
        "--office-head",
        action="store_true",
        help="disclosure_office only: the office's head (负责人), who consents to extending an "
        "application's reply (条例 art. 33 ¶2)",
    )
    user.set_defaults(handler=_account("create_user_command"))
    token = commands.add_parser("create-token", help="issue a bearer token (printed once)")
    token.add_argument("--user", required=True, help="the user's login")
    token.add_argument("--label", default="", help="what the token is for")
    token.set_defaults(handler=_account("create_token_command"))
    revoke = commands.add_parser("revoke-token", help="revoke a token by its id")
    revoke.add_argument("--id", type=int, required=True)
    revoke.set_defaults(handler=_account("revoke_token_command"))
    sessions = commands.add_parser(
        "revoke-sessions", help="sign a person out of every browser (office, reviewer pages)"
    )
    sessions.add_argument("--user", required=True, help="the person's login")
    sessions.set_defaults(handler=_account("revoke_sessions_command"))
    assign = commands.add_parser(
        "assign-organ", help="let a secrecy reviewer or signer decide for one more organ"
    )
    assign.add_argument("--user", required=True, help="the reviewer's or signer's login")
    assign.add_argument("--organ", required=True, help="the organ's code")
    assign.set_defaults(handler=_account("assign_organ_command"))
    enrol = commands.add_parser(
        "enrol-totp", help="give a person a one-time-code secret (prints otpauth:// URI and QR)"
    )
    enrol.add_argument("--user", required=True, help="the person's login")
    enrol.add_argument("--no-qr", action="store_true", help="print the URI only")
    enrol.set_defaults(handler=_account("enrol_totp_command"))
    restart = commands.add_parser(
        "restart-review", help="restart the review of a document whose run ended at a human step"
    )
    restart.add_argument("--document", type=int, required=True, help="the document's id")
    restart.add_argument("--by", required=True, help="your login (office or admin)")
    restart.set_defaults(handler=_account("restart_review_command"))


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="gongkai", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the configured database").set_defaults(
        handler=_migrate
    )
    migration = commands.add_parser(
        "migration", help="write the migration the models need now (e.g. a new enum value)"
    )
    migration.add_argument("-m", "--message", required=True, help="what the migration does")
    migration.add_argument("--revision", help="its revision id (default: a random one)")
    migration.set_defaults(handler=_migration)
    run = commands.add_parser("run", help="run the engine on its embedded default")
    run.add_argument(
        "--workers",
        type=_worker_count,
        help="serve processes for the same deployments (default GONGKAI_WORKERS, else 1)",
    )
    run.set_defaults(handler=_run)
    _add_account_commands(commands)
    _add_calendar_commands(commands)
    verify = commands.add_parser(
        "verify-audit", help="re-compute the audit record's hash chain (exit 1 if broken)"
    )
    verify.add_argument(
        "--kept-head",
        action="append",
        default=[],
        metavar="COUNT:HASH",
        help="a head kept outside the database; the chain must still carry it (repeatable)",
    )
    verify.add_argument(
        "--kept-heads",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="the office's register of kept heads: the daily audit_chain.head lines as "
        "delivered, or COUNT:HASH, one a line (repeatable)",
    )
    verify.set_defaults(handler=_verify_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
