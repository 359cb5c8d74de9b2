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

from bench.results import CpuUse, Measurement, percentile
from bench.sampling import CpuSampler

Operation = Callable[[int], Awaitable[None]]
MAX_ERROR_SAMPLES = 5


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
    cpu: dict[str, float] = {}

    async def client(index: int) -> None:
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
        cpu["client"] = _own_cpu()
        sampler.start()
        await asyncio.sleep(max(0.0, deadline - loop.time()))
        cpu["client"] = _own_cpu() - cpu["client"]
        window = sampler.stop()
        cpu.update(
            server=window.server,
            database=window.database,
            machine=window.machine,
            seconds=window.seconds,
        )

    await asyncio.gather(window(), *(client(i) for i in range(concurrency)))
    seconds = cpu["seconds"]
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
            server=cpu["server"] / seconds,
            client=cpu["client"] / seconds,
            database=cpu["database"] / seconds,
            machine=cpu["machine"] / seconds,
        ),
        error_samples=tally.samples,
        note=unit_note,
    )
