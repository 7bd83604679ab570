"""The demo's users have their passwords in the README: no command puts the demo (nor scale data) into a
production database."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from portal.cli import _prepare
from portal.db.tables import Bill, Customer, User
from portal.settings import Settings

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "MAIL_URL": "smtps://user:pass@mail.example.com:465",
    "BASE_URL": "https://portal.example.com",
    "GATEWAY_URL": "https://sis.redsys.es/sis/realizarPago",
    "GATEWAY_SECRET": "c2VjcmV0LWtleS1vZi10aGUtbWVyY2hhbnQ=",
}


def _portal(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *arguments],
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("arguments", [["demo"], ["demo", "--bills", "50"]])
async def test_portal_demo_refuses_production(db: None, arguments: list[str]) -> None:
    result = _portal(arguments)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == "portal: Test data is for development and tests: not in production"
    assert await Customer.count() == 0 and await Bill.count() == 0 and await User.count() == 0


async def test_portal_run_loads_no_demo_in_production(db: None, settings: Settings) -> None:
    assert await _prepare(dataclasses.replace(settings, environment="production"), load_demo=True) is None
    assert await Customer.count() == 0 and await User.count() == 0
