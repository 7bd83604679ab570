"""No input gets a 5xx: hypothesis sends hostile values (huge and negative numbers, NUL and other control
characters, unicode digits, very long strings, repeated keys, malformed dates, broken percent-encoding) in
every path parameter, query parameter and form field of every route of the app, anonymous and signed in.

The routes, their path parameters and their declared query parameters come from the app's route table (as
tests/integration/accounts/test_csrf_on_every_post.py does). Form fields and the query parameters a
handler reads itself are not in the table: their names are taken from the readers in the source
(`field(data, "…")`, `values(data, "…")`, …) and the query strings the templates build.

Hypothesis runs in a worker thread; each example's request runs on the test's event loop, where the app's
database pool lives. The seed is printed on failure: PORTAL_FUZZ_SEED=<seed> replays the same run.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st
from litestar import Litestar

from portal.settings import PROJECT_ROOT
from tests.conftest import csrf_token
from tests.integration.accounts.helpers import SESSION_COOKIE
from tests.integration.downloads.download_steps import start as start_download
from tests.steps import ANA, sign_in

EXAMPLES_PER_VIEWER = 1000  # anonymous and signed in: 2,000 in all
SEED = int(os.environ.get("PORTAL_FUZZ_SEED") or random.randrange(2**32))

_READERS = re.compile(
    r'(?:field|values|password_field|checkbox)\(data, "([A-Za-z_]+)"|data\.get\("([A-Za-z_]+)"'
)
_QUERY_IN_LINKS = re.compile(r"[?&]([a-z_]+)=")
_REDSYS_FIELDS = ("Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature")


def _names_in(folder: Path, pattern: re.Pattern[str], suffix: str) -> set[str]:
    found = (
        match.group(match.lastindex or 0)
        for path in folder.rglob(f"*{suffix}")
        for match in pattern.finditer(path.read_text())
    )
    return set(found)


FORM_FIELDS = sorted(_names_in(PROJECT_ROOT / "src" / "portal", _READERS, ".py") | set(_REDSYS_FIELDS))
LINK_QUERIES = _names_in(PROJECT_ROOT / "templates", _QUERY_IN_LINKS, ".html") | _names_in(
    PROJECT_ROOT / "src" / "portal", _QUERY_IN_LINKS, ".py"
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: tuple[tuple[str, str], ...]  # ("{bill_id:int}", "int")
    query: tuple[str, ...]


def routes_of(app: Litestar, *, skip: frozenset[str] = frozenset()) -> list[Route]:
    found = []
    for route in app.routes:
        for method, (_handler, kwargs_model) in getattr(route, "route_handler_map", {}).items():
            if method in {"OPTIONS", "HEAD"} or route.path in skip:
                continue
            declared = {param.field_alias for param in kwargs_model.expected_query_params}
            params = tuple((f"{{{p.full}}}", p.type.__name__) for p in route.path_parameters.values())
            found.append(Route(method, route.path, params, tuple(sorted(declared | LINK_QUERIES))))
    return sorted(found, key=lambda r: (r.path, r.method))


_NUMBERS = st.one_of(
    st.integers(min_value=-3, max_value=60).map(str),  # ids of the demo's rows, reaching the handlers
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["0", "-1", "2147483647", "2147483648", "9223372036854775808", "9" * 40, "1e9", "0x10"]),
)
_UNICODE_DIGITS = st.sampled_from(["²³", "٣", "１２", "߁", "𝟗", "Ⅻ", "1_000", "+5", " 7 "])
_CONTROL = st.sampled_from(["\x00", "a\x00b", "\x01", "\x1b[2J", "\x7f", "1\x00", "x\r\ny", "\t"])
_DATES = st.one_of(
    st.from_regex(r"\A-?[0-9]{1,25}-[0-9]{1,4}(-[0-9]{1,3})?\Z"),
    st.sampled_from(["2026-13", "2026-00", "0000-01", "2026-02-30", "2026-3", "99999999999999999999-01"]),
)
_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(1000, 20000)),
)
# Percent-encoded as sent; the raw ones are bytes no browser sends: invalid UTF-8 and a lone surrogate.
_RAW = st.sampled_from(["%ff", "%ED%A0%80", "%C0%80", "%", "%zz", "..%2F..%2Fpyproject.toml", "..%00/x"])
HOSTILE = st.one_of(
    st.one_of(_NUMBERS, _UNICODE_DIGITS, _CONTROL, _DATES, _TEXT).map(lambda text: quote(text, safe="")),
    _RAW,
)
# A key given several times where one value is expected (or once, as usual).
REPEATED = st.lists(HOSTILE, min_size=1, max_size=3)


def encoded(pairs: dict[str, list[str]]) -> str:
    return "&".join(f"{quote(name)}={value}" for name, values in pairs.items() for value in values)


@st.composite
def requests(draw: Any, routes: list[Route], form_fields: list[str]) -> tuple[str, str, str | None]:
    route = draw(st.sampled_from(routes))
    path = route.path
    for placeholder, kind in route.path_params:
        value = draw(HOSTILE if kind != "int" else st.one_of(_NUMBERS, _UNICODE_DIGITS, HOSTILE))
        path = path.replace(placeholder, value)
    query = draw(st.dictionaries(st.sampled_from(route.query), REPEATED, max_size=4)) if route.query else {}
    url = f"{path}?{encoded(query)}" if query else path
    assume(len(url) < 60_000)  # longer request lines are refused by the HTTP server, before the app
    body = None
    if route.method in {"POST", "PUT", "PATCH", "DELETE"}:
        body = encoded(draw(st.dictionaries(st.sampled_from(form_fields), REPEATED, max_size=6)))
    return route.method, url, body


async def _send(client: Any, method: str, url: str, body: str | None, token: str) -> Any:
    if body is None:
        return await client.request(method, url, follow_redirects=False)
    return await client.request(
        method,
        url,
        content=f"_csrf_token={quote(token)}&{body}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


async def no_5xx(client: Any, routes: list[Route], who: str) -> None:
    loop = asyncio.get_running_loop()
    token = await csrf_token(client)
    sent = []

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES_PER_VIEWER,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(routes, FORM_FIELDS))
    def property(request: tuple[str, str, str | None]) -> None:
        method, url, body = request
        response = asyncio.run_coroutine_threadsafe(_send(client, method, url, body, token), loop).result()
        sent.append(url)
        assert response.status_code < 500, (
            f"{who}: {method} {url[:300]} body={(body or '')[:300]!r} answered {response.status_code}; "
            f"replay with PORTAL_FUZZ_SEED={SEED}"
        )

    await asyncio.to_thread(property)
    assert len(sent) >= EXAMPLES_PER_VIEWER  # hypothesis did not stop early
    print(f"{who}: {len(sent)} requests, PORTAL_FUZZ_SEED={SEED}")


async def test_no_input_gets_a_server_error_when_signed_out(client: Any, app: Litestar, demo: None) -> None:
    await no_5xx(client, routes_of(app), "anonymous")


async def test_no_input_gets_a_server_error_when_signed_in(client: Any, app: Litestar, demo: None) -> None:
    await sign_in(client, ANA)
    assert (await start_download(client)).status_code == 303  # a draft whose pages the ids can reach
    # Signing out would turn the rest of the run into the anonymous one.
    await no_5xx(client, routes_of(app, skip=frozenset({"/sign-out"})), "signed in")
    assert SESSION_COOKIE in client.cookies
