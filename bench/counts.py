"""How much work one operation is: SQL statements and calls of the functions that matter.

    .venv/bin/python -m bench.counts [--operations 10] [--profile 25]

The provider runs in this process (werkzeug's threaded server, PostgreSQL + Redis, the same
settings and registrations as ``python -m bench``); the harness's own flows drive it while
SQLAlchemy's ``before_cursor_execute`` event counts statements and counters wrap
``rights_at``, ``enterprises_for`` and ``ssl.create_default_context``. Printed per complete
sign-in, refresh, SAML round and client_credentials token (bench/README.md quotes them).
``--profile N`` adds, per operation, the N functions of the provider's serving threads with the
most CPU time of their own and inclusive (cProfile, CPU timer), to see where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import importlib
import io
import os
import pstats
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench import flows
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
from bench.run import DEMO_PASSWORD, POSTGRES_SERVER, REDIS_URL
from bench.servers import free_port
from bench.smtp import CodeCapture

COUNTS: collections.Counter[str] = collections.Counter()
# cProfile of the serving threads, when --profile asks for it (one per operation reported).
PROFILE: dict[str, Any] = {"profiler": None, "lines": 0}
# Modules that imported the counted functions by name.
USERS = ("idp.federation.steps", "idp.claims.identity", "idp.oidc.issuance", "idp.saml.views")


def counting(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        COUNTS[name] += 1
        return function(*args, **kwargs)

    return wrapper


def instrument() -> None:
    import idp.proxies.rights as rights

    for name in ("rights_at", "enterprises_for"):
        setattr(rights, name, counting(name, getattr(rights, name)))
        for module_name in USERS:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                setattr(module, name, getattr(rights, name))
    ssl.create_default_context = counting(  # type: ignore[assignment]
        "ssl.create_default_context", ssl.create_default_context
    )


def cpu_timed(app: Any) -> Callable[..., Any]:
    """The CPU time of the thread serving each request (werkzeug gives a request one thread;
    requests come one at a time here, so no other request's work is counted)."""

    def timed(environ: Any, start_response: Any) -> Any:
        profiler = PROFILE["profiler"]
        started = time.thread_time()
        if profiler is not None:
            profiler.enable()
        try:
            return list(app(environ, start_response))
        finally:
            if profiler is not None:
                profiler.disable()
            COUNTS["server CPU ms"] += 1000 * (time.thread_time() - started)

    return timed


def restart_counts() -> None:
    """Forget what the warm-up counted."""
    COUNTS.clear()
    if PROFILE["lines"]:
        PROFILE["profiler"] = cProfile.Profile(time.thread_time)


def report(label: str, operations: int) -> None:
    print(f"\nPer {label}:")
    for name, count in sorted(COUNTS.items()):
        print(f"  {name:<30} {count / operations:8.2f}")
    COUNTS.clear()
    profiler = PROFILE["profiler"]
    if profiler is not None:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(order).print_stats(PROFILE["lines"])
            print(f"  -- by {order} (seconds over {operations} operations)")
            print("\n".join("  " + line for line in out.getvalue().splitlines()[6:]))
        PROFILE["profiler"] = cProfile.Profile(time.thread_time)


async def measure(operations: int, port: int, files: ProviderFiles, accounts: list[dict]) -> None:
    capture = CodeCapture()
    await capture.start(int(os.environ["IDP_SMTP_PORT"]))
    base = f"http://127.0.0.1:{port}"
    web = flows.WebClient(base, "bench-web", files.secrets["bench-web"])
    addresses = flows.client_addresses()
    people = iter(flows.Person(a["user_code"], a["email"], DEMO_PASSWORD) for a in accounts)
    for _ in range(2):  # warm-up: templates, caches
        await flows.complete_sign_in(web, next(people), next(addresses), capture)
    restart_counts()
    tokens: dict[str, Any] = {}
    for _ in range(operations):
        tokens = await flows.complete_sign_in(web, next(people), next(addresses), capture)
    report("complete sign-in (11 requests)", operations)

    async with aiohttp.ClientSession() as session:
        refresh_token = str(tokens["refresh_token"])
        for _ in range(operations):
            refresh_token = await flows.refresh(session, web, refresh_token, next(addresses))
        report("refresh", operations)
        async with session.get(f"{base}/saml/metadata") as answer:
            metadata = await answer.text()
        assert files.sp is not None  # noqa: S101
        requests = flows.AuthnRequests(sp_config(files.sp, metadata))
        browser = flows.Browser(base, next(addresses))
        await flows.saml_sign_in(browser, requests, next(people), capture)
        restart_counts()
        for _ in range(operations):
            await flows.saml_round(browser, requests, capture)
        await browser.close()
        report("SAML round (2 requests)", operations)
        for _ in range(operations):
            async with session.post(
                f"{base}/oidc/token",
                data={"grant_type": "client_credentials"},
                headers={
                    "Authorization": flows.basic("bench-rs256", files.secrets["bench-rs256"]),
                    "X-Forwarded-For": next(addresses),
                },
            ) as answer:
                if answer.status != 200:
                    raise RuntimeError(await answer.text())
        report("client_credentials token", operations)
    await capture.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=10)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    run_dir = Path(tempfile.mkdtemp(prefix="idp-bench-counts-"))
    files = ProviderFiles.create(run_dir, "http://127.0.0.1")
    backend = Backend(
        "postgresql", "PostgreSQL + Redis", f"{POSTGRES_SERVER}/{BENCH_DATABASE}", REDIS_URL
    )
    reset_database(backend)
    flush_redis(REDIS_URL)
    port, smtp_port = free_port(), free_port()
    env = provider_env(files, backend, port=port, smtp_port=smtp_port, instance_dir=run_dir / "i")
    accounts = migrate_and_seed(
        env, 2 * args.operations + 10, run_dir / "accounts.json", run_dir / "setup.log"
    )
    os.environ.update(env)
    instrument()
    if args.profile:
        PROFILE["lines"] = args.profile
    from sqlalchemy import event
    from werkzeug.serving import WSGIRequestHandler, make_server

    from idp import create_app
    from idp.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(*args: Any) -> None:
        statement = str(args[2]).split(None, 1)[0].upper()
        COUNTS["SQL statements"] += 1
        if os.environ.get("BENCH_SQL_TRACE"):
            print("    SQL:", " ".join(str(args[2]).split())[:1600])
        COUNTS[f"SQL {statement}"] += 1

    WSGIRequestHandler.log_request = lambda *a, **k: None  # type: ignore[method-assign]
    server = make_server("127.0.0.1", port, cpu_timed(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        asyncio.run(measure(args.operations, port, files, accounts))
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
