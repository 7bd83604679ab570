"""The audit trail records the security events of the accounts journeys, and never a secret."""

import json
from typing import Any

from litestar import Litestar

from tests.conftest import csrf_token, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    INMOBILIARIA,
    MARIA,
    OTHER_IP,
    SESSION_COOKIE,
    activation_link,
    audit_events,
    browser,
    complete_registration,
    link_token,
    reset_link,
    submit_sign_in,
    user_row,
)

MARIA_PASSWORD = "river copper lantern 42"
ANA_NEW_PASSWORD = "harbour violet spindle 7"
WRONG_PASSWORDS = [f"wrong-secret-{n}" for n in range(6)]


async def test_security_events_are_recorded_without_secrets(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    secrets: list[str] = [ANA[1], ADMIN[1], MARIA_PASSWORD, ANA_NEW_PASSWORD, *WRONG_PASSWORDS]

    # Sign-in: a failure, a success, and a throttled attempt.
    assert (await submit_sign_in(client, "ana.demo", WRONG_PASSWORDS[0])).status_code == 422
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    secrets.append(client.cookies[SESSION_COOKIE])
    for password in WRONG_PASSWORDS[1:]:
        await submit_sign_in(client, "somebody.else", password)
    assert (await submit_sign_in(client, "somebody.else", "one more")).status_code == 422

    # Registration and activation.
    async with browser(app, OTHER_IP) as registering:
        await complete_registration(registering, "private", MARIA, "maria.garcia", "maria@example.com")
        secrets.append(registering.cookies["registration"])
        secrets.append(await csrf_token(registering))
        [message] = await mailbox.wait_for(1)
        activation = link_token(activation_link(message))
        secrets.append(activation)
        done = await submit(registering, "/activate", {"token": activation, "password": MARIA_PASSWORD})
        assert done.status_code == 303
        secrets.append(registering.cookies[SESSION_COOKIE])

    # Password reset.
    await submit(client, "/password/forgotten", {"login": "ana.demo"})
    [reset_message] = await mailbox.wait_for(1, to="ana.demo@example.com")  # Maria's holder is told too
    reset = link_token(reset_link(reset_message))
    secrets.append(reset)
    assert (
        await submit(client, "/password/reset", {"token": reset, "password": ANA_NEW_PASSWORD})
    ).status_code == 303
    secrets.append(client.cookies[SESSION_COOKIE])

    # An administrator adds an account.
    async with browser(app, OTHER_IP) as admin:
        await submit_sign_in(admin, *ADMIN)
        assert (await submit(admin, "/account/accounts/add", INMOBILIARIA)).status_code == 303
        secrets.append(admin.cookies[SESSION_COOKIE])

    ana = (await user_row("ana.demo"))["id"]
    maria = (await user_row("maria.garcia"))["id"]
    admin_id = (await user_row("admin.demo"))["id"]
    rows = await audit_events()
    recorded = [(row["event"], row["user"], row["ip"]) for row in rows]
    for expected in [
        ("sign_in.failed", ana, "203.0.113.10"),
        ("sign_in.succeeded", ana, "203.0.113.10"),
        ("sign_in.throttled", None, "203.0.113.10"),
        ("registration.completed", maria, OTHER_IP),
        ("activation.completed", maria, OTHER_IP),
        ("holder_notice.sent", maria, OTHER_IP),
        ("password_reset.requested", ana, "203.0.113.10"),
        ("password_reset.completed", ana, "203.0.113.10"),
        ("sign_in.succeeded", admin_id, OTHER_IP),
        ("account.added", admin_id, OTHER_IP),
        ("holder_notice.sent", admin_id, OTHER_IP),
    ]:
        assert expected in recorded, expected
    assert [row["event"] for row in rows].count("sign_in.failed") == 6
    assert all(row["request_id"] for row in rows)

    assert all(len(secret) >= 8 for secret in secrets)
    for row in rows:
        text = json.dumps(row["detail"], ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, (row["event"], text)
        assert not {"password", "token"} & {key.lower() for key in row["detail"]}, row["event"]
