"""Every command started with a setting that points nowhere (a malformed URL, a database that does not
answer, a storage folder that cannot be written, an address it cannot listen on, an unknown value) stops
with one line on standard error that names the setting, exit status 2, no traceback, and never the password
of a URL; so does one whose database goes away, or that meets another system error, while it runs. A count
below 1 is refused before anything starts."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import free_port
from tests.processes import run_portal

PASSWORD = "pw-n0t-t0-be-printed"


def _portal(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_portal(*args, without=["QUEUE_URL"], **env)


def _assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert PASSWORD not in output, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("portal: "), output
    for word in words:
        assert word in lines[0], output


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["db", "migrate"], ["import", "-"]])
def test_a_database_that_does_not_answer(command: list[str]) -> None:
    url = f"postgresql://portal:{PASSWORD}@127.0.0.1:{free_port()}/portal"
    result = _portal(*command, DATABASE_URL=url, PORT=str(free_port()))
    _assert_one_line(result, "DATABASE_URL", "portal:***@127.0.0.1")


def test_a_database_that_does_not_answer_with_its_password_given_as_a_parameter() -> None:
    """libpq and asyncpg also take the password as a parameter of the URL (`?password=…`)."""
    port = free_port()
    url = f"postgresql://portal@127.0.0.1:{port}/portal?sslmode=disable&password={PASSWORD}&sslpassword={PASSWORD}"
    _assert_one_line(
        _portal("worker", DATABASE_URL=url),
        f"portal@127.0.0.1:{port}/portal?sslmode=disable&password=***&sslpassword=***",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "db.internal:5432/portal"),
        ("DATABASE_URL", f"postgresql://portal:{PASSWORD}@db.internal:54x2/portal"),
        ("QUEUE_URL", f"redis://:{PASSWORD}@queue.internal:port/0"),
        ("QUEUE_URL", "queue.internal:6379"),
        # Parameters the queue's client does not know: a TypeError traceback at its first connection.
        ("QUEUE_URL", f"redis://:{PASSWORD}@queue.internal:6379/0?sockettimeout=2"),
        ("QUEUE_URL", f"redis://:{PASSWORD}@queue.internal:6379/0?socket_timeout=soon"),
        ("QUEUE_URL", f"postgresql://portal:{PASSWORD}@db.internal/portal?sslmod=require"),
        ("MAIL_URL", f"smtp://portal:{PASSWORD}@mail.internal:submission"),
        ("MAIL_URL", "mail.internal:587"),
        ("STORAGE_URL", f"https://portal:{PASSWORD}@s3.internal/bills"),
        ("LOG_LEVEL", "loud"),
        ("BASE_URL", "portal.example.com"),
        ("DEFAULT_LANGUAGE", "fr"),
    ],
)
def test_a_malformed_setting(name: str, value: str) -> None:
    _assert_one_line(_portal("worker", **{name: value}), name)


def test_a_database_url_with_a_parameter_the_queue_does_not_take() -> None:
    """The queue is in the database unless QUEUE_URL says otherwise: its client must take the URL too."""
    url = f"postgresql://portal:{PASSWORD}@127.0.0.1:{free_port()}/portal?sslmod=require"
    _assert_one_line(_portal("worker", DATABASE_URL=url), "DATABASE_URL", 'parameter: "sslmod"')


def test_a_storage_folder_that_cannot_be_written(tmp_path: Path) -> None:
    in_a_file = tmp_path / "a-file"
    in_a_file.write_text("not a folder")
    result = _portal("serve", STORAGE_URL=f"file:{in_a_file}/files", PORT=str(free_port()))
    _assert_one_line(result, "STORAGE_URL", str(in_a_file))


@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
def test_a_queue_that_does_not_answer_keeps_the_test_email_in_the_outbox(scheme: str) -> None:
    """Either kind says at once that it does not answer (a Postgres queue's pool once waited 30 s for it,
    and stopped the command with a PoolTimeout traceback)."""
    result = _portal(
        "mail",
        "test",
        "--to",
        "ops@example.com",
        QUEUE_URL=f"{scheme}://:{PASSWORD}@127.0.0.1:{free_port()}/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stdout + result.stderr
    assert "Queued test email" in result.stdout


@pytest.mark.parametrize(
    "command", [["payments", "refunds"], ["mail", "test", "--to", "ops@example.com"], ["demo", "customer"]]
)
def test_a_metrics_folder_that_does_not_exist_yet_is_made(command: list[str], tmp_path: Path) -> None:
    """docs/deploy.md: PROMETHEUS_MULTIPROC_DIR is made if missing (prometheus-client opens its files
    there as soon as the metrics are declared, which stopped every command with a bare FileNotFoundError:
    a command that imports them before reading its settings still did)."""
    folder = tmp_path / "not-yet" / "metrics"
    result = _portal(*command, PROMETHEUS_MULTIPROC_DIR=str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert folder.is_dir()


def test_a_metrics_folder_that_cannot_be_written(tmp_path: Path) -> None:
    in_a_file = tmp_path / "a-file"
    in_a_file.write_text("not a folder")
    result = _portal("worker", PROMETHEUS_MULTIPROC_DIR=f"{in_a_file}/metrics")
    _assert_one_line(result, "PROMETHEUS_MULTIPROC_DIR", str(in_a_file))


@contextmanager
def _listening() -> Iterator[int]:
    """A port of this machine that another program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        yield taken.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])  # with 2, uvicorn binds in the parent, before the app loads
def test_a_port_in_use(workers: str) -> None:
    with _listening() as port:
        result = _portal("serve", "--workers", workers, PORT=str(port))
    _assert_one_line(result, f"cannot listen on 127.0.0.1:{port} (PORT): address already in use")


def test_an_address_not_of_this_machine() -> None:
    port = free_port()
    result = _portal("serve", HOST="203.0.113.1", PORT=str(port))  # TEST-NET-3: never this machine's
    _assert_one_line(result, f"cannot listen on 203.0.113.1:{port} (HOST): cannot assign requested address")


def test_the_sandbox_banks_port_in_use() -> None:
    with _listening() as port:
        result = _portal("sandbox-bank", SANDBOX_BANK_PORT=str(port))
    _assert_one_line(result, f"127.0.0.1:{port} (SANDBOX_BANK_PORT): address already in use")


def test_the_metrics_port_in_use(tmp_path: Path) -> None:
    """Its metrics folder not made yet, too: the exporter's import, which declares the metrics, waits for
    the settings' check to make it (it stopped with a bare FileNotFoundError)."""
    with _listening() as port:
        result = _portal(
            "metrics", METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "not-yet" / "metrics")
        )
    _assert_one_line(result, f"127.0.0.1:{port} (METRICS_PORT): address already in use")


@pytest.mark.parametrize(
    "arguments", [["serve", "--workers", "0"], ["serve", "--workers", "-2"], ["demo", "--bills", "0"]]
)
def test_a_count_below_one(arguments: list[str]) -> None:
    """Refused before anything starts (uvicorn ran `--workers 0` as one process, silently); a database that
    does not answer stops the command quickly should the parser ever let the count through."""
    result = _portal(*arguments, DATABASE_URL=f"postgresql://portal@127.0.0.1:{free_port()}/portal")
    assert result.returncode == 2, result.stdout + result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error == (
        f"portal {arguments[0]}: error: argument {arguments[1]}: must be a whole number of at least 1,"
        f" not '{arguments[2]}'"
    ), result.stderr


def test_more_web_processes_than_the_machine_can_run() -> None:
    """A slip of a few more digits in `--workers` started processes until the memory ran out."""
    cores = os.cpu_count() or 1
    for workers in (str(4 * cores + 1), "9" * 100):
        result = _portal(
            "serve", "--workers", workers, DATABASE_URL=f"postgresql://portal@127.0.0.1:{free_port()}/portal"
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert (
            result.stderr.strip()
            .splitlines()[-1]
            .startswith(
                f"portal serve: error: argument --workers: must be at most {4 * cores} (4 for each of this"
                f" machine's {cores} cores), not '{workers[:60]}'"
            )
        ), result.stderr


@pytest.mark.parametrize("pending", ["abc", "", "1,,2", "-1", "1 2", "\u0663"])
def test_pending_counts_that_are_not_counts(pending: str) -> None:
    """`portal demo customer --pending` took "abc" to a ValueError traceback, and -1 as a count."""
    result = _portal(
        "demo",
        "customer",
        "--pending",
        pending,
        DATABASE_URL=f"postgresql://portal@127.0.0.1:{free_port()}/portal",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "portal demo customer: error: argument --pending: must be whole numbers of 0 or more, such as 2,0,"
        f" not {pending!r}"
    ), result.stderr


@contextmanager
def _database_that_goes_away() -> Iterator[str]:
    """A DATABASE_URL whose server (the test run's, through a relay) answers the first connection, the
    command's start-up check, and then refuses any other: a database that went away as the command ran."""
    url = urlsplit(os.environ["DATABASE_URL"])
    socket_folder = parse_qs(url.query).get("host")  # the embedded PostgreSQL: a Unix socket only
    listener = socket.create_server(("127.0.0.1", 0))

    def pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)

    def relay() -> None:
        with listener:
            client, _ = listener.accept()
        if socket_folder:
            server = socket.socket(socket.AF_UNIX)
            server.connect(f"{socket_folder[0]}/.s.PGSQL.{url.port or 5432}")
        else:
            server = socket.create_connection((url.hostname, url.port or 5432))
        with client, server:
            back = threading.Thread(target=pump, args=(server, client))
            back.start()
            pump(client, server)
            back.join()

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    credentials = url.netloc.rpartition("@")[0]
    yield f"postgresql://{credentials}@127.0.0.1:{listener.getsockname()[1]}{url.path}"
    thread.join(timeout=30)


def test_a_database_that_goes_away_after_the_start() -> None:
    with _database_that_goes_away() as url:
        result = _portal("db", "migrate", DATABASE_URL=url)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    # Piccolo's own warning about the connection comes first: the command's line is the last.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("portal: [Errno 111] Connect call failed ('127.0.0.1', "), result.stderr
    assert last.endswith(": check that the queue (QUEUE_URL) and the database answer"), result.stderr


def test_a_system_error_is_said_as_it_is(tmp_path: Path) -> None:
    """Not every OSError is a service that does not answer: the embedded database's folder inside a file."""
    in_a_file = tmp_path / "a-file"
    in_a_file.write_text("not a folder")
    result = run_portal(
        "db", "migrate", without=["QUEUE_URL", "DATABASE_URL"], PORTAL_PGDATA=f"{in_a_file}/pg"
    )
    _assert_one_line(result, "Not a directory", str(in_a_file))
    assert "QUEUE_URL" not in result.stderr and "answer" not in result.stderr, result.stderr
