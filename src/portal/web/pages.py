"""What a handler answers: a page (422 when it shows errors, so that htmx and tests see a failed step) or
a 303 to the next one (POST → 303 → GET, so that refresh and back never post twice).

A partial request (htmx asking for a part of a page: a status poll, a ticked box) is answered with that
part only. When it must lead somewhere else instead, the whole window goes there (`go_to`): a browser
follows a 303 by itself, and htmx would swap the next whole page into the part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Redirect, Template


def page(
    template: str, errors: Mapping[str, str] | None = None, *, status: int = 200, **context: Any
) -> Template:
    """``templates/<template>.html`` with the page's `errors` (by field id, in page order) and `context`."""
    return Template(
        template_name=f"{template}.html",
        context={"errors": dict(errors or {}), **context},
        status_code=422 if errors else status,
    )


def fragment(template: str, *, status: int = 200, **context: Any) -> Template:
    """A partial that htmx swaps into a page (``templates/<template>.html``). It says `Vary: HX-Request`,
    as DESIGN asks of every fragment, so that no cache ever serves it in place of a page."""
    return Template(
        template_name=f"{template}.html", context=context, status_code=status, headers={"vary": "HX-Request"}
    )


def see_other(
    path: str, cookies: Sequence[Cookie] = (), background: BackgroundTask | None = None
) -> Redirect:
    """`background`: work the server does once the answer is sent, the browser then on its way."""
    return Redirect(path, status_code=303, cookies=list(cookies), background=background)


def is_partial(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for a part of a page, not a boosted link or form (those ask for a whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


_LONGEST_ADDRESS = 2000
"""Characters of an address kept to come back to: more than any page of ours writes, and a link longer
than that breaks in some browsers and proxies."""


def page_address(request: Request[Any, Any, Any]) -> str:
    """The address, query and all, of the page the user is on: for a partial request, the page it came
    from (htmx says which; the caller checks that it stays on this site). A query too long to keep (no
    page of ours writes one) is left out."""
    url = urlsplit(request.headers.get("hx-current-url", "")) if is_partial(request) else request.url
    whole = f"{url.path}?{url.query}" if url.query else url.path
    return whole if len(whole) <= _LONGEST_ADDRESS else url.path


def go_to(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """A 303 to `path`; to a partial request, htmx's header that sends the whole window there."""
    if is_partial(request):
        return htmx_instruction({"hx-redirect": path})
    return see_other(path)


def htmx_instruction(headers: dict[str, str]) -> Response[bytes]:
    """An answer with nothing to swap, only what htmx must do instead (its response headers)."""
    return Response(b"", media_type=MediaType.HTML, headers=headers)
