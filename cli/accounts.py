"""CLI commands for people, their credentials and organs, and the office's restart of a stranded
review; each runs in units of work of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import anyio
import segno
from sqlmodel import Session

from config.settings import Settings
from models.db import make_engine, session_scope
from models.organs import Organ
from models.users import User
from policies.roles import Role
from services.accounts import (
    assign_organ,
    create_user,
    ensure_organ,
    find_user,
    issue_token,
    organ_id_for,
    revoke_browser_sessions_of,
    revoke_token,
)
from services.errors import DomainError
from services.office.stranded import record_restart, review_to_restart
from services.one_time_codes import enrol


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    """One session committed once; the engine is disposed afterwards."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _report(error: DomainError) -> int:
    print(f"error: {error.message}", file=sys.stderr)
    return 1


def create_user_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai create-user --name --organ --role: register a person."""
    try:
        with _unit_of_work(settings) as session:
            organ = ensure_organ(session=session, code=args.organ, name=args.organ_name, at=_now())
            user = create_user(
                session=session,
                name=args.name,
                organ=organ,
                role=Role(args.role),
                at=_now(),
                login=args.login,
                office_head=getattr(args, "office_head", False),
            )
            print(
                f"user {user.id}: {user.name} ({user.role}) in organ {organ.code}, "
                f"signs in as {user.login}"
            )
    except DomainError as error:
        return _report(error)
    return 0


def create_token_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai create-token --user NAME [--label]: print a new token once."""
    try:
        with _unit_of_work(settings) as session:
            user = find_user(session=session, login=args.user)
            row, plain = issue_token(session=session, user=user, label=args.label, at=_now())
            print(f"token {row.id} for {user.name} (shown once, store it now):", file=sys.stderr)
            print(plain)
    except DomainError as error:
        return _report(error)
    return 0


def revoke_token_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai revoke-token --id N: revoke a token."""
    try:
        with _unit_of_work(settings) as session:
            row = revoke_token(session=session, token_id=args.id, at=_now())
            print(f"token {row.id} revoked at {row.revoked_at}")
    except DomainError as error:
        return _report(error)
    return 0


def assign_organ_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai assign-organ --user LOGIN --organ CODE: one more organ a reviewer decides for."""
    try:
        with _unit_of_work(settings) as session:
            user = find_user(session=session, login=args.user)
            organ = session.get(Organ, organ_id_for(session, args.organ))
            assert organ is not None
            assign_organ(session=session, user=user, organ=organ, at=_now())
            print(f"{user.login} ({user.role}) decides for organ {organ.code}")
    except DomainError as error:
        return _report(error)
    return 0


def enrol_totp_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai enrol-totp --user LOGIN: a new one-time-code secret; prints its otpauth:// URI and
    a QR code for the authenticator app (once: the secret is stored encrypted only)."""
    try:
        with _unit_of_work(settings) as session:
            user = find_user(session=session, login=args.user)
            uri = enrol(session=session, user=user, key=settings.one_time_code_key(), at=_now())
    except DomainError as error:
        return _report(error)
    print(f"one-time codes for {user.login}: scan the QR code or enter the URI (shown once)")
    if not args.no_qr:
        segno.make(uri, error="m").terminal(compact=True)
    print(uri)
    return 0


def revoke_sessions_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai revoke-sessions --user LOGIN: sign a person out of every browser."""
    try:
        with _unit_of_work(settings) as session:
            user = find_user(session=session, login=args.user)
            ended = revoke_browser_sessions_of(session=session, user=user, at=_now())
            print(f"{ended} browser session(s) of {user.login} revoked")
    except DomainError as error:
        return _report(error)
    return 0


def restart_review_command(settings: Settings, args: argparse.Namespace) -> int:
    """gongkai restart-review --document N --by LOGIN: a fresh review run for a document whose
    run ended at a human step (the office's action, as POST /office/documents/{id}/
    restart-review)."""
    from api.review_starter import ReviewStarter

    try:
        with _unit_of_work(settings) as session:
            by = check_office(find_user(session=session, login=args.by))
            review = review_to_restart(session=session, document_id=args.document)
        flow_run_id = anyio.run(ReviewStarter(settings).start, review)
        if flow_run_id is None:
            return _report(DomainError("Prefect did not answer: the review was not restarted"))
        with _unit_of_work(settings) as session:
            record_restart(
                session=session,
                document_id=args.document,
                flow_run_id=flow_run_id,
                by=by,
                at=_now(),
            )
    except DomainError as error:
        return _report(error)
    print(f"document {args.document}: review restarted as flow run {flow_run_id}")
    return 0


def check_office(user: User) -> User:
    """The person, if the office or an admin (who restart reviews)."""
    if user.role not in (Role.DISCLOSURE_OFFICE, Role.ADMIN):
        raise DomainError(f"{user.login} is '{user.role}': only the office or an admin restarts")
    return user
