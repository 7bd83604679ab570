"""`portal serve` on its own (DATABASE_URL set, nothing else): it finds its database without `portal run`
having set PICCOLO_CONF for it, logs JSON lines, one per request, and keeps idle connections open."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from conftest import free_port


def serve_alone(port: int, *, unset: frozenset[str] = frozenset(), **env: str) -> subprocess.Popen[str]:
    """`portal serve` with the test run's DATABASE_URL and nothing `portal run` would have set for it."""
    kept = {k: v for k, v in os.environ.items() if k not in {"PICCOLO_CONF", "QUEUE_URL", *unset}}
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve"],
        env={**kept, "PORT": str(port), "MAIL_URL": "dev:", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_alone_answers_ready() -> None:
    port = free_port()
    process = serve_alone(port)
    try:
        deadline = time.monotonic() + 60
        body = ""
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert body == "database: ok\nqueue: ok\nstorage: ok\n"
        # A client that comes back to an idle connection after a few seconds (a reader on a page, a
        # proxy's pooled connection) is answered on it, not cut off while it sends.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        first = connection.sock.getsockname()
        time.sleep(6)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        assert connection.sock.getsockname() == first  # the same connection, not a new one
        connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "piccolo_conf" not in output, output
    # Every line is one JSON object (Litestar's own logging config must not replace ours), and the request
    # is logged once, by RequestLogMiddleware, not a second time by uvicorn's access log.
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "request" and line["path"] == "/readyz"]
    assert len(requests) == 1, output
    assert requests[0]["status"] == 200 and requests[0]["request_id"], requests
    assert not any(line.get("logger") == "uvicorn.access" for line in lines), output
    # On this machine (BASE_URL's default), development is what it says: no warning.
    assert not any(line["level"] == "warning" for line in lines), output


def test_a_development_set_up_reached_from_elsewhere_warns_once_at_start() -> None:
    """A developer's tunnel (BASE_URL not this machine) is allowed, but the log says what it is."""
    process = serve_alone(
        free_port(), unset=frozenset({"PORTAL_ENV"}), BASE_URL="https://dev-tunnel.example.com"
    )
    assert process.stdout is not None
    try:
        lines = []
        for text in process.stdout:  # pytest's timeout bounds the wait
            lines.append(json.loads(text))
            if lines[-1]["event"] == "Application startup complete.":
                break
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    warnings = [line for line in lines if line["level"] == "warning"]
    assert [line["event"] for line in warnings] == ["settings.not_for_customers"], lines
    advice = warnings[0]["advice"]
    assert "https://dev-tunnel.example.com" in advice and "development" in advice, advice
    assert "not fit for customers" in advice and "set PORTAL_ENV=production" in advice, advice
