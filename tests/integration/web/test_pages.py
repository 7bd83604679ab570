"""The public pages, the error pages and the security headers, through the real app."""

import re

from httpx import AsyncClient
from litestar import Litestar, get, post
from litestar.params import FromQuery

HTMX = "/static/vendor/htmx-2.0.11.min.js"


async def test_home_page_loads_htmx_from_the_portal_itself(client: AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html
    assert f'src="{HTMX}"' in html
    assert 'href="#main">Skip to main content</a>' in html
    assert '<main id="main"' in html
    assert "<h1>Customer Service Area</h1>" in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    script = await client.get(HTMX)
    assert script.status_code == 200
    assert 'version:"2.0.11"' in script.text


async def test_pages_link_the_portals_icon(client: AsyncClient) -> None:
    """Every page names its icon: without that link a browser asks for /favicon.ico on each page it opens,
    and each of those asks is a 404 page rendered for nothing."""
    for path in ("/", "/sign-in", "/no-such-page"):
        links = re.findall(
            r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', (await client.get(path)).text
        )
        assert links == ["/static/img/favicon.svg"], path
    icon = await client.get(links[0])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


async def test_security_headers_on_every_response(client: AsyncClient) -> None:
    for path in ("/", "/no-such-page", "/static/css/portal.css"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "form-action 'self' http://127.0.0.1:8001" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])
        # Not production: no HSTS on plain http.
        assert "strict-transport-security" not in response.headers


async def test_request_id_is_kept_when_it_looks_safe(client: AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"x-request-id": "abc12345-from-proxy"})
    assert kept.headers["x-request-id"] == "abc12345-from-proxy"
    replaced = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert replaced.headers["x-request-id"] != "<script>"


async def test_not_found_is_an_html_page(client: AsyncClient) -> None:
    for headers in ({}, {"HX-Request": "true"}):
        response = await client.get("/no-such-page", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "<title>Page not found – Customer Service Area" in response.text


async def test_a_method_an_address_does_not_take_is_explained(client: AsyncClient) -> None:
    """A 405 (a form's address opened directly, say) says what probably happened and the way on."""
    response = await client.get("/language")
    assert response.status_code == 405
    assert "<h1>You cannot do that here</h1>" in response.text
    assert "You may have opened the address of a form directly" in response.text
    assert "Go to the Customer Service Area home page" in response.text


async def test_unexpected_error_is_an_html_500_page(app: Litestar, client: AsyncClient) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("secret detail that must not reach the user")

    app.register(boom)
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret detail" not in response.text


async def test_validation_errors_are_html_422_for_plain_and_htmx_requests(
    app: Litestar, client: AsyncClient
) -> None:
    @get("/numbers", sync_to_thread=False)
    def numbers(page: FromQuery[int]) -> str:
        return str(page)

    app.register(numbers)
    for headers in ({}, {"HX-Request": "true"}):
        response = await client.get("/numbers?page=abc", headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert "There is a problem with what you sent" in response.text


async def test_post_without_csrf_token_is_refused_with_an_html_page(
    app: Litestar, client: AsyncClient
) -> None:
    @post("/echo", sync_to_thread=False)
    def echo() -> str:
        return "changed"

    app.register(echo)
    refused = await client.post("/echo", data={"x": "1"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    # Named for what happened (the body says why and what to do), not "You cannot do that".
    assert "<h1>This form has expired</h1>" in refused.text
    assert "This form had expired or was sent from elsewhere" in refused.text
    spanish = await client.post("/echo", data={"x": "1"}, headers={"accept-language": "es"})
    assert "<h1>El formulario ha caducado</h1>" in spanish.text

    page = await client.get("/")
    token = re.search(r'"x-csrftoken": "([^"]+)"', page.text)
    assert token is not None
    for kwargs in ({"data": {"_csrf_token": token.group(1)}}, {"headers": {"x-csrftoken": token.group(1)}}):
        accepted = await client.post("/echo", **kwargs)
        assert accepted.status_code == 201
        assert accepted.text == "changed"


async def test_health_endpoints(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).text == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.text == "database: ok\nqueue: ok\nstorage: ok\n"
