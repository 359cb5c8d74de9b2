"""The machine must be idle before a scenario starts: anything else running (a test suite, a
build) takes cores from the server and lowers its figure without telling.

Before each scenario the harness samples how busy the machine is while its own servers wait;
above ``THRESHOLD`` cores it waits, up to a limit, for the other work to end. Whatever it found
last is kept with the figure and shown in bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import time

from bench.sampling import machine_busy_seconds

THRESHOLD = 0.25
SAMPLE_SECONDS = 1.0


async def background_load() -> float:
    """Cores kept busy on the machine during one second, while this harness waits."""
    busy, started = machine_busy_seconds(), time.monotonic()
    await asyncio.sleep(SAMPLE_SECONDS)
    return max(0.0, (machine_busy_seconds() - busy) / (time.monotonic() - started))


async def wait_for_quiet(limit_seconds: float) -> float:
    """Wait (at most ``limit_seconds``) until the machine is idle; the last load measured."""
    deadline = time.monotonic() + limit_seconds
    load = await background_load()
    announced = False
    while load > THRESHOLD and time.monotonic() < deadline:
        if not announced:
            print(
                f"  the machine is busy ({load:.2f} cores) with other work: waiting up to "
                f"{limit_seconds:.0f} s for it to end ...",
                flush=True,
            )
            announced = True
        await asyncio.sleep(2.0)
        load = await background_load()
    return load
