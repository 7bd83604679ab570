"""Configuration read from the environment: one frozen dataclass per concern.

Every field names the variable it comes from; README.md has the same table for operators.
`Settings.from_env()` is the only place that reads `os.environ` for configuration.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.setting_checks import (
    bad_forwarded_entry,
    estimated_bits,
    is_merchant_key,
    is_web_address,
    redacted,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: templates/, static/ and var/ live beside src/."""

DEV_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 (refused in production)
DEV_MAIL_URL = "dev:"
SANDBOX_GATEWAY_SECRET = "sq7HjrUOBfKmC576ILgskD5srU870gJ7"  # noqa: S105 (the public test key; refused in production)
TEST_MERCHANT_CODE = "999008881"  # Redsys' public test merchant (refused in production)


class ConfigurationError(RuntimeError):
    """The environment asks for something unsafe or impossible; the process must not start."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from exc


def is_loopback(host: str | None) -> bool:
    """Whether `host` (as a URL or a socket names it) is this machine: `localhost`, 127.0.0.0/8 or ::1, an
    IPv4 one also as a dual-stack socket gives it (::ffff:127.0.0.1). No other name is taken for it."""
    if host and host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def _service_url(name: str, schemes: frozenset[str], example: str) -> str | None:
    """The URL in `name`, checked for what a connection needs (scheme, a port that is a number) so that
    a typo stops the process with this one line, not a driver's traceback later; never its password."""
    url = os.environ.get(name, "").strip()
    if not url:
        return None
    problem = f"{name} must look like {example}, not {redacted(url)!r}"
    try:
        parts: SplitResult = urlsplit(url)
        parts.port  # noqa: B018 (read for its check: a port that is not a number raises ValueError)
    except ValueError:
        raise ConfigurationError(problem) from None
    # PostgreSQL may name its host (a Unix socket's folder) in the query instead: ?host=/run/postgresql
    socket = parts.scheme in _POSTGRESQL and "host=" in parts.query
    if parts.scheme not in schemes or not (parts.hostname or socket):
        raise ConfigurationError(problem)
    return url


_POSTGRESQL = frozenset({"postgresql", "postgres"})


def _mail_url() -> str:
    if _env("MAIL_URL", DEV_MAIL_URL) == DEV_MAIL_URL:
        return DEV_MAIL_URL
    url = _service_url(
        "MAIL_URL", frozenset({"smtp", "smtps"}), "smtp://user:password@host:587 or smtps://…:465"
    )
    assert url is not None  # set, as just seen
    return url


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _env_bool(name: str) -> bool:
    """A yes or no: a value that is neither (a typo) is refused rather than read as no."""
    raw = _env(name, "false").lower()
    if raw not in {"true", "1", "yes", "false", "0", "no"}:
        raise ConfigurationError(f"{name} must be true or false, not {raw!r}")
    return raw in {"true", "1", "yes"}


@dataclass(frozen=True)
class DatabaseSettings:
    url: str | None
    """DATABASE_URL: PostgreSQL URL. Unset: `portal run` starts an embedded PostgreSQL under var/pg."""
    embedded_dir: Path
    """PORTAL_PGDATA: data folder of the embedded PostgreSQL (keep the path short: its socket is there)."""


@dataclass(frozen=True)
class QueueSettings:
    url: str | None
    """QUEUE_URL: `redis://…` (Redis queue) or `postgresql://…` (Postgres queue); unset: the database."""
    concurrency: int
    """WORKER_CONCURRENCY: jobs one worker process runs at once."""


@dataclass(frozen=True)
class WebSettings:
    base_url: str
    """BASE_URL: the address customers use, e.g. https://portal.example.com (links in emails, cookies)."""
    secret_key: str
    """SECRET_KEY: long random string that signs tokens; required in production."""
    host: str
    """HOST: interface the web server binds to."""
    port: int
    """PORT: port the web server listens on."""
    session_idle_minutes: int = 30
    """SESSION_IDLE_MINUTES: a signed-in session ends after this long without a request."""
    session_absolute_hours: int = 12
    """SESSION_ABSOLUTE_HOURS: a signed-in session ends this long after sign-in, whatever happens."""
    forwarded_allow_ips: str = "127.0.0.1,::1"
    """FORWARDED_ALLOW_IPS (uvicorn's variable, which `portal serve` passes on): the reverse proxies,
    addresses or networks (10.0.0.0/24), comma-separated, whose X-Forwarded-For gives the client's address."""

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class MailSettings:
    url: str
    """MAIL_URL: `smtp://user:pass@host:port`, `smtps://…` (implicit TLS), or `dev:` (development mailbox)."""
    sender: str
    """MAIL_FROM: the From address of every email."""

    @property
    def is_dev_mailbox(self) -> bool:
        return self.url == DEV_MAIL_URL


@dataclass(frozen=True)
class StorageSettings:
    """Where generated files (bill PDFs, bills-due documents, receipts, download zips) are kept."""

    url: str
    """STORAGE_URL: `file:var/files` (a folder, the default; STORAGE_DIR=FOLDER says the same) or
    `s3://BUCKET[/prefix]`, an S3-compatible bucket that every web process and worker shares."""
    s3_endpoint: str = ""
    """AWS_ENDPOINT_URL: the S3 server, e.g. http://127.0.0.1:8333; unset: Amazon S3."""
    s3_region: str = ""
    """AWS_REGION (or AWS_DEFAULT_REGION): the bucket's region."""
    s3_access_key_id: str = ""
    """AWS_ACCESS_KEY_ID: unset: the credentials of the machine's role, as the AWS tools find them."""
    s3_secret_access_key: str = field(default="", repr=False)
    """AWS_SECRET_ACCESS_KEY."""
    s3_allow_http: bool = False
    """AWS_ALLOW_HTTP: `true` to reach an endpoint over plain http (a test server on loopback)."""

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def folder(self) -> Path | None:
        """The local folder of a `file:` URL; None for a bucket."""
        if not self.url.startswith("file:"):
            return None
        return Path(self.url.removeprefix("file:").removeprefix("//"))

    @classmethod
    def from_env(cls) -> StorageSettings:
        url = _env("STORAGE_URL", "")
        if not url:
            url = f"file:{_env('STORAGE_DIR', str(PROJECT_ROOT / 'var' / 'files'))}"
        if not (url.startswith("file:") and len(url) > len("file:")) and not (
            url.startswith("s3://") and url.removeprefix("s3://").strip("/")
        ):
            raise ConfigurationError(
                f"STORAGE_URL must be file:FOLDER or s3://BUCKET[/prefix], not {redacted(url)!r}"
            )
        return cls(
            url=url,
            s3_endpoint=_env("AWS_ENDPOINT_URL", ""),
            s3_region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "")),
            s3_access_key_id=_env("AWS_ACCESS_KEY_ID", ""),
            s3_secret_access_key=_env("AWS_SECRET_ACCESS_KEY", ""),
            s3_allow_http=_env_bool("AWS_ALLOW_HTTP"),
        )


@dataclass(frozen=True)
class IssuerSettings:
    """The utility as it appears on bills and in the Cuaderno 57 payment codes."""

    name: str
    """ISSUER_NAME: the utility's name printed on bills and in the EPC QR code."""
    tax_id: str
    """ISSUER_TAX_ID: the utility's CIF."""
    code: str
    """ISSUER_CODE: Cuaderno 57 issuer (emisora), 8 digits."""
    bill_suffix: str
    """ISSUER_BILL_SUFFIX: suffix for bills (000–499: no deadline check)."""
    document_suffix: str
    """ISSUER_DOCUMENT_SUFFIX: suffix for bills-due documents (500–999: identification is a deadline)."""
    document_days: int
    """ISSUER_DOCUMENT_DAYS: days a bills-due document can be paid at the bank; its deadline is
    today plus this (not the bills' due dates, which are past for overdue bills)."""
    iban: str
    """ISSUER_IBAN: account that receives transfers (EPC QR code)."""
    bic: str
    """ISSUER_BIC: BIC of that account."""
    customer_service_phone: str = "900 000 000"
    """CUSTOMER_SERVICE_PHONE: the customer service phone number, in the footer of every page and in
    the messages that refuse too many attempts ("…or call us")."""


@dataclass(frozen=True)
class GatewaySettings:
    """Card payments through the Redsys redirect protocol (a sandbox bank in development)."""

    url: str
    """GATEWAY_URL: the gateway's payment form address (`…/realizarPago`)."""
    merchant_code: str
    """GATEWAY_MERCHANT_CODE: the merchant number (FUC)."""
    terminal: str
    """GATEWAY_TERMINAL: the terminal number."""
    secret: str
    """GATEWAY_SECRET: the merchant key (SHA-256 secret) as Redsys gives it: Base64 of a 24-byte 3DES key."""
    sandbox_port: int
    """SANDBOX_BANK_PORT: port of the sandbox bank that `portal run` starts in development."""


@dataclass(frozen=True)
class DownloadSettings:
    """Massive bills download: limits of a request and how long its zip is kept."""

    max_bills: int = 10_000
    """DOWNLOAD_MAX_BILLS: the most bills one request may hold."""
    max_in_progress: int = 3
    """DOWNLOAD_MAX_IN_PROGRESS: requests one user may have queued or being prepared at once."""
    retention_days: int = 7
    """DOWNLOAD_RETENTION_DAYS: days a ready zip is kept; then it is deleted (the request shows "expired")."""
    heartbeat_seconds: int = 60
    """DOWNLOAD_HEARTBEAT_SECONDS: a zip job that reports no progress for this long counts as stuck, is
    swept and retried (by any worker)."""
    timeout_seconds: int = 7200
    """DOWNLOAD_TIMEOUT_SECONDS: the longest one attempt at building a zip may take."""


@dataclass(frozen=True)
class LocaleSettings:
    timezone: str = "Europe/Madrid"
    """TIMEZONE: the customers' time zone (IANA name): "today" and every time shown are in it."""
    language: str = "en"
    """DEFAULT_LANGUAGE: the language of whoever has chosen none (`en` or `es`; see README, Languages)."""


def _env_instant(name: str) -> dt.datetime | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        instant = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an ISO 8601 date and time, not {raw!r}") from exc
    if instant.tzinfo is None:
        raise ConfigurationError(f"{name} must give its UTC offset, e.g. 2027-03-01T09:00:00+01:00")
    return instant


def _zone_name(name: str, default: str) -> str:
    value = _env(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"{name} must be an IANA time zone such as Europe/Madrid, not {value!r}"
        ) from exc
    return value


@dataclass(frozen=True)
class MetricsSettings:
    port: int | None = None
    """METRICS_PORT: where `portal metrics` serves /metrics for Prometheus; unset: no metrics are served."""
    host: str = "127.0.0.1"
    """METRICS_HOST: interface `portal metrics` binds to (loopback: reach it through the machine's agent or
    an internal network only, never the public proxy)."""
    multiprocess_dir: Path | None = None
    """PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable): a folder every portal process of the
    machine writes its figures to and `portal metrics` adds up; empty it before the processes start."""


@dataclass(frozen=True)
class Settings:
    environment: str
    """PORTAL_ENV: `development` (default), `test` or `production`."""
    database: DatabaseSettings
    queue: QueueSettings
    web: WebSettings
    mail: MailSettings
    storage: StorageSettings
    issuer: IssuerSettings
    gateway: GatewaySettings
    downloads: DownloadSettings = field(default_factory=DownloadSettings)
    locale: LocaleSettings = field(default_factory=LocaleSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    clock_start: dt.datetime | None = None
    """PORTAL_NOW: start the clock at this instant (ISO 8601 with its offset) and let it run from there, to
    see the portal "as of" a date in demos and QA; unset: the real time. Refused in production."""
    log_level: str = field(default="INFO")
    """LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls) -> Settings:
        port = _env_int("PORT", 8000)
        sandbox_port = _env_int("SANDBOX_BANK_PORT", 8001)
        settings = cls(
            environment=_env("PORTAL_ENV", "development"),
            database=DatabaseSettings(
                url=_service_url("DATABASE_URL", _POSTGRESQL, "postgresql://user:password@host:5432/db"),
                embedded_dir=Path(_env("PORTAL_PGDATA", str(PROJECT_ROOT / "var" / "pg"))),
            ),
            queue=QueueSettings(
                url=_service_url(
                    "QUEUE_URL", _POSTGRESQL | {"redis", "rediss"}, "redis://host:6379/0 or postgresql://…"
                ),
                concurrency=_env_int("WORKER_CONCURRENCY", 4),
            ),
            web=WebSettings(
                base_url=_env("BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
                secret_key=_env("SECRET_KEY", DEV_SECRET_KEY),
                host=_env("HOST", "127.0.0.1"),
                port=port,
                session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 30),
                session_absolute_hours=_env_int("SESSION_ABSOLUTE_HOURS", 12),
                forwarded_allow_ips=_env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            ),
            mail=MailSettings(
                url=_mail_url(),
                sender=_env("MAIL_FROM", "Customer Service Area <no-reply@aguas.example>"),
            ),
            storage=StorageSettings.from_env(),
            issuer=IssuerSettings(
                name=_env("ISSUER_NAME", "Aguas de Ejemplo, S.A."),
                tax_id=_env("ISSUER_TAX_ID", "A58818501"),
                code=_env("ISSUER_CODE", "58818501"),
                bill_suffix=_env("ISSUER_BILL_SUFFIX", "001"),
                document_suffix=_env("ISSUER_DOCUMENT_SUFFIX", "501"),
                document_days=_env_int("ISSUER_DOCUMENT_DAYS", 10),
                iban=_env("ISSUER_IBAN", "ES9121000418450200051332"),
                bic=_env("ISSUER_BIC", "CAIXESBBXXX"),
                customer_service_phone=_env("CUSTOMER_SERVICE_PHONE", "900 000 000"),
            ),
            gateway=GatewaySettings(
                url=_env("GATEWAY_URL", f"http://127.0.0.1:{sandbox_port}/sis/realizarPago"),
                merchant_code=_env("GATEWAY_MERCHANT_CODE", TEST_MERCHANT_CODE),
                terminal=_env("GATEWAY_TERMINAL", "1"),
                secret=_env("GATEWAY_SECRET", SANDBOX_GATEWAY_SECRET),
                sandbox_port=sandbox_port,
            ),
            downloads=DownloadSettings(
                max_bills=_env_int("DOWNLOAD_MAX_BILLS", 10_000),
                max_in_progress=_env_int("DOWNLOAD_MAX_IN_PROGRESS", 3),
                retention_days=_env_int("DOWNLOAD_RETENTION_DAYS", 7),
                heartbeat_seconds=_env_int("DOWNLOAD_HEARTBEAT_SECONDS", 60),
                timeout_seconds=_env_int("DOWNLOAD_TIMEOUT_SECONDS", 7200),
            ),
            locale=LocaleSettings(
                timezone=_zone_name("TIMEZONE", "Europe/Madrid"), language=_env("DEFAULT_LANGUAGE", "en")
            ),
            metrics=MetricsSettings(
                port=_env_int("METRICS_PORT", 0) or None,
                host=_env("METRICS_HOST", "127.0.0.1"),
                multiprocess_dir=Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
                if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
                else None,
            ),
            clock_start=_env_instant("PORTAL_NOW"),
            log_level=_env("LOG_LEVEL", "INFO").upper(),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would be unsafe or meaningless; in production, refuse development defaults."""
        if self.environment not in {"development", "test", "production"}:
            raise ConfigurationError("PORTAL_ENV must be development, test or production")
        issuer = self.issuer
        # ASCII digits: isdigit() and int() take any script's (٥, ５), which no bank code or barcode does.
        if not (issuer.code.isascii() and issuer.code.isdigit() and len(issuer.code) == 8):
            raise ConfigurationError("ISSUER_CODE must be 8 digits")
        for name, suffix, low, high in (
            ("ISSUER_BILL_SUFFIX", issuer.bill_suffix, 0, 499),
            ("ISSUER_DOCUMENT_SUFFIX", issuer.document_suffix, 500, 999),
        ):
            if not (
                suffix.isascii() and suffix.isdigit() and len(suffix) == 3 and low <= int(suffix) <= high
            ):
                raise ConfigurationError(f"{name} must be 3 digits between {low:03d} and {high:03d}")
        if not 1 <= issuer.document_days <= 60:
            raise ConfigurationError("ISSUER_DOCUMENT_DAYS must be between 1 and 60")
        if self.log_level not in _LOG_LEVELS:
            raise ConfigurationError(
                f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, not {self.log_level!r}"
            )
        web = self.web
        if not is_web_address(web.base_url):  # the links in emails are made from it
            raise ConfigurationError(
                "BASE_URL must be an http:// or https:// address such as https://portal.example.com,"
                f" not {web.base_url!r}"
            )
        for name, value, most in (
            # At most a year, anywhere: a session's end past the year 9999 failed every sign-in with a 500.
            ("SESSION_IDLE_MINUTES", web.session_idle_minutes, 525_600),
            ("SESSION_ABSOLUTE_HOURS", web.session_absolute_hours, 8_760),
            ("WORKER_CONCURRENCY", self.queue.concurrency, None),  # 0: it starts, then never runs a job
        ):
            if value < 1:
                raise ConfigurationError(f"{name} must be a whole number of at least 1, not {value}")
            if most is not None and value > most:
                raise ConfigurationError(f"{name} must be at most {most} (a year), not {value}")
        for name, port in (
            ("PORT", web.port),
            ("SANDBOX_BANK_PORT", self.gateway.sandbox_port),
            ("METRICS_PORT", self.metrics.port or 1),
        ):
            if not 1 <= port <= 65535:  # else a bare OverflowError from bind(), after the start-up lines
                raise ConfigurationError(f"{name} must be a port number between 1 and 65535, not {port}")
        if (entry := bad_forwarded_entry(web.forwarded_allow_ips)) is not None:
            raise ConfigurationError(
                "FORWARDED_ALLOW_IPS must list addresses or networks (10.0.0.0/24), comma-separated,"
                f" not {entry!r}"
            )
        if not is_merchant_key(self.gateway.secret):
            # Checked here, not by the first payment: a key Redsys cannot use would fail every one.
            raise ConfigurationError(
                "GATEWAY_SECRET must be the merchant key as Redsys gives it: Base64 of 24 bytes"
            )
        if not self.is_production:
            return
        problems = []
        key = web.secret_key
        if key == DEV_SECRET_KEY or len(key) < 32 or estimated_bits(key) < 128:
            problems.append(
                "SECRET_KEY must be set to a random string of at least 32 characters, such as the output of"
                ' `python -c "import secrets; print(secrets.token_urlsafe(32))"` (a key of few different'
                " characters, such as 'aaaa…', is refused)"
            )
        # Twice the defaults, which are OWASP ASVS 4.0.3's level 2 (30 minutes idle, 12 hours): see README.
        if web.session_idle_minutes > 60:
            problems.append("SESSION_IDLE_MINUTES must be at most 60 (default 30)")
        if web.session_absolute_hours > 24:
            problems.append("SESSION_ABSOLUTE_HOURS must be at most 24 (default 12)")
        if {"*", "0.0.0.0/0", "::/0"} & {entry.strip() for entry in web.forwarded_allow_ips.split(",")}:
            problems.append(
                "FORWARDED_ALLOW_IPS must list the reverse proxies' addresses, comma-separated (networks such"
                " as 10.0.0.0/24 too), not every address: anyone could then choose their address with"
                " X-Forwarded-For and escape every per-address limit"
            )
        if self.mail.is_dev_mailbox:
            problems.append("MAIL_URL must point at an SMTP server (the development mailbox is not allowed)")
        if not web.secure_cookies:
            problems.append("BASE_URL must be https:// so that cookies are Secure")
        if not self.gateway.url.startswith("https://"):
            problems.append("GATEWAY_URL must be the real gateway's https:// address")
        if self.gateway.secret == SANDBOX_GATEWAY_SECRET:
            problems.append("GATEWAY_SECRET must be your merchant key, not the public test key")
        if self.gateway.merchant_code == TEST_MERCHANT_CODE:
            problems.append(
                f"GATEWAY_MERCHANT_CODE must be your merchant number, not the test one {TEST_MERCHANT_CODE}"
            )
        if self.clock_start is not None:
            problems.append("PORTAL_NOW must not be set (the clock runs on the real time in production)")
        if self.database.url is None:
            problems.append("DATABASE_URL must be set (the embedded PostgreSQL is for development)")
        if problems:
            raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))
