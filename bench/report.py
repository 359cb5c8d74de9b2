"""bench/RESULTS.md: the machine, each figure beside its ceiling, the ratio and the target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.machine import Machine
from bench.paths import ROOT
from bench.quiet import THRESHOLD
from bench.results import UNEVEN_SHARE, Measurement

BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL + Redis"}


@dataclass(frozen=True)
class Comparison:
    label: str
    figure: str
    ceiling: str
    minimum: float | None


def comparisons(backend: str) -> list[Comparison]:
    """Each figure beside its ceiling or the reference, with issue #16's targets."""
    b = backend
    return [
        Comparison("Discovery", f"{b}:discovery", "ceiling:bare-wrk", 1.00),
        Comparison("Discovery", f"{b}:discovery", "reference:discovery", None),
        Comparison("JWKS", f"{b}:jwks", "ceiling:bare-wrk", 1.00),
        Comparison("JWKS", f"{b}:jwks", "reference:jwks", None),
        Comparison("client_credentials RS256", f"{b}:cc-rs256", "ceiling:rs256", 0.70),
        Comparison("client_credentials RS256", f"{b}:cc-rs256", "reference:cc-rs256", 0.50),
        Comparison("client_credentials ES256", f"{b}:cc-es256", "ceiling:es256", 0.70),
        Comparison("client_credentials ES256", f"{b}:cc-es256", "reference:cc-es256", 0.50),
        Comparison("Complete sign-in", f"{b}:signin", "ceiling:argon2", 0.60),
        Comparison("Refresh token rotation", f"{b}:refresh", "ceiling:bare-aiohttp", None),
        Comparison("Refresh token rotation", f"{b}:refresh", "reference:refresh", 0.50),
        Comparison("SAML SSO round (signed in)", f"{b}:saml", "ceiling:saml-sign", 0.40),
    ]


SECTIONS = [
    ("Ceilings: bare Flask app, same gunicorn settings", "ceiling:"),
    ("Reference: oidc-provider (Node), 2 cluster workers, Redis storage", "reference:"),
    ("Provider on SQLite", "sqlite:"),
    ("Provider on PostgreSQL + Redis", "postgresql:"),
]


def _number(value: float, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}".replace(",", " ")


def _ms(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


FOREIGN_LIMIT = 0.3


def _disturbed(m: Measurement) -> bool:
    foreign = bool(m.cpu and m.cpu.foreign > FOREIGN_LIMIT)
    return (m.background or 0) > THRESHOLD or foreign or m.uneven


def _workers(m: Measurement) -> str:
    """Each worker's share of the work, and how many times the scenario was measured."""
    if not m.worker_shares:
        return "–"
    split = "/".join(f"{100 * share:.0f}" for share in m.worker_shares)
    tries = f" ({m.attempts} tries)" if m.attempts > 1 else ""
    return split + tries + (" ⚠" if m.uneven else "")


def _cpu_ratio(figure: Measurement, ceiling: Measurement | None) -> str:
    """The ceiling's server CPU per operation over the figure's: what the ratio would be if
    the server's own CPU were all that limited both (other work on the machine aside)."""
    if ceiling is None:
        return "–"
    ratio = ceiling.server_cpu_ms / figure.server_cpu_ms
    return "–" if math.isnan(ratio) else f"{ratio:.0%}"


def _cpu_ms(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _source(m: Measurement) -> str:
    if m.tool == "in-process":
        return "in-process, 1 thread"
    unit = "connections" if m.tool == "wrk" else "clients"
    return f"{m.tool}, {m.concurrency} {unit}"


def render(
    machine: Machine,
    options: Any,
    measurements: dict[str, Measurement],
    elapsed: float,
    run_dir: Path,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `.venv/bin/python -m bench` (bench/README.md says what each scenario does "
        "and why a target is missed); every figure and its ceiling come from the same run. "
        f"Each scenario: {options.warmup:g} s of warm-up, then {options.duration:g} s "
        f"measured; gunicorn's `{getattr(options, 'worker_class', 'gthread')}` workers. "
        f"Whole run: {elapsed / 60:.1f} min. Raw figures and server logs: "
        f"`{run_dir.relative_to(ROOT)}/`.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine.rows()],
        "",
        "## Targets",
        "",
        "Throughput is operations per second: requests for discovery, JWKS and "
        "client_credentials; complete sign-ins (11 requests each, from the authorization "
        "request to UserInfo); refresh grants; SAML rounds (AuthnRequest in, signed Response "
        "out: 2 requests). Latency is per operation. *Ratio*: the figure's throughput over "
        "the one beside it, both measured in this run with the same load generator; *CPU "
        "ratio*: the server CPU the one beside it spends per operation over the figure's "
        "(unlike throughput, it does not move when other work shares the machine; it leaves "
        "out the database's and the load generator's CPU).",
        "",
        "| Figure | Backend | Throughput /s | p50 ms | p99 ms | Beside | its /s | Ratio | "
        "Target | Met | CPU ratio |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    backends = [b for b in options.backends if any(k.startswith(b + ":") for k in measurements)]
    for backend in backends:
        for comparison in comparisons(backend):
            figure = measurements.get(comparison.figure)
            ceiling = measurements.get(comparison.ceiling)
            if figure is None:
                continue
            ratio = figure.rate / ceiling.rate if ceiling and ceiling.rate else math.nan
            target = f"≥ {comparison.minimum:.0%}" if comparison.minimum is not None else "–"
            met = "–"
            if comparison.minimum is not None and not math.isnan(ratio):
                met = "yes" if ratio >= comparison.minimum else "**no**"
            if _disturbed(figure) or (ceiling is not None and _disturbed(ceiling)):
                met += " ⚠"
            beside = (
                f"{ceiling.name} ({ceiling.tool})"
                if ceiling and comparison.ceiling.startswith("ceiling:")
                else f"oidc-provider: {ceiling.name}"
                if ceiling
                else "not measured"
            )
            lines.append(
                f"| {comparison.label} | {BACKEND_LABELS.get(backend, backend)} | "
                f"{_number(figure.rate)} | {_ms(figure.p50_ms)} | {_ms(figure.p99_ms)} | "
                f"{beside} | {_number(ceiling.rate) if ceiling else '–'} | "
                f"{'–' if math.isnan(ratio) else f'{ratio:.0%}'} | {target} | {met} | "
                f"{_cpu_ratio(figure, ceiling)} |"
            )
    disturbed = [m.name for m in measurements.values() if _disturbed(m)]
    if disturbed:
        lines += [
            "",
            f"⚠ Other work was running on the machine before or during {len(disturbed)} "
            "scenario(s) (marked ⚠ below): their throughput is lower than the machine allows; "
            "their *server CPU ms/op* still holds.",
        ]
    lines += [
        "",
        "## Every figure",
        "",
        "CPU is in cores kept busy during the measured window (this machine has "
        f"{machine.cores}): the server's processes, the harness (load generator, SMTP "
        "capture; wrk when it is the tool), the database (PostgreSQL's processes for the "
        "benchmark's database, Redis) and anything else (the system, other work: ⚠ above "
        f"{FOREIGN_LIMIT} cores, when another program took CPU from the scenario). "
        "*Server CPU ms/op*: the server's CPU time per operation, which other work "
        "on the machine does not change (the throughput it does). *Busy before*: cores the "
        "machine spent on other work in the second before the scenario, with every server of "
        "the harness waiting; ⚠ above "
        f"{THRESHOLD} (the harness waited up to {options.quiet_timeout:g} s for it to end): "
        "that figure is lower than the machine allows. *Workers*: each gunicorn (or Node) "
        "worker's share of the server's CPU; when one did more than "
        f"{UNEVEN_SHARE:.0%} (its connections all landed on it, the other one idle) the "
        "scenario was measured again on new connections, up to three times, and the evenest "
        "kept (README, *Uneven workers*).",
        "",
    ]
    for title, prefix in SECTIONS:
        rows = [(k, m) for k, m in measurements.items() if k.startswith(prefix)]
        if not rows:
            continue
        lines += [
            f"### {title}",
            "",
            "| Scenario | Load | Throughput /s | p50 ms | p99 ms | Errors | "
            "Server CPU ms/op | CPU server / harness / database / other | Busy before | "
            "Workers |",
            "|---|---|---:|---:|---:|---:|---:|---|---:|---|",
        ]
        for _key, m in rows:
            cpu = "–"
            if m.cpu:
                cpu = (
                    f"{m.cpu.server:.2f} / {m.cpu.client:.2f} / {m.cpu.database:.2f} / "
                    f"{m.cpu.foreign:.2f}"
                )
                if m.cpu.foreign > FOREIGN_LIMIT:
                    cpu += " ⚠"
            errors = str(m.errors)
            if m.error_samples:
                errors += f" ({'; '.join(m.error_samples)[:120]})"
            note = f" ({m.note})" if m.note else ""
            busy = "–" if m.background is None else f"{m.background:.2f}"
            if m.background is not None and m.background > THRESHOLD:
                busy += " ⚠"
            lines.append(
                f"| {m.name}{note} | {_source(m)} | {_number(m.rate)} | {_ms(m.p50_ms)} | "
                f"{_ms(m.p99_ms)} | {errors} | {_cpu_ms(m.server_cpu_ms)} | {cpu} | {busy} | "
                f"{_workers(m)} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def rerender(run_dir: Path, results_file: Path) -> None:
    """RESULTS.md again from a run's results.json (after a change of the report, not of the
    figures): ``python -m bench.report bench/runs/<date> [bench/RESULTS.md]``."""
    import ast
    import json
    from types import SimpleNamespace

    from bench.results import CpuUse

    data = json.loads((run_dir / "results.json").read_text("utf-8"))
    measurements = {}
    for key, fields in data["measurements"].items():
        fields = {k: v for k, v in fields.items() if k not in ("rate", "server_cpu_ms")}
        cpu = fields.pop("cpu")
        measurements[key] = Measurement(**fields, cpu=CpuUse(**cpu) if cpu else None)
    options: dict[str, Any] = dict(data["options"])  # written as strings by bench/run.py
    for name in ("warmup", "duration", "quiet_timeout"):
        options[name] = float(options[name])
    options["backends"] = ast.literal_eval(options["backends"])
    markdown = render(
        Machine(**data["machine"]),
        SimpleNamespace(**options),
        measurements,
        float(data["elapsed_seconds"]),
        run_dir.resolve(),
    )
    results_file.write_text(markdown, "utf-8")


if __name__ == "__main__":
    import sys

    rerender(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "bench/RESULTS.md"))
