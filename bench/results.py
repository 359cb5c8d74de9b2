"""One measured figure: how many operations a second, how long each took, what it cost."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

# Above this share of the workers' CPU for one of two workers, the other was left idle.
UNEVEN_SHARE = 0.75


def shares(workers: list[float]) -> list[float]:
    total = sum(workers)
    return [w / total for w in workers] if total > 0 else []


@dataclass
class CpuUse:
    """Cores kept busy during the measured window, by whom (seconds of CPU per second)."""

    server: float
    client: float
    database: float
    machine: float

    @property
    def foreign(self) -> float:
        """Everything else: the system, and other work sharing the machine."""
        return max(0.0, self.machine - self.server - self.client - self.database)


@dataclass
class Measurement:
    name: str
    tool: str
    concurrency: int
    seconds: float
    count: int
    errors: int
    p50_ms: float
    p99_ms: float
    cpu: CpuUse | None = None
    error_samples: list[str] = field(default_factory=list)
    note: str = ""
    # Cores busy on the machine with other work just before the scenario (bench/quiet.py).
    background: float | None = None
    # Each server worker's share of the server's worker CPU in the window, largest first.
    worker_shares: list[float] = field(default_factory=list)
    # Measurements taken before this one was kept (a worker left idle: bench/run.py).
    attempts: int = 1

    @property
    def uneven(self) -> bool:
        """One worker did nearly all the work: the connections all landed on it."""
        return bool(self.worker_shares) and self.worker_shares[0] > UNEVEN_SHARE

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """Server CPU per operation: unlike the rate, it holds when other work shares the
        machine (it only counts the server's own processes)."""
        if self.cpu is None or self.rate <= 0:
            return math.nan
        return self.cpu.server / self.rate * 1000

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate"] = self.rate
        data["server_cpu_ms"] = self.server_cpu_ms
        return data


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (q in 0..100); NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
