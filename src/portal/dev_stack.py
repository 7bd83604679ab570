"""`portal run`'s child processes: the web server, the job worker and, as the settings ask, the sandbox
bank and the metrics exporter, each a `portal` command. A worker that dies is started again (with a growing
delay); Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import sys

from portal.infra.supervisor import supervise
from portal.settings import PROJECT_ROOT, Settings


def supervise_stack(settings: Settings, demo: str | None) -> int:
    """The web server, the worker and their companions, supervised until Ctrl-C; `demo` describes the
    demo data to whoever runs it."""
    children = {
        "web": [sys.executable, "-m", "portal.cli", "serve"],
        "worker": [sys.executable, "-m", "portal.cli", "worker"],
    }
    from portal.payments.sandbox.app import sandbox_url, serves_gateway

    if serves_gateway(settings):
        children["sandbox bank"] = [sys.executable, "-m", "portal.cli", "sandbox-bank"]
    if settings.metrics.port:
        _fresh_metrics_dir(settings)
        children["metrics exporter"] = [sys.executable, "-m", "portal.cli", "metrics"]

    # The web server as this machine reaches it: where the supervisor sees it answer, and where the
    # development mailbox answers (to this machine only, whatever BASE_URL says).
    wildcard = settings.web.host in {"", "0.0.0.0", "::"}  # noqa: S104 (read, not bound: reached on loopback)
    host = "127.0.0.1" if wildcard else settings.web.host
    here = f"http://[{host}]:{settings.web.port}" if ":" in host else f"http://{host}:{settings.web.port}"

    def announce() -> None:
        print(f"\nThe Customer Service Area is at {settings.web.base_url}/", flush=True)
        if "sandbox bank" in children:
            print(
                f"The sandbox bank (test card payments, no real money) is at {sandbox_url(settings)}/",
                flush=True,
            )
        if settings.mail.is_dev_mailbox:
            print(f"Emails it sends appear at {here}/dev/mailbox (to a browser on this machine)", flush=True)
        if demo:
            print(demo, flush=True)
        if "metrics exporter" in children:
            print(
                f"Metrics for Prometheus are at http://{settings.metrics.host}:{settings.metrics.port}/metrics",
                flush=True,
            )
        print("Press Ctrl-C to stop.\n", flush=True)

    # The address is printed once the web server answers, below the children's start-up lines.
    return supervise(
        children,
        optional={"sandbox bank", "metrics exporter"},
        restarted={"worker"},
        when_ready=(f"{here}/healthz", announce),
    )


def _fresh_metrics_dir(settings: Settings) -> None:
    """The folder the children write their metrics to (var/metrics unless PROMETHEUS_MULTIPROC_DIR says),
    emptied before they start, as prometheus-client's multiprocess mode requires."""
    folder = settings.metrics.multiprocess_dir or PROJECT_ROOT / "var" / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
