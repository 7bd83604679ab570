"""The PDF engine every printed document uses (bills, bills-due documents, receipts): WeasyPrint with the
packaged print stylesheet and fonts, tagged output, the garbage collector paused while it works, and one
render at a time per process.

Rendering is synchronous and CPU-bound (0.2–0.3 s of CPU per bill on a busy 2-core machine, against
≈ 20 ms for a bare one-paragraph page): run it through :func:`render` (a thread, inside the process's render
slot), never on the event loop. Each thread keeps its own parsed stylesheet and loaded fonts.

WeasyPrint reads nothing but the files under ``static/pdf/`` (see :class:`PackagedAssetFetcher`), so a
document renders the same on any machine and a template can never make it reach the network or the disk.
"""

from __future__ import annotations

import asyncio
import gc
import mimetypes
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.infra.storage import Storage
from portal.settings import PROJECT_ROOT
from portal.templating import make_environment

STATIC_PDF_DIR = PROJECT_ROOT / "static" / "pdf"
"""The only files a bill's PDF may use: its stylesheet and fonts."""

# fontTools stamps every embedded font subset with the current time, unless SOURCE_DATE_EPOCH says
# otherwise (reproducible-builds.org): without a fixed stamp, two renders of the same bill a second apart
# differ, and an issued bill's file must not depend on when it was rendered.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
STYLESHEET = STATIC_PDF_DIR / "bill.css"


# --- Assets: what WeasyPrint may read -----------------------------------------------------------------


class AssetRefusedError(ValueError):
    """WeasyPrint asked for something other than a packaged PDF asset or a ``data:`` URI."""


class PackagedAssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files under ``static/pdf/`` and ``data:`` URIs, nothing else.

    Paths are resolved (symbolic links and ``..`` included) before the check, so no URL escapes the
    folder; http(s), ftp and every other scheme are refused. WeasyPrint logs a refused URL and goes on
    without it.
    """

    def __init__(self, root: Path = STATIC_PDF_DIR) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self._root = root.resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._asset(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if content_type.startswith("text/"):
                content_type += "; charset=utf-8"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
        raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")

    def _asset(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError):
            raise AssetRefusedError(f"No packaged asset at {url[:100]!r}") from None
        if not path.is_relative_to(self._root) or not path.is_file():
            raise AssetRefusedError(f"Bill PDFs may only use packaged assets, not {url[:100]!r}")
        return path


@cache
def pdf_template(name: str) -> Template:
    """A printed document's template. One environment per process: compiling the template on every
    document would cost more than drawing it."""
    return make_environment().get_template(name)


_per_thread = threading.local()


def print_stylesheet() -> tuple[Any, Any]:
    """bill.css parsed, with its fonts loaded, once per thread: ``(CSS, FontConfiguration)``.

    Loading the three fonts and parsing the stylesheet is about a third of a bill's rendering time, so
    it is done once. Per thread, because Pango's font map is not thread-safe.
    """
    cached: tuple[Any, Any] | None = getattr(_per_thread, "stylesheet", None)
    if cached is None:
        font_config = FontConfiguration()
        css = CSS(url=STYLESHEET.as_uri(), url_fetcher=PackagedAssetFetcher(), font_config=font_config)
        cached = _per_thread.stylesheet = (css, font_config)
    return cached


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a PDF is laid out and written.

    WeasyPrint allocates so many objects that the collector, which runs every few hundred allocations and
    rescans what survived, took a third of a bill's render (measured: 326 ms with it, 212 ms without).
    The garbage is collected as usual once the render is over; the process peaks about 70 MB higher
    meanwhile. The collector is process-wide and renders run in threads, so the last render to finish
    resumes it.
    """
    global _gc_pausers
    with _gc_lock:
        _gc_pausers += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if not _gc_pausers:
                gc.enable()


def render_tagged_pdf(html: str) -> bytes:
    """A tagged A4 PDF/A-3b (XMP metadata, sRGB output intent) of HTML made from a `pdf_template`, like
    the bill, with the print stylesheet and only the packaged fonts (the bills-due document, the payment
    receipt). Synchronous and CPU-bound: run it in a thread."""
    css, font_config = print_stylesheet()
    with gc_paused():
        pdf: bytes = HTML(
            string=html, base_url=STATIC_PDF_DIR.as_uri() + "/", url_fetcher=PackagedAssetFetcher()
        ).write_pdf(stylesheets=[css], font_config=font_config, pdf_tags=True, pdf_variant="pdf/a-3b")
    return pdf


_render_slots: dict[int, asyncio.Semaphore] = {}
_holding_slot: ContextVar[bool] = ContextVar("holding_render_slot", default=False)
T = TypeVar("T")


@asynccontextmanager
async def render_slot() -> AsyncIterator[None]:
    """One render at a time per process: WeasyPrint is CPU-bound and holds the GIL, so renders in several
    threads of one process only slow each other down (measured: 4 at once took 2.3× longer per bill).
    Parallelism comes from worker processes; a process's other job slots stay free for I/O. A task that
    holds the slot (a batch of renders) may render inside it without waiting for itself."""
    if _holding_slot.get():
        yield
        return
    loop = id(asyncio.get_running_loop())
    if loop not in _render_slots:
        _render_slots[loop] = asyncio.Semaphore(1)
    async with _render_slots[loop]:
        holding = _holding_slot.set(True)
        try:
            yield
        finally:
            _holding_slot.reset(holding)


async def render(draw: Callable[..., T], *args: Any) -> T:
    """Runs a synchronous render (``draw(*args)``) in a thread, inside this process's render slot, so that
    the event loop (and a job's heartbeat) keeps running."""
    async with render_slot():
        return await asyncio.to_thread(draw, *args)


async def store(storage: Storage, key: str, draw: Callable[..., bytes], *args: Any) -> str:
    """A stored PDF made by a job: rendered (through :func:`render`) and stored under `key` unless it is
    stored already, so that a retried or duplicated job does nothing and a PDF's bytes never change."""
    if await storage.exists(key):
        return "already stored"
    await storage.write(key, await render(draw, *args))
    return "rendered"
