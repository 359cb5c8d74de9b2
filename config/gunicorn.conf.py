"""gunicorn settings of the production profile (docs/deploy.md).

    gunicorn -c config/gunicorn.conf.py idp.wsgi:app

Every value can be changed by an environment variable (``IDP_BIND``, ``IDP_WORKERS``,
``IDP_THREADS``...) so one file serves a laptop, a benchmark and a host behind a reverse proxy.

Workers are processes, each with its own copy of the app; nothing one worker keeps in memory is
needed by another (sessions, codes, tokens, replay caches are in the database; rate-limit
counters in Redis when ``IDP_REDIS_URL`` is set). The app is loaded once in the master
(``preload_app``): signing keys, the catalogue and the relying parties are parsed once, then
shared by the forked workers; database and Redis connections are never shared (``post_fork``).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from idp.ops.process import prepare_multiprocess_directory

# Before the app is loaded (preload_app, below): the counters of every worker go to files in
# one directory that /metrics sums; the logs are JSON lines for the collector.
prepare_multiprocess_directory()
os.environ.setdefault("IDP_LOG_FORMAT", "json")

bind = os.environ.get("IDP_BIND", "127.0.0.1:8000")
# Sign-ins are bound by argon2id (CPU): one worker per core. Threads overlap the waits on the
# database, Redis and SMTP inside one worker. `sync` (one request at a time per worker) and
# `gevent` (pip install '.[gevent]') were measured against it (bench/README.md, *Worker model*).
WORKER_CLASSES = ("gthread", "sync", "gevent")
workers = int(os.environ.get("IDP_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("IDP_WORKER_CLASS", "gthread")
if worker_class not in WORKER_CLASSES:
    raise SystemExit(f"IDP_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}")
if worker_class == "gevent":
    # Before the app is preloaded in the master: modules it imports (subprocess, which pysaml2
    # runs xmlsec1 with; threading; ssl) must be the patched ones, or the workers break on them.
    from gevent import monkey

    monkey.patch_all()
threads = int(os.environ.get("IDP_THREADS", "4"))
# gevent: requests served at once by one worker (each waits on the database or Redis in turn).
worker_connections = int(os.environ.get("IDP_WORKER_CONNECTIONS", "100"))
preload_app = True
# Behind a reverse proxy: a slow client holds the proxy, not a worker.
timeout = int(os.environ.get("IDP_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (with jitter), bounding any slow leak.
max_requests = int(os.environ.get("IDP_MAX_REQUESTS", "0")) or 0
max_requests_jitter = max_requests // 10
# X-Forwarded-* are trusted by the app itself (IDP_TRUSTED_PROXY_COUNT, werkzeug's ProxyFix),
# not by gunicorn: one place decides.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = os.environ.get("IDP_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("IDP_LOG_LEVEL", "info").lower()
proc_name = "idp"
# gunicorn's control socket (``gunicornc``: worker status, adding workers, graceful reload) has
# one default path per user, so a second instance on the host (blue/green, a benchmark, the
# tests) would take it over. Off unless a path of this instance's own is given.
control_socket = os.environ.get("IDP_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def on_starting(server: Any) -> None:
    """Say it loudly when guess limits would be counted per worker: without Redis, the sign-in
    throttle and the rate limits live in each worker's memory, and an attacker's budget is
    multiplied by the number of workers (docs/deploy.md)."""
    if server.cfg.workers > 1 and not os.environ.get("IDP_REDIS_URL"):
        server.log.warning(
            "%d workers without IDP_REDIS_URL: each counts sign-in guesses and rate limits on "
            "its own, so the limits are %d times looser; set IDP_REDIS_URL or run one worker",
            server.cfg.workers,
            server.cfg.workers,
        )


def post_fork(server: Any, worker: Any) -> None:
    """Connections opened in the master (migrations check, preload) are not the worker's."""
    from idp.ops.process import forget_inherited_connections

    forget_inherited_connections(worker.app.wsgi())


def child_exit(server: Any, worker: Any) -> None:
    from idp.ops.metrics import worker_exited

    worker_exited(worker.pid)
