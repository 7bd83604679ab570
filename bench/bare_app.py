"""The baseline of the My bills benchmark: a bare Litestar + Piccolo page that renders 50 bills from one
query, served exactly as `portal serve` serves the portal (same uvicorn options and worker count).

No session, CSRF, middleware, layout or menu: one route runs the My bills page query (same SQL, same
`account_access` scoping, for the user id in ``?user=``) through Piccolo's pool and renders the 50 rows
with a Jinja template that uses the portal's ``eur`` and ``day`` filters.

    DATABASE_URL=… PORT=8001 .venv/bin/python bench/bare_app.py
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from litestar import Litestar, get
from litestar.params import FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from portal.db import start_pool
from portal.db.tables import Bill
from portal.templating import make_environment

HERE = Path(__file__).resolve().parent

QUERY = (
    "SELECT b.id, b.number, a.number AS account_number, b.period_start, b.period_end, b.issue_date,"
    " b.due_date, b.total_cents, b.status FROM bill b JOIN account a ON a.id = b.account"
    ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
    " ORDER BY b.period_start DESC, b.id DESC LIMIT 50"
)


@get("/bills", cache=False)
async def bills(user: FromQuery[int]) -> Template:
    rows = await Bill.raw(QUERY, user)
    return Template(template_name="bare_bills.html", context={"bills": rows})


@get("/healthz", cache=False)
async def healthz() -> str:
    return "ok"


def create_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = await start_pool(max_size=10)  # the portal's pool, as in its lifespan
        try:
            yield
        finally:
            await engine.close_connection_pool()

    environment = make_environment()  # the portal's filters (eur, day) and autoescaping
    environment.loader.searchpath = [str(HERE / "templates")]  # type: ignore[union-attr]
    return Litestar(
        route_handlers=[bills, healthz],
        lifespan=[lifespan],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
        openapi_config=None,
        debug=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same options as `portal serve` (src/portal/cli.py cmd_serve).
    uvicorn.run(
        "bare_app:create_app",
        app_dir=str(HERE),
        factory=True,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8001")),
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
