"""Closed-loop load for operations of several dependent requests, with asyncio and aiohttp.

N virtual clients each repeat one operation (a complete sign-in, one refresh of its own token
chain, one SAML round) until the time is up. The first ``warmup`` seconds are not counted;
then every operation that *completes* inside the ``duration`` window counts, with its latency
from its first request to its last answer. aiohttp rather than httpx: on these two cores httpx
cost about four times as much CPU per request, which the server would have lost.
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.results import CpuUse, Measurement, percentile, shares
from bench.sampling import CpuSampler, Window

Operation = Callable[[int], Awaitable[None]]
MAX_ERROR_SAMPLES = 5
STAGGER_SECONDS = 0.02


class OperationError(Exception):
    """An operation got an answer it should not have (the message says which)."""


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def closed_loop(
    name: str,
    operation: Operation,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    sampler: CpuSampler,
    unit_note: str = "",
) -> Measurement:
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start = start + warmup
    deadline = window_start + duration
    tally = _Tally()
    measured: list[Window] = []
    own_cpu: list[float] = []

    async def client(index: int) -> None:
        # Clients start a little apart, as browsers do: a burst of connections at once tends
        # to land on one gunicorn worker (bench/README.md, "Uneven workers").
        await asyncio.sleep(index * STAGGER_SECONDS)
        while loop.time() < deadline:
            began = loop.time()
            try:
                await operation(index)
                ok = True
            except Exception as exc:  # noqa: BLE001 (every failure is counted, then reported)
                ok = False
                if len(tally.samples) < MAX_ERROR_SAMPLES:
                    tally.samples.append(f"{type(exc).__name__}: {str(exc)[:300]}")
            ended = loop.time()
            if window_start <= ended <= deadline:
                if ok:
                    tally.latencies.append(ended - began)
                else:
                    tally.errors += 1
            if not ok:
                # A failing server is not hammered in a tight loop.
                await asyncio.sleep(0.05)

    async def window() -> None:
        await asyncio.sleep(max(0.0, window_start - loop.time()))
        before = _own_cpu()
        sampler.start()
        await asyncio.sleep(max(0.0, deadline - loop.time()))
        own_cpu.append(_own_cpu() - before)
        measured.append(sampler.stop())

    await asyncio.gather(window(), *(client(i) for i in range(concurrency)))
    cpu = measured[0]
    return Measurement(
        name=name,
        tool="aiohttp",
        concurrency=concurrency,
        seconds=duration,
        count=len(tally.latencies),
        errors=tally.errors,
        p50_ms=percentile(tally.latencies, 50) * 1000,
        p99_ms=percentile(tally.latencies, 99) * 1000,
        cpu=CpuUse(
            server=cpu.server / cpu.seconds,
            client=own_cpu[0] / cpu.seconds,
            database=cpu.database / cpu.seconds,
            machine=cpu.machine / cpu.seconds,
        ),
        error_samples=tally.samples,
        note=unit_note,
        worker_shares=shares(cpu.workers),
    )
