"""Every POST route of the app refuses a form without its CSRF token, with an HTML page."""

import re
from typing import Any

from litestar import Litestar

from portal.db.tables import Session
from portal.settings import Settings
from portal.web.security import origin
from tests.conftest import csrf_token
from tests.integration.accounts.helpers import ANA, SESSION_COOKIE, submit_sign_in

ACCOUNTS_POSTS = {
    "/sign-in",
    "/sign-out",
    "/register",
    "/register/bill-details",
    "/register/user-details",
    "/register/check",
    "/register/resend",
    "/activate",
    "/activate/resend",
    "/password/forgotten",
    "/password/reset",
    "/account/keep-alive",
    "/account/accounts/add",
}
CSRF_MESSAGE = "This form had expired or was sent from elsewhere."


def post_paths(app: Litestar) -> list[str]:
    """Every POST route, path parameters filled with a sample (CSRF is checked before any lookup)."""
    paths = []
    assert app.csrf_config is not None
    exempt = {pattern.removeprefix("^").removesuffix("$") for pattern in app.csrf_config.exclude or []}
    # The only form post without a token: the gateway's server-to-server notification, proven by its
    # Redsys signature (tests/integration/payments). Any other exemption must be added here on purpose.
    assert exempt - {"/healthz", "/readyz"} == {"/payments/notification"}
    for route in app.routes:
        methods = getattr(route, "methods", set())
        if "POST" in methods and route.path not in exempt:
            path = re.sub(r"\{[a-z_]+:str\}", "x", re.sub(r"\{[a-z_]+:int\}", "1", route.path))
            assert "{" not in path, f"give {route.path} a sample path parameter"
            paths.append(path)
    return sorted(paths)


def assert_refused(response: Any, path: str) -> None:
    assert response.status_code == 403, (path, response.status_code)
    assert response.headers["content-type"].startswith("text/html"), path
    assert CSRF_MESSAGE in response.text, path


async def test_every_post_without_a_token_is_refused(client: Any, app: Litestar, demo: None) -> None:
    paths = post_paths(app)
    assert set(paths) >= ACCOUNTS_POSTS

    for path in paths:
        # A browser with no CSRF cookie at all…
        client.cookies.clear()
        assert_refused(await client.post(path, data={"username": "x"}, follow_redirects=False), path)
        # …and one with the cookie but a form without the token, or with a wrong one.
        await csrf_token(client)
        assert_refused(await client.post(path, data={"username": "x"}, follow_redirects=False), path)
        assert_refused(
            await client.post(path, data={"_csrf_token": "forged", "username": "x"}, follow_redirects=False),
            path,
        )


async def test_a_signed_in_session_does_not_replace_the_token(client: Any, app: Litestar, demo: None) -> None:
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    for path in post_paths(app):
        assert_refused(await client.post(path, data={}, follow_redirects=False), path)
    # Still signed in: not even sign-out went through.
    assert await Session.count() == 1
    assert SESSION_COOKIE in client.cookies


async def test_the_same_posts_with_the_token_are_not_refused(
    client: Any, app: Litestar, settings: Settings, demo: None
) -> None:
    """The checks here could pass for another reason (every POST broken): with the token, none is 403,
    sent from no page (a script), from BASE_URL's origin, or from the origin the request was sent to."""
    for path in post_paths(app):
        for sender in (None, origin(settings.web.base_url), origin(str(client.base_url))):
            token = await csrf_token(client)
            headers = {"origin": sender} if sender else {}
            response = await client.post(
                path, data={"_csrf_token": token}, headers=headers, follow_redirects=False
            )
            assert response.status_code != 403, (path, sender)


async def test_a_deployment_reached_by_another_name_takes_its_own_forms(client: Any, demo: None) -> None:
    """The proxy passes the name the browser used (docs/deploy.md): a form from that origin is the
    portal's own, though BASE_URL names another."""
    token = await csrf_token(client)
    name = {"host": "portal.internal:8000", "origin": "http://portal.internal:8000"}
    answer = await client.post("/sign-in", data={"_csrf_token": token}, headers=name, follow_redirects=False)
    assert answer.status_code == 422 and "Enter your username" in answer.text  # the form, checked
    other = {"host": "portal.internal:8000", "origin": "http://elsewhere.internal:8000"}
    refused = await client.post(
        "/sign-in", data={"_csrf_token": token}, headers=other, follow_redirects=False
    )
    assert_refused(refused, "/sign-in from elsewhere")


async def test_a_form_sent_from_another_origin_is_refused_even_with_the_token(
    client: Any, app: Litestar, demo: None
) -> None:
    """Defence in depth: another site's page (or a sandboxed one, whose origin is "null") that somehow
    had the token still cannot post. Not even sign-out goes through."""
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    for path in post_paths(app):
        for sender in ("https://attacker.example", "null", "http://127.0.0.1:8001"):
            token = await csrf_token(client)
            response = await client.post(
                path, data={"_csrf_token": token}, headers={"origin": sender}, follow_redirects=False
            )
            assert_refused(response, f"{path} from {sender}")
    assert await Session.count() == 1
