"""The whole benchmark, in one command: ``.venv/bin/python -m bench`` (see bench/README.md).

1. the ceilings: a bare Flask app under the production gunicorn settings (bare, +RS256,
   +ES256, argon2id, in-process SAML signing);
2. the reference provider, oidc-provider (Node), for the same protocol work;
3. the provider, ``gunicorn -c config/gunicorn.conf.py idp.wsgi:app`` with 2 workers, on
   SQLite, then on PostgreSQL with Redis: discovery, JWKS, client_credentials (RS256, ES256),
   complete sign-ins, refresh token rotation, SAML single sign-on;
4. bench/RESULTS.md (and the raw figures in bench/runs/<date>/results.json).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench import flows, report
from bench.load import OperationError, closed_loop
from bench.machine import Machine, describe
from bench.paths import BENCH_DIR, NODE_DIR, ROOT, RUNS_DIR
from bench.profiling import Profiler
from bench.provider import (
    BENCH_DATABASE,
    Backend,
    ProviderFiles,
    flush_redis,
    migrate_and_seed,
    provider_env,
    reset_database,
    sp_config,
)
from bench.quiet import wait_for_quiet
from bench.results import Measurement, percentile
from bench.sampling import CpuSampler
from bench.servers import Server, free_port, gunicorn_server
from bench.smtp import CodeCapture
from bench.wrk import WrkRequest, basic, ensure_wrk, run_wrk

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/9"
WORKERS = 2
PRODUCTION_CONFIG = ROOT / "config" / "gunicorn.conf.py"
BARE_CONFIG = BENCH_DIR / "gunicorn_bare_conf.py"
REFERENCE_RESOURCE = "urn:bench:api"
REFERENCE_CLIENTS = ("bench-rs256", "bench-es256", "bench-web")
CC_BODY = "grant_type=client_credentials"
DEMO_PASSWORD = "Fleuve-Erable-2026"  # noqa: S105 (the published demo password)
MAX_AUTHN_REQUESTS = 3000
MAX_ATTEMPTS = 3


@dataclass
class Options:
    backends: list[str]
    warmup: float
    duration: float
    connections: int
    browsers: int
    accounts: int
    reference: bool
    profile: bool
    results_file: Path
    only: frozenset[str]
    quiet_timeout: float
    worker_class: str = "gthread"

    def selected(self, group: str) -> bool:
        return not self.only or group in self.only


@dataclass
class Run:
    options: Options
    run_dir: Path
    machine: Machine
    files: ProviderFiles
    capture: CodeCapture
    smtp_port: int
    measurements: dict[str, Measurement] = field(default_factory=dict)
    profiler: Profiler | None = None

    async def measure(
        self,
        key: str,
        make: Callable[[], Awaitable[Measurement]],
        reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> Measurement:
        """Wait for an idle machine, run one scenario, keep and print its figure.

        When one gunicorn worker did nearly all the work (its connections all landed on it:
        bench/README.md, "Uneven workers"), the server used one core of two: the scenario is
        measured again on new connections, up to MAX_ATTEMPTS times, and the evenest is kept.
        """
        tried: list[Measurement] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if attempt > 1:
                print(
                    f"  {tried[-1].name}: one worker did {tried[-1].worker_shares[0]:.0%} of "
                    "the work; measuring again on new connections",
                    flush=True,
                )
                if reconnect is not None:
                    await reconnect()
            background = await wait_for_quiet(self.options.quiet_timeout)
            if self.profiler is not None:
                label = f"{key.replace(':', '-')}-{attempt}"
                self.profiler.record(label, self.options.warmup, self.options.duration)
            measurement = await make()
            measurement.background = background
            tried.append(measurement)
            if not measurement.uneven:
                break
        measurement = min(tried, key=lambda m: m.worker_shares[0] if m.worker_shares else 0.0)
        measurement.attempts = len(tried)
        self.measurements[key] = measurement
        errors = f", {measurement.errors} errors" if measurement.errors else ""
        print(
            f"  {measurement.name:<44} {measurement.rate:9.1f}/s  "
            f"p50 {measurement.p50_ms:7.1f} ms  p99 {measurement.p99_ms:7.1f} ms{errors}",
            flush=True,
        )
        for sample in measurement.error_samples[:3]:
            print(f"      {sample}", flush=True)
        return measurement

    async def wrk(
        self, key: str, name: str, request: WrkRequest, sampler: CpuSampler
    ) -> Measurement:
        _check_once(request)
        options = self.options
        return await self.measure(
            key,
            lambda: asyncio.to_thread(
                run_wrk,
                name,
                request,
                connections=options.connections,
                warmup=options.warmup,
                duration=options.duration,
                sampler=sampler,
            ),
        )

    async def loop(
        self,
        key: str,
        name: str,
        operation: Callable[[int], Awaitable[None]],
        sampler: CpuSampler,
        concurrency: int | None = None,
        reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> Measurement:
        options = self.options
        return await self.measure(
            key,
            lambda: closed_loop(
                name,
                operation,
                concurrency=concurrency or options.browsers,
                warmup=options.warmup,
                duration=options.duration,
                sampler=sampler,
            ),
            reconnect,
        )


# -- set-up ---------------------------------------------------------------------------------------


def ensure_node_packages() -> bool:
    """``npm ci`` in bench/node when its lock file changed since the last install."""
    lock = NODE_DIR / "package-lock.json"
    stamp = NODE_DIR / "node_modules" / ".installed-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        return True
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("NOTICE: Node.js or npm is missing: oidc-provider is left out.", flush=True)
        return False
    print("Installing oidc-provider into bench/node (npm ci) ...", flush=True)
    subprocess.run(  # noqa: S603 (fixed command)
        [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"], check=True
    )
    stamp.write_text(digest)
    return True


def backends_from(names: list[str]) -> list[Backend]:
    known = {
        "sqlite": Backend("sqlite", "SQLite", None, None),
        "postgresql": Backend(
            "postgresql",
            "PostgreSQL + Redis",
            f"{POSTGRES_SERVER}/{BENCH_DATABASE}",
            REDIS_URL,
        ),
    }
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown backend(s) {unknown}: choose among {sorted(known)}")
    return [known[n] for n in names]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "BENCH_"))}


def _check_once(request: WrkRequest) -> None:
    """One request before the load: it must succeed, or the figure would count errors."""
    data = request.body.encode() if request.body else None
    sent = urllib.request.Request(request.url, data=data, method=request.method)  # noqa: S310
    if request.authorization:
        sent.add_header("Authorization", request.authorization)
    if data:
        sent.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310 (loopback)
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{request.url} answered {answer.status}: {body[:300]!r}")


def _get(pool: flows.SharedSession, url: str) -> Callable[[int], Awaitable[None]]:
    async def operation(_index: int) -> None:
        async with pool.session.get(url) as answer:
            await answer.read()
            if answer.status != 200:
                raise OperationError(f"{url} answered {answer.status}")

    return operation


# -- the ceilings ---------------------------------------------------------------------------------


async def ceilings(run: Run) -> None:
    options = run.options
    port = free_port()
    server = gunicorn_server(
        "bare",
        BARE_CONFIG,
        "bench.bare_app:app",
        port=port,
        env={
            **_clean_env(),
            "BENCH_KEYS_DIR": str(run.files.keys_dir),
            "IDP_WORKER_CLASS": run.options.worker_class,
        },
        run_dir=run.run_dir,
        ready_path="/bare",
        workers=WORKERS,
    )
    print(f"Ceilings: bare Flask app, gunicorn {WORKERS} workers ({server.log_path})", flush=True)
    await asyncio.to_thread(server.start)
    try:
        base = f"http://127.0.0.1:{port}"
        sampler = CpuSampler(server)
        for key, path, name in (
            ("ceiling:bare-wrk", "/bare", "Flask bare endpoint"),
            ("ceiling:rs256", "/rs256", "Flask + one RS256 JWT"),
            ("ceiling:es256", "/es256", "Flask + one ES256 JWT"),
        ):
            await run.wrk(key, name, WrkRequest(base + path), sampler)
        pool = flows.SharedSession(options.browsers)
        try:
            for key, path, name in (
                ("ceiling:bare-aiohttp", "/bare", "Flask bare endpoint"),
                ("ceiling:argon2", "/argon2", "Flask + one argon2id verification"),
                ("ceiling:saml-sign", "/saml-sign", "Flask + one in-process XML signature"),
            ):
                await pool.reconnect()
                await run.loop(
                    key, name, _get(pool, base + path), sampler, reconnect=pool.reconnect
                )
        finally:
            await pool.close()
    finally:
        server.stop()
    await run.measure(
        "ceiling:saml-sign-inprocess",
        lambda: asyncio.to_thread(in_process_signing, run.files.keys_dir),
    )


def in_process_signing(keys_dir: Path, rounds: int = 300) -> Measurement:
    """One core signing assertions back to back, without HTTP: the backend and template of
    bench/saml_signing.py, the provider's current RSA key."""
    from bench.bare_app import current_kid
    from bench.saml_signing import NODE_NAME, assertion_template, timed
    from idp.saml.crypto import InProcessCryptoBackend

    backend = InProcessCryptoBackend(shutil.which("xmlsec1") or "xmlsec1")
    key_file = str(keys_dir / f"{current_kid(keys_dir, 'RSA')}.pem")

    def sign() -> str:
        template, ident = assertion_template()
        return str(backend.sign_statement(template, NODE_NAME, key_file, ident))

    times = timed(sign, rounds)
    return Measurement(
        name="In-process XML signature, no HTTP",
        tool="in-process",
        concurrency=1,
        seconds=sum(times),
        count=len(times),
        errors=0,
        p50_ms=statistics.median(times) * 1000,
        p99_ms=percentile(times, 99) * 1000,
    )


# -- the reference provider -----------------------------------------------------------------------


async def reference(run: Run) -> None:
    flush_redis(REDIS_URL)
    port = free_port()
    secrets_by_client = {c: hashlib.sha256(os.urandom(16)).hexdigest() for c in REFERENCE_CLIENTS}
    server = Server(
        name="oidc-provider",
        command=[shutil.which("node") or "node", str(NODE_DIR / "server.mjs")],
        env={
            **_clean_env(),
            "BENCH_PORT": str(port),
            "BENCH_ISSUER": f"http://127.0.0.1:{port}",
            "BENCH_REDIS_URL": REDIS_URL,
            "BENCH_WORKERS": str(WORKERS),
            "BENCH_CLIENTS": json.dumps(secrets_by_client),
        },
        log_path=run.run_dir / "oidc-provider.log",
        ready_url=f"http://127.0.0.1:{port}/.well-known/openid-configuration",
    )
    print(f"Reference: oidc-provider, {WORKERS} Node workers ({server.log_path})", flush=True)
    await asyncio.to_thread(server.start)
    try:
        base = f"http://127.0.0.1:{port}"
        sampler = CpuSampler(server)
        await run.wrk(
            "reference:discovery",
            "Discovery",
            WrkRequest(f"{base}/.well-known/openid-configuration"),
            sampler,
        )
        await run.wrk("reference:jwks", "JWKS", WrkRequest(f"{base}/jwks"), sampler)
        for client_id, alg in (("bench-rs256", "RS256"), ("bench-es256", "ES256")):
            await run.wrk(
                f"reference:cc-{alg.lower()}",
                f"client_credentials {alg}",
                WrkRequest(
                    f"{base}/token",
                    method="POST",
                    authorization=basic(client_id, secrets_by_client[client_id]),
                    body=CC_BODY,
                ),
                sampler,
            )
        web = flows.WebClient(base, "bench-web", secrets_by_client["bench-web"])
        chains = [
            await flows.reference_refresh_token(web, REFERENCE_RESOURCE)
            for _ in range(run.options.browsers)
        ]
        await _refresh_chains(run, "reference:refresh", web, chains, "/token", sampler)
    finally:
        server.stop()


async def _refresh_chains(
    run: Run,
    key: str,
    web: flows.WebClient,
    chains: list[str],
    path: str,
    sampler: CpuSampler,
) -> None:
    """Each chain uses its refresh token, then the one it got back, and so on; every request
    from another address (a ministry back-end among many)."""
    addresses = flows.client_addresses(start=500_000)
    pool = flows.SharedSession(len(chains))

    async def operation(index: int) -> None:
        chains[index] = await flows.refresh(pool.session, web, chains[index], next(addresses), path)

    try:
        await run.loop(
            key, "Refresh token rotation", operation, sampler, len(chains), pool.reconnect
        )
    finally:
        await pool.close()


# -- the provider ---------------------------------------------------------------------------------


async def provider(run: Run, backend: Backend) -> None:
    options = run.options
    print(f"Provider on {backend.label}: migrating and seeding ...", flush=True)
    reset_database(backend)
    if backend.redis_url:
        flush_redis(backend.redis_url)
    port = free_port()
    env = provider_env(
        run.files,
        backend,
        port=port,
        smtp_port=run.smtp_port,
        instance_dir=run.run_dir / f"instance-{backend.name}",
    )
    started = time.monotonic()
    accounts = await asyncio.to_thread(
        migrate_and_seed,
        env,
        options.accounts,
        run.run_dir / f"accounts-{backend.name}.json",
        run.run_dir / f"setup-{backend.name}.log",
    )
    print(
        f"  {len(accounts)} benchmark accounts ready in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    server = gunicorn_server(
        f"provider-{backend.name}",
        PRODUCTION_CONFIG,
        "idp.wsgi:app",
        port=port,
        env={**env, "IDP_WORKER_CLASS": options.worker_class},
        run_dir=run.run_dir,
        ready_path="/.well-known/openid-configuration",
        workers=WORKERS,
    )
    print(
        f"Provider on {backend.label}: gunicorn -c config/gunicorn.conf.py idp.wsgi:app, "
        f"{WORKERS} workers ({server.log_path})",
        flush=True,
    )
    await asyncio.to_thread(server.start)
    if options.profile:
        run.profiler = Profiler(run.run_dir / "profiles", server)
    try:
        await _provider_scenarios(run, backend, f"http://127.0.0.1:{port}", server, accounts)
    finally:
        server.stop()
        if run.profiler is not None:
            run.profiler.summarise()
            run.profiler = None


async def _provider_scenarios(
    run: Run, backend: Backend, base: str, server: Server, accounts: list[dict[str, str]]
) -> None:
    options = run.options
    sampler = CpuSampler(server)
    prefix = backend.name
    if options.selected("discovery"):
        await run.wrk(
            f"{prefix}:discovery",
            "Discovery",
            WrkRequest(f"{base}/.well-known/openid-configuration"),
            sampler,
        )
    if options.selected("jwks"):
        await run.wrk(
            f"{prefix}:jwks", "JWKS", WrkRequest(f"{base}/.well-known/jwks.json"), sampler
        )
    if options.selected("cc"):
        for client_id, alg in (("bench-rs256", "RS256"), ("bench-es256", "ES256")):
            await run.wrk(
                f"{prefix}:cc-{alg.lower()}",
                f"client_credentials {alg}",
                WrkRequest(
                    f"{base}/oidc/token",
                    method="POST",
                    authorization=basic(client_id, run.files.secrets[client_id]),
                    body=CC_BODY,
                ),
                sampler,
            )

    people = itertools.cycle(
        flows.Person(a["user_code"], a["email"], DEMO_PASSWORD) for a in accounts
    )
    addresses = flows.client_addresses()
    web = flows.WebClient(base, "bench-web", run.files.secrets["bench-web"])
    refresh_tokens: collections.deque[str] = collections.deque(maxlen=options.browsers)

    async def sign_in(_index: int) -> None:
        tokens = await flows.complete_sign_in(web, next(people), next(addresses), run.capture)
        refresh_tokens.append(str(tokens["refresh_token"]))

    if options.selected("signin"):
        await run.loop(f"{prefix}:signin", "Complete sign-in (11 requests)", sign_in, sampler)
    if options.selected("refresh"):
        while len(refresh_tokens) < options.browsers:
            await sign_in(0)
        await _refresh_chains(
            run, f"{prefix}:refresh", web, list(refresh_tokens), "/oidc/token", sampler
        )
    if options.selected("saml"):
        await _saml(run, f"{prefix}:saml", base, people, addresses, sampler)


async def _saml(
    run: Run,
    key: str,
    base: str,
    people: Iterator[flows.Person],
    addresses: Iterator[str],
    sampler: CpuSampler,
) -> None:
    options = run.options
    if run.files.sp is None:
        raise RuntimeError("no service provider registered")
    metadata = await _fetch(f"{base}/saml/metadata")
    requests = flows.AuthnRequests(sp_config(run.files.sp, metadata))
    browsers = [flows.Browser(base, next(addresses)) for _ in range(options.browsers)]
    try:
        # Each browser signs in once through SAML (sign-in, choice, consent): from then on
        # the person has a session and the provider remembers the choice and the consent.
        await asyncio.gather(
            *(flows.saml_sign_in(b, requests, next(people), run.capture) for b in browsers)
        )
        # AuthnRequests are made (signed by the service provider) before the clock starts:
        # a service provider's work is not the provider's.
        # The pace of the signing ceiling is an upper bound; past MAX_AUTHN_REQUESTS the rest
        # are made when needed (the figure then says so).
        ceiling = run.measurements.get("ceiling:saml-sign")
        pace = ceiling.rate if ceiling else 500.0
        count = min(MAX_AUTHN_REQUESTS, int(pace * (options.warmup + options.duration)) + 100)
        started = time.monotonic()
        await asyncio.to_thread(requests.prepare, count)
        print(
            f"  {count} signed AuthnRequests made beforehand in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        async def sso(index: int) -> None:
            await flows.saml_round(browsers[index], requests, run.capture)

        async def reconnect() -> None:
            await asyncio.gather(*(b.reconnect() for b in browsers))

        await reconnect()
        measurement = await run.loop(
            key, "SAML SSO round, signed in (2 requests)", sso, sampler, len(browsers), reconnect
        )
        if requests.ready == 0:
            measurement.note = "AuthnRequests ran out: some were made during the window"
    finally:
        await asyncio.gather(*(b.close() for b in browsers))


async def _fetch(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")
        return await answer.text()


# -- main -----------------------------------------------------------------------------------------


async def _main(options: Options, run_dir: Path) -> Run:
    ensure_wrk()
    node_ready = options.reference and options.selected("reference") and ensure_node_packages()
    if shutil.which("xmlsec1") is None:
        sys.exit("xmlsec1 is missing (pysaml2 needs it): python3 dev.py demo installs it.")
    machine = describe(f"{POSTGRES_SERVER}/postgres", REDIS_URL)
    files = ProviderFiles.create(run_dir, "http://127.0.0.1")
    capture = CodeCapture()
    smtp_port = free_port()
    await capture.start(smtp_port)
    run = Run(options, run_dir, machine, files, capture, smtp_port)
    try:
        if options.selected("ceilings"):
            await ceilings(run)
        if node_ready:
            await reference(run)
        for backend in backends_from(options.backends):
            await provider(run, backend)
    finally:
        await capture.stop()
    return run


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds (default 2)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--browsers",
        type=int,
        default=16,
        help="virtual browsers, refresh chains and their ceilings' clients (default 16)",
    )
    parser.add_argument(
        "--accounts", type=int, default=1500, help="benchmark accounts (default 1500)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated groups to run (default: all): ceilings, reference, discovery, "
        "jwks, cc, signin, refresh, saml",
    )
    parser.add_argument("--no-reference", action="store_true", help="leave oidc-provider out")
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=30.0,
        help="seconds to wait, before each scenario, for other work on the machine to end "
        "(default 30)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the provider's workers with py-spy during each scenario (the figures are "
        "then a little low, and bench/RESULTS.md is left as it was)",
    )
    parser.add_argument(
        "--worker-class",
        default="gthread",
        choices=["gthread", "sync", "gevent"],
        help="gunicorn's worker model for the provider and the ceilings (default gthread, as "
        "config/gunicorn.conf.py)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=BENCH_DIR / "RESULTS.md",
        help="where to write the Markdown results (default bench/RESULTS.md)",
    )
    args = parser.parse_args(argv)
    return Options(
        backends=[b.strip() for b in args.backends.split(",") if b.strip()],
        warmup=args.warmup,
        duration=args.duration,
        connections=args.connections,
        browsers=args.browsers,
        accounts=args.accounts,
        reference=not args.no_reference,
        profile=args.profile,
        results_file=args.results,
        only=frozenset(g.strip() for g in args.only.split(",") if g.strip()),
        quiet_timeout=args.quiet_timeout,
        worker_class=args.worker_class,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    run_dir = RUNS_DIR / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True)
    started = time.monotonic()
    run = asyncio.run(_main(options, run_dir))
    elapsed = time.monotonic() - started
    data = {
        "machine": run.machine.__dict__,
        "options": {k: str(v) for k, v in options.__dict__.items()},
        "measurements": {k: m.as_dict() for k, m in run.measurements.items()},
        "elapsed_seconds": elapsed,
    }
    (run_dir / "results.json").write_text(json.dumps(data, indent=2), "utf-8")
    markdown = report.render(run.machine, options, run.measurements, elapsed, run_dir)
    (run_dir / "RESULTS.md").write_text(markdown, "utf-8")
    if options.profile:
        print(f"Profiled run: figures and profiles in {run_dir} (bench/RESULTS.md left as it was)")
    else:
        options.results_file.write_text(markdown, "utf-8")
        print(f"Results: {options.results_file} (raw figures and logs in {run_dir})")
    print(f"Done in {elapsed / 60:.1f} min")
    return 0
