"""One measured figure: how many operations a second, how long each took, what it cost."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


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
