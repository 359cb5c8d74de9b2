"""Prometheus metrics: requests and latencies, and what the provider did, counted on commit.

Business counters are derived from the rows a request commits, not from the code that adds
them: an audit event or a token rolled back (the email could not be sent, a race was lost)
counts nothing. Under gunicorn every worker writes its counters to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``config/gunicorn.conf.py``) and ``/metrics`` sums them.

- ``idp_http_requests_total{method,endpoint,status}``, ``idp_http_request_duration_seconds``
- ``idp_signins_total{second_step}``: completed sign-ins (``code`` or ``question``)
- ``idp_codes_sent_total``: one-time codes emailed
- ``idp_tokens_issued_total{kind}``: access and refresh tokens
- ``idp_failures_total{action,reason}``: refusals and failures by reason (audit events)
- ``idp_events_total{action,outcome}``: every audit event
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

from idp.audit.models import AuditEvent
from idp.audit.tags import AuditAction, Outcome
from idp.db_types import DbSession
from idp.ops.process import MULTIPROC_ENV

HTTP_REQUESTS = Counter(
    "idp_http_requests", "HTTP requests answered.", ["method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "idp_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGNINS = Counter("idp_signins", "Completed sign-ins.", ["second_step"])
CODES_SENT = Counter("idp_codes_sent", "One-time codes emailed.")
TOKENS_ISSUED = Counter("idp_tokens_issued", "Access and refresh tokens issued.", ["kind"])
FAILURES = Counter("idp_failures", "Refusals and failures, by reason.", ["action", "reason"])
EVENTS = Counter("idp_events", "Audit events committed.", ["action", "outcome"])

_PENDING = "idp.metrics.pending"


# -- gunicorn ------------------------------------------------------------------------------------


def worker_exited(pid: int) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


# -- counting on commit --------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    pending = session.info.setdefault(_PENDING, [])
    for instance in session.new:
        if isinstance(instance, AuditEvent):
            pending.append(("event", instance.action, instance.outcome, instance.details))


def count_tokens_on_commit(session: DbSession, kinds: list[str]) -> None:
    """Tokens are written with a plain INSERT (idp.oidc.issuance.record_tokens), which the flush
    hook above does not see: the writer says what it wrote, counted on commit like the rest."""
    pending = session.info.setdefault(_PENDING, [])
    pending.extend(("token", kind, "", {}) for kind in kinds)


@event.listens_for(Session, "after_commit")
def _count(session: Session) -> None:
    for kind, first, second, details in session.info.pop(_PENDING, []):
        if kind == "token":
            TOKENS_ISSUED.labels(first).inc()
            continue
        _count_event(first, second, details or {})


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _count_event(action: str, outcome: str, details: dict[str, Any]) -> None:
    EVENTS.labels(action, outcome).inc()
    if outcome != Outcome.SUCCESS:
        FAILURES.labels(action, str(details.get("reason") or outcome)).inc()
        return
    if action == AuditAction.SIGNIN_COMPLETE:
        second_step = "question" if "kba" in str(details.get("amr", "")).split() else "code"
        SIGNINS.labels(second_step).inc()
    elif action == AuditAction.MFA_CODE_SEND:
        CODES_SENT.inc()


# -- requests ------------------------------------------------------------------------------------


def init_metrics(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        elapsed = time.perf_counter() - started if started is not None else None
        observe_request(request.method, endpoint, response.status_code, elapsed)
        return response


def observe_request(method: str, endpoint: str, status: int, seconds: float | None) -> None:
    """One answered request (also called by idp.oidc.published, which answers before Flask)."""
    HTTP_REQUESTS.labels(method, endpoint, str(status)).inc()
    if seconds is not None:
        HTTP_LATENCY.labels(endpoint).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: this process's, or every worker's summed."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
