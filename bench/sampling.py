"""CPU used during a measured window: the server's processes, the benchmark's database and
Redis, and the whole machine (what is left is other work sharing the machine)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Protocol

import psutil

from bench.provider import BENCH_DATABASE


def machine_busy_seconds() -> float:
    """CPU seconds spent by every core on anything but idling, since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _database_processes() -> dict[int, float]:
    """CPU seconds so far of Redis and of PostgreSQL's own processes and the backends of the
    benchmark's database (backends of other databases are someone else's work)."""
    found: dict[int, float] = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            name = proc.info["name"] or ""
            title = " ".join(proc.info["cmdline"] or [])
            ours = name.startswith("redis-server") or (
                name.startswith("postgres") and ("(" not in title or BENCH_DATABASE in title)
            )
            if ours:
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
    return found


@dataclass
class Window:
    server: float
    database: float
    machine: float
    seconds: float
    # CPU seconds of each server worker, largest first.
    workers: list[float]


class Server(Protocol):
    def cpu_seconds(self) -> float: ...

    def worker_cpu(self) -> dict[int, float]: ...


class CpuSampler:
    """Takes the CPU counters at the start and the end of a window."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._start: tuple[float, dict[int, float], dict[int, float], float, float] | None = None

    def start(self) -> None:
        self._start = (
            self._server.cpu_seconds(),
            self._server.worker_cpu(),
            _database_processes(),
            machine_busy_seconds(),
            time.monotonic(),
        )

    def stop(self) -> Window:
        if self._start is None:
            raise RuntimeError("stop() before start()")
        server, workers, database, machine, wall = self._start
        self._start = None
        now = _database_processes()
        # A backend that started during the window spent all its CPU in it.
        database_cpu = sum(cpu - database.get(pid, 0.0) for pid, cpu in now.items())
        workers_now = self._server.worker_cpu()
        return Window(
            server=self._server.cpu_seconds() - server,
            database=max(0.0, database_cpu),
            machine=machine_busy_seconds() - machine,
            seconds=max(1e-9, time.monotonic() - wall),
            workers=sorted(
                (cpu - workers.get(pid, 0.0) for pid, cpu in workers_now.items()), reverse=True
            ),
        )
