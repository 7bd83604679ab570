"""Bill PDF render time against bare one-page WeasyPrint documents (issue 4). No database needed.

    .venv/bin/python bench/pdf_render.py               # 3 runs × 10 renders of each variant
    .venv/bin/python bench/pdf_render.py --profile     # and a pyinstrument profile of portal.bills.pdf.draw

The bill is a demo bill (María García's first account, 12 periods of history, pending) rendered by
`portal.bills.pdf.draw`, the function the render_bill_pdf job calls. Variants, each in
this process, after one warm-up render (fonts, stylesheet and template are then cached, as in a worker):

- bill: portal.bills.pdf.draw — A4, bill.css with its three embedded fonts, SVG logo, chart and barcode,
  tagged PDF/A-3b with the Factur-X XML attached (what customers download);
- bill-plain: the same HTML and bill.css, written as a plain PDF (no PDF/A, no tags, no attachment):
  what the archival and accessibility features cost;
- bare-text: "a bare page with the same amount of plain text and tables as a bill": the bill's own HTML
  with its SVGs (logo, chart, barcode) removed and no stylesheet but an A4 page, the bill's 8.5 pt
  font size and no block margins (so that it fits one page, as the bill does), default fonts, plain PDF;
- bare-paragraph: one paragraph on an A4 page, plain PDF.

Wall time and CPU time (process_time) per render; the median of each run, then the median of the runs.
Rendering is single-threaded and CPU-bound, so on an idle machine wall ≈ CPU; on a shared one wall time
mostly measures the neighbours, so the verdicts use CPU time (--wall to use wall time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common as c

from portal.bills import documents, pdf
from portal.bills.documents import BillDocument, ConsumptionPoint, lines_from_json
from portal.demo.generate import MARIA, SEED, account_bills
from portal.infra import pdf as pdf_engine
from portal.settings import Settings

PARAGRAPH = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bare</title>"
    "<style>@page { size: A4 }</style></head><body><p>Your water bill is ready. It covers the last"
    " billing period and is due in twenty days; you can pay it at any bank or in the Customer Service"
    " Area.</p></body></html>"
)


def demo_bill() -> BillDocument:
    settings = Settings.from_env()
    spec = MARIA.accounts[0]
    number = "900000001"
    bills = account_bills(
        random.Random(SEED),
        settings.issuer,
        dt.date.today(),
        number=number,
        spec=spec,
        first_serial=1,
        count=documents.MAX_HISTORY,
    )
    bill = bills[-1]
    return BillDocument(
        issuer=settings.issuer,
        holder_name=MARIA.name,
        holder_identity=MARIA.identity_number,
        holder_address=spec.address,
        account_number=number,
        tariff=spec.tariff.name,
        bill_number=bill.number,
        period_start=bill.period_start,
        period_end=bill.period_end,
        issue_date=bill.issue_date,
        due_date=bill.due_date,
        reading_previous=bill.reading_previous,
        reading_current=bill.reading_current,
        consumption_m3=bill.consumption_m3,
        lines=lines_from_json(json.loads(bill.charges.lines_json)),
        taxable_cents=bill.charges.taxable_cents,
        vat_cents=bill.charges.vat_cents,
        total_cents=bill.charges.total_cents,
        payment=bill.code,
        history=tuple(ConsumptionPoint(f"{b.period_start:%b %y}", b.consumption_m3) for b in bills),
    )


def bare_text_html(doc: BillDocument) -> str:
    """The bill's HTML without its SVGs (logo, chart, barcode) and without bill.css: only an A4 page.

    The chart is removed whole, as when it was one SVG: its bars (an SVG image since 2026-11-28) and
    the two rows of values and period labels printed with them, so that this baseline stays the same
    text and tables it was before."""
    html = re.sub(r"<svg\b.*?</svg>", "", pdf.render_bill_html(doc), flags=re.DOTALL)
    html = re.sub(r'<img class="chart__bars"[^>]*>', "", html)
    html = re.sub(r'<p class="chart__row[^"]*"[^>]*>.*?</p>', "", html, flags=re.DOTALL)
    # The bill's font size, so that the same text fits one page as it does on the bill; nothing else.
    style = (
        "<style>@page { size: A4; margin: 10mm } html { font-size: 8.5pt }"
        " h1, h2, p, dl, dd, figure { margin: 0 }</style>"
    )
    return html.replace("</head>", f"{style}</head>", 1)


def variants(doc: BillDocument) -> dict[str, Callable[[], bytes]]:
    from weasyprint import HTML

    bill_html = pdf.render_bill_html(doc)
    bare_html = bare_text_html(doc)
    base_url = pdf_engine.STATIC_PDF_DIR.as_uri() + "/"

    def bill_plain() -> bytes:
        css, font_config = pdf_engine.print_stylesheet()
        fetcher = pdf_engine.PackagedAssetFetcher()
        page = HTML(string=bill_html, base_url=base_url, url_fetcher=fetcher)
        pdf: bytes = page.write_pdf(stylesheets=[css], font_config=font_config)
        return pdf

    def bare_text() -> bytes:
        pdf: bytes = HTML(string=bare_html).write_pdf()
        return pdf

    def bare_paragraph() -> bytes:
        pdf: bytes = HTML(string=PARAGRAPH).write_pdf()
        return pdf

    return {
        "bill": lambda: pdf.draw(doc),
        "bill-plain": bill_plain,
        "bare-text": bare_text,
        "bare-paragraph": bare_paragraph,
    }


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader  # a dev dependency of the project

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(render: Callable[[], bytes], count: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        render()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return {"wall_ms": statistics.median(walls), "cpu_ms": statistics.median(cpus)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--renders", type=int, default=10, help="renders per run (median per run)")
    parser.add_argument("--wall", action="store_true", help="judge the targets on wall time, not CPU time")
    parser.add_argument("--profile", action="store_true", help="write a pyinstrument profile of the bill")
    args = parser.parse_args()
    doc = demo_bill()
    renders = variants(doc)
    first: dict[str, float] = {}
    facts: dict[str, dict[str, int]] = {}
    for name, render in renders.items():  # warm-up, and the cold figure (first render in the process)
        started = time.perf_counter()
        pdf = render()
        first[name] = (time.perf_counter() - started) * 1000
        facts[name] = {"bytes": len(pdf), "pages": pages_of(pdf)}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in renders}
    for run in range(args.runs):
        for name, render in renders.items():  # interleaved, so that a busy moment hits every variant
            runs[name].append(measure(render, args.renders))
            print(f"run {run + 1} {name}: {runs[name][-1]}", file=sys.stderr)
    key = "wall_ms" if args.wall else "cpu_ms"
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": c.machine(),
        "first_render_ms": first,
        "documents": facts,
        "runs": runs,
        "median": {
            name: {k: statistics.median(r[k] for r in rs) for k in ("wall_ms", "cpu_ms")}
            for name, rs in runs.items()
        },
    }
    med = results["median"]
    results["judged_on"] = key
    results["ratios"] = {
        metric: {
            "bill / bare-text": med["bill"][metric] / med["bare-text"][metric],
            "bill / bare-paragraph": med["bill"][metric] / med["bare-paragraph"][metric],
            "bill-plain / bare-text": med["bill-plain"][metric] / med["bare-text"][metric],
        }
        for metric in ("cpu_ms", "wall_ms")
    }
    if args.profile:
        results["profile"] = str(profile(renders["bill"]))
    out = c.BENCH_DIR / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"pdf_render-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(report(results, key))
    return 0


def profile(render: Callable[[], bytes]) -> Path:
    """pyinstrument is not a project dependency: bench/README.md says how to put it in var/bench."""
    sys.path.insert(0, str(c.BENCH_DIR / "pyinstrument"))
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(10):
            render()
    path = c.BENCH_DIR / "results" / "pdf_render-profile.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profiler.output_text(unicode=True, show_all=False))
    print(f"Profile of 10 renders: {path}", file=sys.stderr)
    return path


def report(results: dict[str, Any], key: str) -> str:
    lines = [
        f"# Bill PDF render, {results['date']}",
        f"Machine: {results['machine']}",
        "",
        "| variant | median wall ms | median CPU ms | first render ms | pages | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for name, median in results["median"].items():
        doc = results["documents"][name]
        lines.append(
            f"| {name} | {median['wall_ms']:.1f} | {median['cpu_ms']:.1f}"
            f" | {results['first_render_ms'][name]:.0f} | {doc['pages']} | {doc['bytes']} |"
        )
    lines.append("")
    other = "wall_ms" if key == "cpu_ms" else "cpu_ms"
    for name, ratio in results["ratios"][key].items():
        passed = "PASS" if ratio <= 1.5 else "MISS"
        verdict = "" if name.startswith("bill-plain") else f", target ≤ 1.5: {passed}"
        lines.append(
            f"{name}: {ratio:.2f} on {key}{verdict} ({results['ratios'][other][name]:.2f} on {other})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
