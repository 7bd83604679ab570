"""`portal sandbox-bank` runs the bank alone on SANDBOX_BANK_PORT; `portal run` starts it only when the
gateway address is this machine's sandbox, and never in production."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import free_port
from portal.payments.sandbox.app import create_sandbox_app, sandbox_url, serves_gateway
from portal.settings import ConfigurationError, Settings
from tests.integration.payments.sandbox.sandbox_merchant import SECRET, Merchant
from tests.processes import PRODUCTION, run_portal


def _settings(url: str, port: int = 8001, environment: str = "development") -> Settings:
    base = Settings.from_env()
    return dataclasses.replace(
        base,
        environment=environment,
        gateway=dataclasses.replace(base.gateway, url=url, sandbox_port=port),
    )


@pytest.mark.parametrize(
    ("url", "environment", "served"),
    [
        ("http://127.0.0.1:8001/sis/realizarPago", "development", True),
        ("http://localhost:8001/sis/realizarPago", "test", True),
        ("http://127.0.0.1:9001/sis/realizarPago", "development", False),  # another port: not ours
        ("https://sis-t.redsys.es:25443/sis/realizarPago", "development", False),  # a real test gateway
        ("http://127.0.0.1:8001/sis/realizarPago", "production", False),
    ],
)
def test_when_portal_run_starts_the_sandbox_bank(url: str, environment: str, served: bool) -> None:
    assert serves_gateway(_settings(url, environment=environment)) is served


def test_never_in_production() -> None:
    with pytest.raises(ConfigurationError):
        create_sandbox_app(_settings("http://127.0.0.1:8001/sis/realizarPago", environment="production"))
    assert sandbox_url(_settings("http://127.0.0.1:8001/sis/realizarPago")) == "http://127.0.0.1:8001"


def test_portal_sandbox_bank_serves_a_payment_on_its_port() -> None:
    port = free_port()
    env = {**os.environ, "SANDBOX_BANK_PORT": str(port)}
    env.pop("GATEWAY_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "sandbox-bank"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    merchant = Merchant().start()
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.read() == b"ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "the sandbox bank did not start"
                time.sleep(0.2)
        data = urllib.parse.urlencode(merchant.request().to_form(SECRET)).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/sis/realizarPago", data=data)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(request, timeout=5)
        assert redirect.value.code == 303
        assert redirect.value.headers["location"].startswith("/sis/pay/")
    finally:
        merchant.stop()
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"The sandbox bank is at http://127.0.0.1:{port}/" in output


def test_portal_sandbox_bank_refuses_production() -> None:
    result = run_portal("sandbox-bank", **PRODUCTION, SANDBOX_BANK_PORT=str(free_port()))
    assert result.returncode == 2
    assert result.stderr.strip() == "portal: The sandbox bank is for development and tests: not in production"
    assert result.stdout == ""  # refused before it announced an address or opened its port
