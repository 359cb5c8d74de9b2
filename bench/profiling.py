"""Where the provider's workers spend their time: py-spy sampling during a scenario.

``python -m bench --profile`` attaches ``py-spy record`` (``pip install py-spy``) to each
gunicorn worker for the measured window of each provider scenario, then writes, per scenario,
the functions with the most samples: on their own (self) and with what they call (inclusive).
The figures of a profiled run are a little lower (sampling costs CPU), so it never rewrites
bench/RESULTS.md.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import threading
from pathlib import Path

from bench.paths import PYTHON
from bench.servers import Server

RATE = 250
TOP = 35


class Profiler:
    def __init__(self, directory: Path, server: Server) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.server = server
        self.processes: list[subprocess.Popen[bytes]] = []
        self.scenarios: list[str] = []
        self.program = shutil.which("py-spy") or str(PYTHON.parent / "py-spy")

    def record(self, scenario: str, delay: float, duration: float) -> None:
        """Sample every worker for ``duration`` seconds, starting in ``delay`` seconds."""
        self.scenarios.append(scenario)

        def launch() -> None:
            for pid in self.server.worker_pids():
                output = self.directory / f"{scenario}-{pid}.txt"
                self.processes.append(
                    subprocess.Popen(  # noqa: S603 (py-spy on our own workers)
                        [
                            self.program,
                            "record",
                            "--pid",
                            str(pid),
                            "--duration",
                            str(max(1, round(duration))),
                            "--rate",
                            str(RATE),
                            "--format",
                            "raw",
                            "--nolineno",
                            "--nonblocking",
                            # Only the thread holding the GIL: Python's CPU, not its waits on
                            # the database or Redis (which PostgreSQL's own CPU column shows).
                            "--gil",
                            "--output",
                            str(output),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )

        timer = threading.Timer(delay, launch)
        timer.daemon = True
        timer.start()

    def summarise(self) -> None:
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.terminate()
        for scenario in self.scenarios:
            files = sorted(self.directory.glob(f"{scenario}-*.txt"))
            if files:
                summary = summarise_stacks(files)
                (self.directory / f"{scenario}.summary.md").write_text(summary, "utf-8")


def summarise_stacks(files: list[Path]) -> str:
    """Self and inclusive sample counts per function, from py-spy's raw (collapsed) stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _space, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [f for f in stack.split(";") if "(" in f]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    lines = [
        f"{total} samples (the thread holding the GIL: Python CPU) from "
        + ", ".join(p.name for p in files),
        "",
    ]
    product = collections.Counter({f: c for f, c in inclusive.items() if "(idp/" in f})
    others = collections.Counter(
        {f: c for f, c in inclusive.items() if "(idp/" not in f and not _plumbing(f)}
    )
    for title, counter in (
        ("Self (where the samples were taken)", own),
        ("Inclusive, the provider's functions", product),
        ("Inclusive, libraries", others),
    ):
        lines += [f"## {title}", "", "| share | samples | function |", "|---:|---:|---|"]
        for frame, count in counter.most_common(TOP):
            lines.append(f"| {100 * count / max(1, total):.1f}% | {count} | `{frame}` |")
        lines.append("")
    return "\n".join(lines)


_PLUMBING = ("threading.py", "concurrent/futures", "gunicorn/", "werkzeug/", "flask/app.py")


def _plumbing(frame: str) -> bool:
    """Frames every request passes through (threads, gunicorn, WSGI): not informative."""
    return any(part in frame for part in _PLUMBING) or frame.startswith("<module>")
