"""What a handler answers: a page (422 when it shows errors, so that htmx and tests see a failed step) or
a 303 to the next one (POST → 303 → GET, so that refresh and back never post twice)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litestar.datastructures import Cookie
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


def see_other(path: str, cookies: Sequence[Cookie] = ()) -> Redirect:
    return Redirect(path, status_code=303, cookies=list(cookies))
