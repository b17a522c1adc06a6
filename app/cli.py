"""The `s11` command: migrate, demo, serve, worker, create-admin, send-reminders, export,
backup, restore, storage migrate.

A bad setting ends the command with one sentence on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

from app.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from app.db import check_database_reachable, make_engine, make_sessionmaker


def _alembic_config(settings: Settings):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = settings.database_url
    return config


def migrate(settings: Settings, *, revision: str = "head") -> None:
    from alembic import command

    check_database_reachable(make_engine(settings.database_url))
    command.upgrade(_alembic_config(settings), revision)


def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    migrate(settings)
    print("Database is up to date.")


def _cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from app.demo import load_demo
    from app.demo_growth import Grown, grow_real_round
    from app.questionnaires.service import PublishError

    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    try:
        with make_sessionmaker(engine).begin() as session:
            summary = load_demo(session)
            grown = Grown()
            if args.returns or args.responses:
                grown = grow_real_round(session, returns=args.returns, responses=args.responses)
    except PublishError as error:
        raise ConfigError(f"the demo questionnaires could not be published: {error}") from None
    print(
        f"Demo data ready: {summary.partnerships} partnerships, {summary.agencies} agencies "
        f"in Norfolk ({summary.voluntary_agencies} voluntary sector)"
        + (f", and {grown.returns} schools added to this year's round." if grown.returns else ".")
    )
    if grown != Grown():
        print(
            f"Grown: {grown.answers:,} answers, {grown.scores:,} panel scores, "
            f"{grown.agreed:,} agreed ratings, {grown.recommendations:,} recommendations, "
            f"{grown.actions:,} actions, {grown.last_year:,} returns last year, "
            f"{grown.responses:,} survey responses."
        )


def _cmd_create_admin(settings: Settings, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from app.audit import service as audit_service
    from app.auth import service as auth_service
    from app.directory import service as directory_service
    from app.notifications import queue as mail_queue
    from app.notifications import service as notifications_service
    from app.notifications.models import SendStatus, SentEmail

    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    try:
        with make_sessionmaker(engine).begin() as session:
            person = directory_service.make_admin(session, email=args.email, name=args.name)
            audit_service.record_event(
                session,
                actor=None,
                action="role_change",
                object_type="person",
                object_id=person.id,
                client_address="cli",
                detail={"granted": "site_admin"},
            )
            email = person.email
            # The administrator's first way in: the same single-use link the sign-in page sends.
            link = auth_service.request_sign_in_link(
                session, email=email, base_url=settings.base_url
            )
            sent = (
                notifications_service.queue_email(session, link, kind="sign_in_link")
                if link is not None
                else None
            )
            sent_id = sent.id if sent is not None else None
    except directory_service.DirectoryError as error:
        raise ConfigError(str(error)) from None
    delivered = False
    if sent_id is not None:
        # A command, not a request: it hands the link over itself, so the first sign-in
        # needs no worker running yet.
        with make_sessionmaker(engine)() as session:
            mail_queue.drain(session, settings, worker=f"create-admin-{os.getpid()}")
            status = session.scalar(select(SentEmail.status).where(SentEmail.id == sent_id))
            delivered = status in (SendStatus.SENT, SendStatus.DELIVERED)
    print(f"{email} is a site administrator.")
    if not delivered:
        print(
            f"The sign-in link could not be sent: ask for one at {settings.base_url}/sign-in "
            "once the mail server is reachable."
        )
    elif settings.smtp_host:
        print(f"A sign-in link was emailed to {email}; it works once, for 15 minutes.")
    else:
        print(
            f"A sign-in link was written to {settings.var_dir / 'outbox'} (no mail server is "
            "set: S11_SMTP_HOST); it works once, for 15 minutes."
        )


def _cmd_questionnaire_check(args: argparse.Namespace) -> int:
    from app.questionnaires.checks import check_file

    failed = False
    for path in args.files:
        result = check_file(path)
        for problem in result.problems:
            print(problem)
        if result.ok and result.questionnaire is not None:
            q = result.questionnaire
            print(
                f"{path}: ok ({q.id} version {q.version}, {len(q.sections)} sections, "
                f"{len(q.questions())} questions)"
            )
        failed = failed or not result.ok
    return 1 if failed else 0


def _cmd_questionnaire_diff(args: argparse.Namespace) -> int:
    from app.questionnaires.checks import check_file
    from app.questionnaires.compare import compare, describe

    results = [check_file(args.old), check_file(args.new)]
    for result in results:
        for problem in result.problems:
            print(problem)
    if not all(result.ok for result in results):
        return 1
    old, new = (result.questionnaire for result in results)
    assert old is not None and new is not None
    print("\n".join(describe(compare(old, new))))
    return 0


def _cmd_questionnaire_schema(args: argparse.Namespace) -> int:
    import json

    from app.questionnaires.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _cmd_questionnaire_publish(settings: Settings, args: argparse.Namespace) -> None:
    from app.questionnaires import service as questionnaire_service

    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    for path in args.files:
        try:
            with make_sessionmaker(engine).begin() as session:
                version, created = questionnaire_service.publish_file(
                    session, path=path, actor=None
                )
                summary = f"{version.questionnaire_id} version {version.version}"
                sha = version.sha256[:12]
        except questionnaire_service.PublishError as error:
            raise ConfigError(str(error)) from None
        print(f"{path}: {'published' if created else 'already published'} {summary} ({sha})")


def _cmd_send_reminders(settings: Settings, args: argparse.Namespace) -> None:
    from app.actions.reminders import send_action_reminders
    from app.auth import invitations  # noqa: F401  adds the dead-link check the retries use
    from app.cycles.reminders import send_reminders
    from app.notifications import queue as mail_queue

    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    sessions = make_sessionmaker(engine)
    reminded = send_reminders(sessions, settings, today=args.today)
    actions_due = send_action_reminders(sessions, settings, today=args.today)
    # Workers send them; handing over what is due here too keeps an installation with no
    # worker running sending, and a worker running meanwhile never sends one twice (claims).
    with sessions() as session:
        sent = mail_queue.drain(session, settings, worker=f"send-reminders-{os.getpid()}")
    print(f"{reminded} reminders queued, {actions_due} action reminders queued, {sent} emails sent")


def _cmd_retention(settings: Settings, args: argparse.Namespace) -> None:
    from app import models  # noqa: F401  # every table, so each foreign key finds its target
    from app.operations import retention
    from app.storage.backends import storage_for

    today = args.today or date.today()
    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    sessions = make_sessionmaker(engine)
    if args.apply:
        with sessions() as session:
            applied = retention.apply_retention(session, today=today)
            session.commit()
        # Only once the database no longer names them: a failed commit deletes no file.
        retention.delete_files(storage_for(settings), applied.stored_names)
        due, verb = applied.cycles, "deleted"
    else:
        with sessions() as session:
            due = retention.what_retention_deletes(session, today=today)
        verb = "would delete (dry run: add --apply)"
    for item in due:
        print(
            f"{item.cycle.slug}: ended {item.ended_on}, kept {item.years} years to "
            f"{item.keep_until}: {verb} {item.files} evidence files ({item.bytes:,} bytes) "
            f"and the text of {item.revisions} answer changes"
        )
    if not due:
        print("Nothing is past its retention period.")


def _cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    import getpass
    import os
    import platform
    from pathlib import Path

    from app.exports import exporting
    from app.exports import scope as scopes

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise ConfigError(f"--out must name an Excel file ending .xlsx, not {out.name}")
    if not out.parent.is_dir():
        raise ConfigError(f"--out names a folder that does not exist: {out.parent}")
    kind = exporting.KINDS[args.kind]
    if kind.by_agency and args.agency is None:
        raise ConfigError(f"`s11 export {kind.name}` needs --agency ID, the agency's number in s11")
    if not kind.by_agency and args.agency is not None:
        raise ConfigError(f"--agency is for `s11 export return`, not {kind.name}")
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's user may have no name
        user = f"user {os.getuid()}"
    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    # Written beside the target and renamed at the end: a failed export leaves no half a file.
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with make_sessionmaker(engine).begin() as session:
            scope = scopes.operator_scope(
                session,
                slug=args.cycle,
                generated_by=f"the s11 command line ({user} on {platform.node()})",
            )
            if scope is None:
                raise ConfigError(f"there is no cycle {args.cycle!r}")
            made = exporting.export(
                session,
                scope=scope,
                kind_name=kind.name,
                target=partial,
                agency_id=args.agency,
                client_address="cli",
            )
            if made is None:
                raise ConfigError(
                    f"agency {args.agency} has no submitted return in cycle {args.cycle}"
                )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    returns = f"{made.returns} return{'' if made.returns == 1 else 's'}"
    print(f"{out}: {made.kind.title} of {scope.cycle.name}, {returns}.")


def _cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    import signal
    import socket
    import threading

    from app import models  # noqa: F401  # every table, so each foreign key finds its target
    from app.auth import invitations  # noqa: F401  adds the dead-link check before each send
    from app.notifications.queue import run_worker

    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    stop = threading.Event()

    def stopping(signum, frame):  # type: ignore[no-untyped-def]
        # The message being handed over finishes and is marked; the rest go back at once.
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    print(f"s11 mail worker {name} is delivering ({settings.env}). SIGTERM stops it.", flush=True)
    run_worker(make_sessionmaker(engine), settings, worker=name, stop=stop)
    print(f"s11 mail worker {name} stopped.", flush=True)


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from app.storage.backends import checked_storage

    check_database_reachable(make_engine(settings.database_url))
    checked_storage(settings)
    print(f"s11 is serving on http://{args.host}:{args.port} ({settings.env}). Ctrl+C stops it.")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        log_level="info",
        access_log=False,  # paths carry sign-in tokens: s11 logs each request as JSON instead
    )


def _cmd_storage_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from app.operations.archive import recorded_files
    from app.storage.backends import StorageUnavailable, checked_storage, open_storage
    from app.storage.migrating import ChecksumMismatch, copy_files

    source = checked_storage(settings)
    try:
        target = open_storage(
            args.to,
            endpoint_url=settings.storage_endpoint_url,
            region=settings.storage_region,
            staging=settings.var_dir / "staging",
        )
    except ValueError as error:
        raise ConfigError(f"--to is not a storage URL ({args.to!r}): {error}") from None
    if target.url == source.url:
        raise ConfigError(f"--to names the store already in use ({source.url})")
    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    with engine.connect() as connection:
        checksums = {name: sha256 for name, (sha256, _size) in recorded_files(connection).items()}
    try:
        target.check()
        copied = copy_files(source, target, checksums=checksums)
    except (StorageUnavailable, ChecksumMismatch) as error:
        raise ConfigError(str(error).replace("S11_STORAGE_URL", "--to", 1)) from None
    print(
        f"Copied {copied.files} evidence files ({copied.bytes / 1024 / 1024:.1f} MB) from "
        f"{source.url} to {target.url}; {copied.already_there} were there already. Every "
        "checksum matched."
    )
    if copied.unrecorded:
        print(f"{len(copied.unrecorded)} files no return or action names were copied too.")
    print(f"Now set S11_STORAGE_URL={args.to} on every app process and restart them.")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from pathlib import Path

    from app import models  # noqa: F401  # every table, so the backup counts each
    from app.operations.archive import BackupError, verify
    from app.operations.backup import make_backup
    from app.storage.backends import checked_storage

    try:
        if args.verify:
            checked = verify(Path(args.verify))
            m = checked.manifest
            counts = "every table's row count and " if checked.counts_checked else ""
            print(
                f"{args.verify} is whole: {counts}every checksum matches its manifest "
                f"(s11 {m.s11_version}, schema {m.alembic_revision}, made {m.made_at}; "
                f"{checked.rows} rows in {len(m.tables)} tables, "
                f"{checked.files} evidence files, {_size(checked.bytes)})."
            )
            return
        storage = checked_storage(settings)
        engine = make_engine(settings.database_url)
        check_database_reachable(engine)
        made = make_backup(engine, storage, Path(args.out))
    except BackupError as error:
        raise ConfigError(str(error)) from None
    m = made.manifest
    print(
        f"Backed up {made.rows} rows in {len(m.tables)} tables and {len(m.files)} evidence "
        f"files to {made.path} in {made.seconds:.1f} s (s11 {m.s11_version}, schema "
        f"{m.alembic_revision}). Check it with: s11 backup --verify {made.path}"
    )


def _cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from app import models  # noqa: F401  # every table, so the backup counts each
    from app.operations.archive import BackupError
    from app.operations.restore import restore
    from app.storage.backends import checked_storage

    storage = checked_storage(settings)
    engine = make_engine(settings.database_url)
    check_database_reachable(engine)
    try:
        done = restore(Path(args.file), engine, storage, database_setting="S11_DATABASE_URL")
    except BackupError as error:
        raise ConfigError(str(error)) from None
    finally:
        engine.dispose()
    if done.migrated_from:
        migrate(settings)
    m = done.manifest
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(
        f"Restored the backup made {m.made_at} by s11 {m.s11_version}: {done.rows} rows in "
        f"{len(m.tables)} tables into {shown}, and {done.files} evidence files "
        f"({_size(done.bytes)}) into {storage.url}. Every row count and checksum matched."
    )
    if done.migrated_from:
        print(f"Its schema ({done.migrated_from}) was brought up to date with `s11 migrate`.")


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], None]] = {
    "migrate": _cmd_migrate,
    "demo": _cmd_demo,
    "serve": _cmd_serve,
    "worker": _cmd_worker,
    "create-admin": _cmd_create_admin,
    "send-reminders": _cmd_send_reminders,
    "export": _cmd_export,
    "retention": _cmd_retention,
    "questionnaire publish": _cmd_questionnaire_publish,
    "storage migrate": _cmd_storage_migrate,
    "backup": _cmd_backup,
    "restore": _cmd_restore,
}

# Commands that read files only: they need no settings and no database.
FILE_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "questionnaire check": _cmd_questionnaire_check,
    "questionnaire diff": _cmd_questionnaire_diff,
    "questionnaire schema": _cmd_questionnaire_schema,
}


def _export_kinds(argv: Sequence[str]) -> list[str]:
    """The workbooks `s11 export` makes, from the exports registry; read only when exporting,
    as importing it would add half a second to every other command (cron's included)."""
    if not argv or argv[0] != "export":
        return []
    from app.exports.exporting import KINDS

    return list(KINDS)


def _parser(export_kinds: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s11", description="Section 11 self-assessment platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date (Alembic)")
    demo = commands.add_parser(
        "demo", help="load the demo partnership, agencies and people (idempotent)"
    )
    demo.add_argument(
        "--returns",
        type=int,
        default=0,
        help="grow this year's round with schools to this many returns, filled as real ones "
        "are: answers, panel scores, agreed ratings, recommendations, actions, last year's",
    )
    demo.add_argument(
        "--responses",
        type=int,
        default=0,
        help="grow this year's frontline survey to this many responses",
    )
    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    worker = commands.add_parser(
        "worker", help="deliver queued email until stopped (run one or more beside the app)"
    )
    worker.add_argument("--name", default=None, help="how this worker signs its claims")
    admin = commands.add_parser("create-admin", help="make a person a site administrator")
    admin.add_argument("email")
    admin.add_argument("--name", default=None)
    reminders = commands.add_parser(
        "send-reminders", help="remind leads of deadlines, send what is due (run from cron)"
    )
    reminders.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    kept = commands.add_parser(
        "retention",
        help="list closed rounds' evidence and answer histories past their period; "
        "--apply deletes them (run from cron)",
    )
    kept.add_argument("--apply", action="store_true", help="delete, rather than list")
    kept.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    export = commands.add_parser(
        "export", help="write a workbook of a cycle: s11 export KIND --cycle SLUG --out FILE.xlsx"
    )
    export.add_argument("kind", choices=list(export_kinds) or None, help="the workbook to write")
    export.add_argument("--cycle", required=True, help="the cycle's short name, e.g. s11-2021")
    export.add_argument("--out", required=True, help="the Excel file to write (.xlsx)")
    export.add_argument("--agency", type=int, default=None, help="the agency's number (return)")
    questionnaire = commands.add_parser("questionnaire", help="check, compare and publish")
    actions = questionnaire.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="check questionnaire files; exit 1 on any problem")
    check.add_argument("files", nargs="+")
    diff = actions.add_parser("diff", help="list added, removed, moved and reworded questions")
    diff.add_argument("old")
    diff.add_argument("new")
    actions.add_parser("schema", help="print the JSON Schema of the questionnaire format")
    publish = actions.add_parser("publish", help="freeze questionnaire versions in the database")
    publish.add_argument("files", nargs="+")
    backup = commands.add_parser(
        "backup", help="write the database and every evidence file to one archive, or check one"
    )
    what = backup.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", help="the archive to write (.tar, or .tar.gz to compress it)")
    what.add_argument("--verify", metavar="FILE", help="check an archive's every checksum")
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty database and evidence store"
    )
    restore.add_argument("file", help="the archive `s11 backup --out` wrote")
    storage = commands.add_parser("storage", help="the evidence file store")
    storage_actions = storage.add_subparsers(dest="action", required=True)
    migrate_files = storage_actions.add_parser(
        "migrate", help="copy every evidence file to another store, checking each checksum"
    )
    migrate_files.add_argument("--to", required=True, help="file:///path or s3://bucket/prefix")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(_export_kinds(argv)).parse_args(argv)
    grouped = ("questionnaire", "storage")
    name = f"{args.command} {args.action}" if args.command in grouped else args.command
    if name in FILE_COMMANDS:
        return FILE_COMMANDS[name](args)
    try:
        settings = load_settings()
        COMMANDS[name](settings, args)
    except ConfigError as error:
        print(f"s11: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
