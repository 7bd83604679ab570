import dataclasses
import datetime as dt

import pytest

from portal.setting_checks import redacted
from portal.settings import (
    DEV_MAIL_URL,
    DEV_SECRET_KEY,
    SANDBOX_GATEWAY_SECRET,
    ConfigurationError,
    Settings,
    is_loopback,
)
from tests.processes import PRODUCTION


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "PORTAL_ENV",
        "SECRET_KEY",
        "MAIL_URL",
        "BASE_URL",
        "DATABASE_URL",
        "ISSUER_CODE",
        "PORT",
        "GATEWAY_URL",
        "GATEWAY_SECRET",
        "GATEWAY_MERCHANT_CODE",
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "FORWARDED_ALLOW_IPS",
        "TIMEZONE",
        "CUSTOMER_SERVICE_PHONE",
        "PORTAL_NOW",
        "STORAGE_URL",
        "STORAGE_DIR",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ALLOW_HTTP",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_defaults_start(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert settings.environment == "development"
    assert settings.mail.url == DEV_MAIL_URL
    assert settings.web.base_url == "http://127.0.0.1:8000"
    assert not settings.web.secure_cookies
    assert settings.locale.timezone == "Europe/Madrid"
    assert settings.issuer.customer_service_phone == "900 000 000"


def test_time_zone_and_phone_come_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TIMEZONE", "Atlantic/Canary")
    clean_env.setenv("CUSTOMER_SERVICE_PHONE", "922 000 111")
    settings = Settings.from_env()
    assert settings.locale.timezone == "Atlantic/Canary"
    assert settings.issuer.customer_service_phone == "922 000 111"


def test_production_refuses_every_insecure_default(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigurationError) as error:
        Settings.from_env()
    message = str(error.value)
    assert "SECRET_KEY" in message
    assert "MAIL_URL" in message
    assert "https://" in message
    assert "DATABASE_URL" in message
    assert "GATEWAY_SECRET" in message


def test_the_clock_settings(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().locale.timezone == "Europe/Madrid"
    assert Settings.from_env().clock_start is None
    clean_env.setenv("TIMEZONE", "Atlantic/Canary")
    clean_env.setenv("PORTAL_NOW", "2027-03-01T09:00:00+01:00")
    settings = Settings.from_env()
    assert settings.locale.timezone == "Atlantic/Canary"
    assert settings.clock_start == dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


def test_production_refuses_a_set_clock(clean_env: pytest.MonkeyPatch) -> None:
    settings = dataclasses.replace(
        Settings.from_env(), environment="production", clock_start=dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    )
    with pytest.raises(ConfigurationError, match="PORTAL_NOW must not be set"):
        settings.check()


def _production(env: pytest.MonkeyPatch, **overrides: str) -> Settings:
    """Settings read with production's accepted values (tests.processes.PRODUCTION), `overrides` on top."""
    for name, value in {**PRODUCTION, "DATABASE_URL": "postgresql://portal@db/portal", **overrides}.items():
        env.setenv(name, value)
    return Settings.from_env()


def test_production_starts_with_safe_settings(clean_env: pytest.MonkeyPatch) -> None:
    settings = _production(clean_env, BASE_URL="https://portal.example.com/")
    assert settings.is_production
    assert settings.web.secure_cookies
    assert settings.web.base_url == "https://portal.example.com"


def test_a_short_secret_is_refused_in_production(clean_env: pytest.MonkeyPatch) -> None:
    settings = dataclasses.replace(Settings.from_env(), environment="production")
    settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web, secret_key="short"))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        settings.check()
    assert DEV_SECRET_KEY != "short"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ISSUER_CODE", "1234567", "ISSUER_CODE must be 8 digits"),
        # Digits of other scripts are digits to str.isdigit() and int(), but not in a bank's code or barcode.
        ("ISSUER_CODE", "\u0665\u0668\u0668\u0661\u0668\u0665\u0660\u0661", "ISSUER_CODE must be 8 digits"),
        ("ISSUER_CODE", "\uff15\uff18\uff18\uff11\uff18\uff15\uff10\uff11", "ISSUER_CODE must be 8 digits"),
        ("ISSUER_BILL_SUFFIX", "\uff10\uff10\uff11", "ISSUER_BILL_SUFFIX must be 3 digits"),
        ("ISSUER_BILL_SUFFIX", "501", "ISSUER_BILL_SUFFIX"),
        ("ISSUER_DOCUMENT_SUFFIX", "001", "ISSUER_DOCUMENT_SUFFIX"),
        ("PORT", "eighty", "PORT must be a whole number"),
        # Links in emails are made from it: it needs its scheme and host.
        ("BASE_URL", "portal.example.com", "BASE_URL must be an http:// or https://.*'portal.example"),
        ("BASE_URL", "ftp://portal.example.com", "BASE_URL must be an http:// or https:// address"),
        ("BASE_URL", "https:portal.example.com", "BASE_URL must be an http:// or https:// address"),
        ("BASE_URL", "https://", "BASE_URL must be an http:// or https:// address"),
        ("BASE_URL", "https://[::1", "BASE_URL must be an http:// or https:// address"),
        ("PORTAL_ENV", "staging", "PORTAL_ENV"),
        ("TIMEZONE", "Mars/Olympus_Mons", "TIMEZONE must be an IANA time zone"),
        ("TIMEZONE", "Europe/Nowhere", "TIMEZONE must be an IANA time zone"),
        ("TIMEZONE", "../etc/passwd", "TIMEZONE must be an IANA time zone"),
        ("PORTAL_NOW", "1 March 2027", "PORTAL_NOW must be an ISO 8601 date and time"),
        ("PORTAL_NOW", "2027-03-01T09:00:00", "PORTAL_NOW must give its UTC offset"),
        ("STORAGE_URL", "var/files", "STORAGE_URL must be file:FOLDER or s3://BUCKET"),
        ("STORAGE_URL", "s3://", "STORAGE_URL must be file:FOLDER or s3://BUCKET"),
        ("STORAGE_URL", "gs://bucket", "STORAGE_URL must be file:FOLDER or s3://BUCKET"),
        ("SESSION_IDLE_MINUTES", "0", "SESSION_IDLE_MINUTES must be a whole number of at least 1, not 0"),
        (
            "SESSION_ABSOLUTE_HOURS",
            "-5",
            "SESSION_ABSOLUTE_HOURS must be a whole number of at least 1, not -5",
        ),
        (
            "SESSION_IDLE_MINUTES",
            "525601",
            "SESSION_IDLE_MINUTES must be at most 525600 \\(a year\\), not 525601",
        ),
        ("SESSION_ABSOLUTE_HOURS", "9" * 30, "SESSION_ABSOLUTE_HOURS must be at most 8760 \\(a year\\)"),
        # The audit's key, and others that Redsys' key derivation (3DES, 24 bytes) cannot use.
        ("GATEWAY_SECRET", "AAAA", "GATEWAY_SECRET must be the merchant key .* Base64 of 24 bytes"),
        ("GATEWAY_SECRET", "c2VjcmV0LWtleS1vZi10aGUtbWVyY2hhbnQ=", "GATEWAY_SECRET must be the merchant key"),
        ("GATEWAY_SECRET", "MDEyMzQ1Njc4OWFiY2RlZg==", "GATEWAY_SECRET must be the merchant key"),  # 16 bytes
        ("GATEWAY_SECRET", "sq7HjrUOBfKmC576ILgskD5srU870gJ!", "GATEWAY_SECRET must be the merchant key"),
        # Started all the same, these failed later (a worker that never ran a job, a traceback from bind()),
        # or never (a proxy entry uvicorn matches with no client: every customer at the proxy's address).
        ("WORKER_CONCURRENCY", "0", "WORKER_CONCURRENCY must be a whole number of at least 1, not 0"),
        ("PORT", "70000", "PORT must be a port number between 1 and 65535, not 70000"),
        ("METRICS_PORT", "-1", "METRICS_PORT must be a port number between 1 and 65535, not -1"),
        ("SANDBOX_BANK_PORT", "65536", "SANDBOX_BANK_PORT must be a port number"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.0/33", "FORWARDED_ALLOW_IPS must list addresses .*'10.0.0.0/33'"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.5;10.0.0.6", "FORWARDED_ALLOW_IPS must list addresses or networks"),
        ("FORWARDED_ALLOW_IPS", "proxy.internal", "FORWARDED_ALLOW_IPS must list addresses or networks"),
    ],
)
def test_bad_values_are_named(clean_env: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env()


def test_storage_is_a_folder_by_default_and_storage_dir_names_it(clean_env: pytest.MonkeyPatch) -> None:
    default = Settings.from_env().storage
    assert default.url.startswith("file:") and default.url.endswith("/var/files") and not default.is_s3
    clean_env.setenv("STORAGE_DIR", "/srv/portal/files")
    assert Settings.from_env().storage.url == "file:/srv/portal/files"


def test_an_s3_bucket_takes_the_standard_aws_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STORAGE_DIR", "/srv/portal/files")  # STORAGE_URL wins over the old name
    clean_env.setenv("STORAGE_URL", "s3://portal-files/production")
    clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-south-2")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "very-secret")
    clean_env.setenv("AWS_ALLOW_HTTP", "true")
    storage = Settings.from_env().storage
    assert storage.is_s3 and storage.url == "s3://portal-files/production"
    assert (storage.s3_endpoint, storage.s3_region, storage.s3_access_key_id) == (
        "http://127.0.0.1:8333",
        "eu-south-2",
        "AKIAEXAMPLE",
    )
    assert storage.s3_secret_access_key == "very-secret" and storage.s3_allow_http
    assert "very-secret" not in repr(storage)  # settings may be logged; the secret never is


def test_a_malformed_service_url_is_refused_without_its_password(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://portal:s3cret-pw@db.internal:54x2/portal")
    with pytest.raises(ConfigurationError, match="DATABASE_URL") as refused:
        Settings.from_env()
    assert "s3cret-pw" not in str(refused.value)
    assert "portal:***@db.internal" in str(refused.value)
    clean_env.setenv("DATABASE_URL", "postgresql://portal@db.internal/portal")
    clean_env.setenv("QUEUE_URL", "queue.internal:6379")
    with pytest.raises(ConfigurationError, match="QUEUE_URL"):
        Settings.from_env()


def test_an_unknown_log_level_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(ConfigurationError, match="LOG_LEVEL"):
        Settings.from_env()


def test_a_yes_or_no_setting_that_is_neither_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AWS_ALLOW_HTTP", "ture")
    with pytest.raises(ConfigurationError, match="AWS_ALLOW_HTTP must be true or false, not 'ture'"):
        Settings.from_env()


def test_a_merchant_key_of_24_bytes_is_accepted_in_every_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().gateway.secret == SANDBOX_GATEWAY_SECRET  # the default decodes to 24 bytes
    clean_env.setenv("GATEWAY_SECRET", PRODUCTION["GATEWAY_SECRET"])
    assert Settings.from_env().gateway.secret == PRODUCTION["GATEWAY_SECRET"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "a" * 32, "SECRET_KEY must be set to a random string"),
        ("SECRET_KEY", "changeme" * 4, "SECRET_KEY must be set to a random string"),
        ("SECRET_KEY", "abcd" * 10, "SECRET_KEY must be set to a random string"),
        ("SESSION_IDLE_MINUTES", "61", "SESSION_IDLE_MINUTES must be at most 60"),
        ("SESSION_IDLE_MINUTES", "525600", "SESSION_IDLE_MINUTES must be at most 60"),
        ("SESSION_ABSOLUTE_HOURS", "25", "SESSION_ABSOLUTE_HOURS must be at most 24"),
        ("SESSION_ABSOLUTE_HOURS", "8760", "SESSION_ABSOLUTE_HOURS must be at most 24"),
        (
            "GATEWAY_SECRET",
            SANDBOX_GATEWAY_SECRET,
            "GATEWAY_SECRET must be your merchant key, not the public",
        ),
        ("GATEWAY_MERCHANT_CODE", "999008881", "GATEWAY_MERCHANT_CODE must be your merchant number, not the"),
        (
            "GATEWAY_URL",
            "http://sis.redsys.es/sis/realizarPago",
            "GATEWAY_URL must be the real gateway's https",
        ),
        ("FORWARDED_ALLOW_IPS", "*", "FORWARDED_ALLOW_IPS must list the reverse proxies' addresses"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.5, *", "FORWARDED_ALLOW_IPS must list"),
        ("FORWARDED_ALLOW_IPS", "0.0.0.0/0", "FORWARDED_ALLOW_IPS must list"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.5,::/0", "FORWARDED_ALLOW_IPS must list"),
    ],
)
def test_production_refuses_an_unsafe_value(
    clean_env: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^Refusing to start in production: {message}") as refused:
        _production(clean_env, **{name: value})
    assert str(refused.value).count(" must ") == 1  # that value alone is refused: the rest is production's


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # What the README tells operators to run (secrets.token_urlsafe(32)), and `openssl rand -hex 16`:
        # 128 random bits that show only 12 of the 16 digits here (32 × log2(12) would be 115 bits).
        ("SECRET_KEY", "AxKiaEL-zgABNKbmBU6A7s76SGxz-UUXWtbJNWfYlMM"),
        ("SECRET_KEY", "bdf2665c828b9b24915dd2986dfc21a1"),
        ("SESSION_IDLE_MINUTES", "60"),
        ("SESSION_ABSOLUTE_HOURS", "24"),
        ("SESSION_IDLE_MINUTES", "1"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.0/24, 192.0.2.7,2001:db8::/64"),
    ],
)
def test_production_accepts_a_safe_value(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    _production(clean_env, **{name: value})


def test_outside_production_long_sessions_and_any_proxy_are_allowed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SESSION_IDLE_MINUTES", "600")
    clean_env.setenv("SESSION_ABSOLUTE_HOURS", "240")
    clean_env.setenv("FORWARDED_ALLOW_IPS", "*")
    clean_env.setenv("SECRET_KEY", "a" * 32)
    settings = Settings.from_env()
    assert (settings.web.session_idle_minutes, settings.web.session_absolute_hours) == (600, 240)
    assert settings.web.forwarded_allow_ips == "*"
    clean_env.delenv("FORWARDED_ALLOW_IPS")
    assert Settings.from_env().web.forwarded_allow_ips == "127.0.0.1,::1"  # uvicorn's own default


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # a dual-stack socket's IPv4 client
        ("localhost", True),
        ("LocalHost", True),
        ("0.0.0.0", False),
        ("203.0.113.5", False),
        ("::ffff:203.0.113.5", False),
        ("2001:db8::1", False),
        ("localhost.example.com", False),
        ("dev-tunnel.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_is_this_machine_only(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://portal:s3cret@db:5432/portal", "postgresql://portal:***@db:5432/portal"),
        ("postgresql://portal@db/portal?password=s3cret", "postgresql://portal@db/portal?password=***"),
        (
            "postgresql:///portal?host=/run/postgresql&PASSWORD=s3cret&sslpassword=s3cret&sslmode=require",
            "postgresql:///portal?host=/run/postgresql&PASSWORD=***&sslpassword=***&sslmode=require",
        ),
        ("redis://:s3cret@queue:6379/0?password=s3cret", "redis://:***@queue:6379/0?password=***"),
        ("postgresql://portal@db/portal?passwordless=1", "postgresql://portal@db/portal?passwordless=1"),
        ("redis://queue:6379/0", "redis://queue:6379/0"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redacted(url) == shown
