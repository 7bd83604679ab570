"""HEAD is answered as GET without its body (uptime monitors and link checkers send it), on pages, static
files, redirects and errors alike; it changes nothing that GET would not."""

from httpx import AsyncClient

from tests.steps import sign_in

HTMX = "/static/vendor/htmx-2.0.11.min.js"


async def test_head_answers_as_get_without_the_body(client: AsyncClient, demo: None) -> None:
    for path in ("/", "/pay", HTMX, "/healthz", "/no-such-page", "/bills/"):
        got = await client.get(path, follow_redirects=False)
        head = await client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "content-length", "location", "cache-control", "x-frame-options"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
    assert (await client.head("/bills/", follow_redirects=False)).headers["location"].startswith("/sign-in")

    await sign_in(client)
    got = await client.get("/bills/")
    head = await client.head("/bills/")
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
