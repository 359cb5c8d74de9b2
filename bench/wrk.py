"""Fixed requests at full speed with wrk (Debian's package), a C load generator.

Stateless requests (discovery, JWKS, client_credentials and their ceilings) go through wrk: it
costs the two shared cores far less per request than any Python client, so what is measured is
the server. Requests that depend on the answer before them (sign-ins, refresh chains, SAML
rounds) are in :mod:`bench.load`.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass

from bench.paths import BENCH_DIR
from bench.results import CpuUse, Measurement, shares
from bench.sampling import CpuSampler

SCRIPT = BENCH_DIR / "wrk" / "request.lua"
# One wrk thread drives tens of thousands of requests a second: one is enough here, and it
# leaves the second core to the server.
THREADS = 1


@dataclass(frozen=True)
class WrkRequest:
    url: str
    method: str = "GET"
    authorization: str | None = None
    body: str | None = None
    rotate_client_address: bool = True

    def args(self) -> list[str]:
        return [
            self.method,
            self.authorization or "-",
            self.body or "-",
            "1" if self.rotate_client_address else "0",
        ]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def ensure_wrk() -> str:
    """The wrk program; installed with apt-get when missing and this runs as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: install the Debian package wrk (apt-get install wrk).")
    print("Installing the Debian package wrk ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed")
    return found


def run_wrk(
    name: str,
    request: WrkRequest,
    *,
    connections: int,
    warmup: float,
    duration: float,
    sampler: CpuSampler,
) -> Measurement:
    """A warm-up run (discarded), then the measured run."""
    if warmup > 0:
        _wrk(request, connections, warmup)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler.start()
    output = _wrk(request, connections, duration)
    window = sampler.stop()
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after_children.ru_utime + after_children.ru_stime) - (
        before_children.ru_utime + before_children.ru_stime
    )
    result = _parse(output)
    wall = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Measurement(
        name=name,
        tool="wrk",
        concurrency=connections,
        seconds=wall,
        count=max(0, result["requests"] - result["status"]),
        errors=errors,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        cpu=CpuUse(
            server=window.server / window.seconds,
            client=client / window.seconds,
            database=window.database / window.seconds,
            machine=window.machine / window.seconds,
        ),
        worker_shares=shares(window.workers),
        error_samples=[
            f"{k}: {result[k]}"
            for k in ("connect", "read", "write", "status", "timeout")
            if result[k]
        ],
    )


def _wrk(request: WrkRequest, connections: int, seconds: float) -> str:
    command = [
        ensure_wrk(),
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(SCRIPT),
        request.url,
        "--",
        *request.args(),
    ]
    completed = subprocess.run(  # noqa: S603 (fixed program and arguments)
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    return completed.stdout


def _parse(output: str) -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith("BENCH-RESULT "):
            return dict(json.loads(line[len("BENCH-RESULT ") :]))
    raise RuntimeError(f"wrk printed no result:\n{output}")
