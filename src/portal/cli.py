"""`portal run | serve | worker | metrics | db migrate | demo [customer | download-request] | import`,
`portal payments refunds | refunded`, `portal access list | remove | allow-old-bills`, `portal mail test`.

`portal run` is the one-command development stack: embedded PostgreSQL (unless DATABASE_URL is set),
migrations, demo data on an empty database, then the web server, the job worker and the sandbox bank as
child processes (`dev_stack`); Ctrl-C stops the children, then the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import asyncpg
import structlog
from redis.exceptions import RedisError

from portal import clock
from portal.infra import command_errors, preflight
from portal.infra.command_arguments import counts, file_path, operator_name, positive_int, processes, shown
from portal.settings import ConfigurationError, Settings, is_loopback


def _use_database(url: str) -> Settings:
    """Export the database's URL, so that child processes (and Piccolo, which reads it on import) use
    the same one, and read the settings with it."""
    os.environ["DATABASE_URL"] = url
    # Piccolo finds its engine through PICCOLO_CONF: `portal serve` and `portal worker` need it as much
    # as `portal run` (a deployment may still point it elsewhere).
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    settings = Settings.from_env()
    preflight.check(settings)
    clock.configure(settings)
    return settings


def _settings_with_database() -> Settings:
    """Read the settings; with no DATABASE_URL, start the embedded database (or use the running one)."""
    settings = Settings.from_env()
    preflight.check_folders(settings)  # before the logging's import declares the metrics (see there)
    from portal.web.logging import configure_logging

    # The commands' log lines are JSON on standard error, as the web server's and the worker's are
    # (`portal run`, the development console, keeps its own words).
    configure_logging(settings.log_level)
    if settings.database.url:
        return _use_database(settings.database.url)
    from portal.db import embedded

    return _use_database(embedded.start(settings.database.embedded_dir))


async def _prepare(settings: Settings, *, load_demo: bool) -> str | None:
    from portal.db.migrate import migrate
    from portal.demo.describe import describe_demo
    from portal.demo.load import load_demo_if_empty

    await migrate()
    # Never the demo's users, whose passwords the README publishes, in a production database.
    if not load_demo or settings.is_production:
        return None
    if await load_demo_if_empty(settings):
        print("Loaded the demo data into the empty database.", flush=True)
    return await describe_demo(settings)


async def _migrated(settings: Settings) -> None:
    """The commands' database, migrated. In production migrations run once, from one place
    (`portal db migrate` before the new code, docs/deploy.md), never from a cron job's import that
    happens to run a newer release first: there a database behind this release stops the command."""
    from portal.db.migrate import migrate, pending

    missing = await pending()
    if missing and settings.is_production:
        raise ConfigurationError(
            f"the database lacks {missing} of this release's migrations: run `portal db migrate` first"
            " (docs/deploy.md, Upgrades)"
        )
    if missing:
        with contextlib.redirect_stdout(sys.stderr):  # Piccolo's lines: the command's report stays alone
            await migrate()


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.database.url:
        return _run_stack(_use_database(settings.database.url), args)
    from portal.db import embedded

    try:
        with embedded.running(settings.database.embedded_dir) as url:
            exit_code = _run_stack(_use_database(url), args)
    except embedded.InUse:
        print(
            f"The portal is already running from this folder ({settings.web.base_url}/ unless its PORT"
            " differs): use it, or stop it (Ctrl-C where it runs) first.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print("Stopped the embedded PostgreSQL.", flush=True)
    return exit_code


def _run_stack(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, load the demo, then supervise the web server, the worker and their companions."""
    from portal.dev_stack import supervise_stack

    demo = asyncio.run(_prepare(settings, load_demo=not args.no_demo))
    return supervise_stack(settings, demo)


def _warn_if_not_for_customers(settings: Settings) -> None:
    """Development and test set-ups allow what customers must never meet (published demo passwords, the
    development keys, the clock set by hand); reached from elsewhere, they may be taken for the real
    site. Allowed, since a developer exposes one through a tunnel to try the real gateway's test
    environment, but said once at start, where whoever runs it looks."""
    if settings.is_production or is_loopback(urlsplit(settings.web.base_url).hostname):
        return
    structlog.get_logger("portal.cli").warning(
        "settings.not_for_customers",
        advice=f"BASE_URL {settings.web.base_url} is not this machine, but PORTAL_ENV is"
        f" {settings.environment}: a {settings.environment} set-up, not fit for customers."
        " For customers, set PORTAL_ENV=production (docs/deploy.md).",
    )


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings_with_database()
    _warn_if_not_for_customers(settings)
    preflight.check_listen("HOST", settings.web.host, "PORT", settings.web.port)
    # A web process of a release whose migrations the database lacks would answer with 500s.
    asyncio.run(_migrated(settings))
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=settings.web.host,
        port=settings.web.port,
        workers=args.workers,
        log_config=None,
        # RequestLogMiddleware logs each request once, with its id; uvicorn's line would repeat it.
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.web.forwarded_allow_ips,
        server_header=False,
        # An idle connection is closed by the client or the proxy first, never while it sends a request
        # on it: with uvicorn's 5 s, a browser (or proxy) reusing a connection 5 s after the last page
        # raced the close and got "connection reset" (3 of 39,865 requests in the 200-user load test).
        # 75 s is longer than the usual clients' and proxies' idle timeouts (nginx 60 s, cloud LBs 60 s).
        timeout_keep_alive=75,
        timeout_graceful_shutdown=10,
    )
    return 0


def cmd_sandbox_bank(args: argparse.Namespace) -> int:
    """The sandbox bank alone: one process (its operations live in memory), never in production."""
    import uvicorn

    from portal.payments.sandbox.app import sandbox_url

    settings = Settings.from_env()
    if settings.is_production:
        raise ConfigurationError("The sandbox bank is for development and tests: not in production")
    preflight.check_listen("HOST", settings.web.host, "SANDBOX_BANK_PORT", settings.gateway.sandbox_port)
    print(
        f"The sandbox bank is at {sandbox_url(settings)}/ (port {settings.gateway.sandbox_port})", flush=True
    )
    uvicorn.run(
        "portal.payments.sandbox.app:create_sandbox_app",
        factory=True,
        host=settings.web.host,
        port=settings.gateway.sandbox_port,
        workers=1,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    """The metrics exporter: every portal process of this machine (through PROMETHEUS_MULTIPROC_DIR), the
    queue depth and the outbox backlog, on METRICS_HOST:METRICS_PORT."""
    import uvicorn

    settings = _settings_with_database()
    if not settings.metrics.port or settings.metrics.multiprocess_dir is None:
        raise ConfigurationError(
            "portal metrics needs METRICS_PORT and PROMETHEUS_MULTIPROC_DIR (the folder this machine's web"
            " and worker processes write their metrics to)"
        )
    preflight.check_listen("METRICS_HOST", settings.metrics.host, "METRICS_PORT", settings.metrics.port)
    # Imported once the settings made the metrics folder: the exporter declares the metrics (see
    # preflight.check_folders).
    from portal.infra.exporter import create_metrics_app

    uvicorn.run(
        create_metrics_app(settings),
        host=settings.metrics.host,
        port=settings.metrics.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings_with_database()
    # A worker of a release whose migrations the database lacks would fail every job, its sweeps' too.
    asyncio.run(_migrated(settings))
    # Imported once the settings are known good: the jobs bring WeasyPrint (≈ 2 s), which a worker with
    # a wrong setting should not wait for before it says so.
    from jobs.settings import run_worker

    asyncio.run(run_worker(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings_with_database()
    asyncio.run(_prepare(settings, load_demo=False))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _test_data_settings()
    from portal.demo.load import load_demo  # after the settings' check, as in cmd_worker
    from portal.demo.scale import load_scale_bills

    asyncio.run(_migrated(settings))
    if args.bills:
        asyncio.run(load_scale_bills(settings, args.bills))
    else:
        asyncio.run(load_demo(settings))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    settings = _settings_with_database()
    from portal.imports.command import import_file, print_history  # as in cmd_worker

    asyncio.run(_migrated(settings))
    if args.history:
        print_history()
        return 0
    return import_file(
        args.file, settings, dry_run=args.dry_run, render=not args.no_render, errors=args.errors, by=args.by
    )


def cmd_payments_refunds(args: argparse.Namespace) -> int:
    from portal.payments.refunds import refunds

    settings = _settings_with_database()
    asyncio.run(_migrated(settings))
    found = asyncio.run(refunds(include_refunded=args.all))
    for refund in found:
        print(refund.line())
    print(f"{len(found)} card payments" + (" (refunded or not)" if args.all else " to refund"))
    return 0


def cmd_payments_refunded(args: argparse.Namespace) -> int:
    from portal.payments.refunds import mark_refunded

    settings = _settings_with_database()
    asyncio.run(_migrated(settings))
    if not asyncio.run(mark_refunded(args.order)):
        print(
            f"portal payments refunded: {shown(args.order)} is not a card payment to refund", file=sys.stderr
        )
        return 1
    print(f"{shown(args.order)}: refund recorded")
    return 0


def cmd_access(args: argparse.Namespace) -> int:
    from portal.accounts import access_command

    settings = _settings_with_database()
    asyncio.run(_migrated(settings))
    return asyncio.run(access_command.run(args, settings))


def _test_data_settings() -> Settings:
    """Settings for the commands that add demo or a test's own data (to a migrated database), which have
    no place in production (the demo's users have published passwords)."""
    settings = _settings_with_database()
    if settings.is_production:
        raise ConfigurationError("Test data is for development and tests: not in production")
    return settings


def cmd_demo_customer(args: argparse.Namespace) -> int:
    settings = _test_data_settings()  # first: it makes the metrics folder, which the imports' metrics need
    from portal.db.tables.users import UserKind
    from portal.demo.fresh import add_customer

    customer = asyncio.run(
        add_customer(
            settings,
            identity=args.identity,
            pending=args.pending,
            user=UserKind(args.user) if args.user else None,
            password=args.password,
            online_bill=not args.paper,
        )
    )
    print(json.dumps(customer, ensure_ascii=False))
    return 0


def cmd_demo_download_request(args: argparse.Namespace) -> int:
    _test_data_settings()  # as in cmd_demo_customer
    from portal.db.tables.downloads import DownloadState
    from portal.demo.fresh import add_download_request

    print(asyncio.run(add_download_request(args.username, DownloadState(args.state), args.name)))
    return 0


def cmd_mail_test(args: argparse.Namespace) -> int:
    settings = _settings_with_database()  # as in cmd_demo_customer
    from portal.infra.queue import UNREACHABLE, disconnect, make_queue
    from portal.notifications.outbox import enqueue_email, store_email
    from portal.templating import make_environment

    async def send() -> int:
        email_id = await store_email(
            make_environment(settings),
            dedupe_key=f"test:{time.time_ns()}",
            template="test",
            to_address=args.to,
            context={},
        )
        queue = make_queue(settings, max_connections=1)
        try:
            await queue.connect()
        except UNREACHABLE:  # a Postgres queue that does not answer: the outbox's sweep queues it
            structlog.get_logger("portal.mail").warning("mail.enqueue_postponed", email_id=email_id)
        else:
            await enqueue_email(queue, email_id)  # a Redis queue that does not answer: the same
        finally:
            await disconnect(queue)
        return email_id

    email_id = asyncio.run(send())
    print(f"Queued test email {email_id} to {args.to}; a running worker sends it.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="Customer Service Area")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="database, migrations, demo data, web server, worker and sandbox bank")
    run.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="the web server only")
    serve.add_argument("--workers", type=processes, default=1, help="web server processes")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="the job worker only").set_defaults(func=cmd_worker)
    sub.add_parser(
        "metrics", help="the Prometheus exporter of this machine's processes, on METRICS_PORT"
    ).set_defaults(func=cmd_metrics)
    sub.add_parser(
        "sandbox-bank", help="the sandbox bank only (a test card gateway on SANDBOX_BANK_PORT)"
    ).set_defaults(func=cmd_sandbox_bank)
    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply the migrations").set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="load the deterministic demo data (or scale data with --bills)")
    demo.add_argument("--bills", type=positive_int, default=0, help="add N generated bills for benchmarks")
    demo.set_defaults(func=cmd_demo)
    imp = sub.add_parser(
        "import",
        help="load the billing system's customers, accounts, bills and payments; issue the bills",
    )
    # Either a file or --history, which lists the runs of every file (their records keep the name as given
    # and the content's SHA-256: none says which runs were "this" file, given by another path or piped).
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "file", nargs="?", type=file_path, metavar="FILE", help="the JSON Lines file, or - for standard input"
    )
    imp.add_argument("--dry-run", action="store_true", help="check every line and write nothing")
    imp.add_argument(
        "--no-render", action="store_true", help="leave the new bills' PDFs to their first request"
    )
    imp.add_argument(
        "--errors", type=file_path, metavar="FILE", help="write every rejected line to FILE as JSON Lines"
    )
    imp.add_argument(
        "--by", type=operator_name, help="who runs the import, for its record (default: the system user)"
    )
    source.add_argument("--history", action="store_true", help="list the latest runs, of every file")
    imp.set_defaults(func=cmd_import)
    payments = sub.add_parser("payments", help="card payments: those to refund")
    payments_sub = payments.add_subparsers(dest="payments_command", required=True)
    refunds = payments_sub.add_parser(
        "refunds", help="card payments authorised for something already paid another way: refund them"
    )
    refunds.add_argument("--all", action="store_true", help="also those already refunded")
    refunds.set_defaults(func=cmd_payments_refunds)
    refunded = payments_sub.add_parser("refunded", help="record that a payment to refund was refunded")
    refunded.add_argument("order", help="the payment's order number")
    refunded.set_defaults(func=cmd_payments_refunded)
    access = sub.add_parser("access", help="who can see an account; removing an access")
    access.set_defaults(func=cmd_access)
    access_sub = access.add_subparsers(dest="access_command", required=True)
    access_sub.add_parser("list", help="the users who can see an account").add_argument("account")
    remove = access_sub.add_parser("remove", help="a user no longer sees an account; their sessions end")
    remove.add_argument("username", help="the user's username (or email address)")
    remove.add_argument("account")
    remove.add_argument(
        "--all-accounts", action="store_true", help="the holder's own user: all its accounts, and unlink"
    )
    remove.add_argument(
        "--by", type=operator_name, help="who removes it, for the audit record (default: the system user)"
    )
    allow = access_sub.add_parser("allow-old-bills", help="old bills prove the account again")
    allow.add_argument("account")
    allow.add_argument(
        "--by", type=operator_name, help="who allows them, for the audit record (default: the system user)"
    )
    demo_sub = demo.add_subparsers(dest="demo_command")
    customer = demo_sub.add_parser(
        "customer", help="add a new customer (and user) with bills of its own, for a test; prints JSON"
    )
    customer.add_argument(
        "--identity", choices=["dni", "nie", "cif"], default="dni", help="holder's document"
    )
    customer.add_argument(
        "--pending",
        type=counts,
        default=[1],
        help="one account per number: how many of its latest bills are unpaid",
    )
    customer.add_argument("--user", choices=["private", "company", "administrator"], help="add a user")
    customer.add_argument("--password", default="fresh customer password 7", help="the user's password")
    customer.add_argument("--paper", action="store_true", help="bills on paper (online bill off)")
    customer.set_defaults(func=cmd_demo_customer)
    request = demo_sub.add_parser(
        "download-request", help="add a failed or expired download request of a user, for a test"
    )
    request.add_argument("--username", required=True)
    request.add_argument("--state", choices=["failed", "expired"], required=True)
    request.add_argument("--name", required=True, help="the file's name, without .zip")
    request.set_defaults(func=cmd_demo_download_request)
    mail = sub.add_parser("mail", help="email commands")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    test = mail_sub.add_parser("test", help="send a test email through the outbox and the worker")
    test.add_argument("--to", required=True, help="recipient address")
    test.set_defaults(func=cmd_mail_test)
    return parser


_SERVERS = {"serve", "worker", "metrics", "sandbox-bank"}
"""The commands that stop gracefully on SIGTERM by themselves (uvicorn's, SAQ's handlers)."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with command_errors.said_when_stopped(sigterm=args.command not in _SERVERS):
            return int(args.func(args))
    except ConfigurationError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2
    except asyncpg.PostgresError as exc:
        print(command_errors.database_refused(exc), file=sys.stderr)
        return 2
    except (OSError, RedisError) as exc:
        # One line, not a traceback. Neither kind of message holds a URL's password. A service that
        # answered at start went away (or the queue never did):
        if command_errors.failed_to_connect(exc):
            print(f"portal: {exc}: check that the queue (QUEUE_URL) and the database answer", file=sys.stderr)
        else:
            print(f"portal: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
