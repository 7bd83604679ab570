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


def test_serve_alone_answers_ready() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"PICCOLO_CONF", "QUEUE_URL"}}
    env.update(PORT=str(port), MAIL_URL="dev:")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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
