"""JSON logs with the request each line belongs to; the request id sent back."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from idp import create_app
from idp.ops.logs import RequestContextFilter


@pytest.fixture
def json_app(app_config, clock):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    app = create_app({**app_config, "log_format": "json"}, clock=clock)
    yield app
    root.handlers, root.level = handlers, level


def test_json_lines_carry_the_request_and_the_audit_facts(json_app):
    stream = io.StringIO()
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    handler.setStream(stream)  # type: ignore[attr-defined]
    response = json_app.test_client().post("/connexion", data={"user_code": "x"})
    assert response.status_code == 400  # no CSRF token
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [rejected] = [line for line in lines if line.get("logger") == "idp.audit"]
    assert rejected["message"] == "web:csrf:reject denied"
    assert rejected["level"] == "INFO"
    assert rejected["audit"]["action"] == "web:csrf:reject"
    assert rejected["method"] == "POST"
    assert rejected["path"] == "/connexion"
    assert rejected["request_id"] == response.headers["X-Request-ID"]


def test_a_request_id_comes_back_on_every_response(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 16
    assert first != second


def test_an_incoming_request_id_is_kept_only_behind_a_trusted_proxy(app_config, clock, client):
    incoming = {"X-Request-ID": "lb-2026-11-23-abcdef"}
    assert (
        client.get("/healthz", headers=incoming).headers["X-Request-ID"] != incoming["X-Request-ID"]
    )
    proxied = create_app({**app_config, "trusted_proxy_count": 1}, clock=clock)
    response = proxied.test_client().get("/healthz", headers=incoming)
    assert response.headers["X-Request-ID"] == "lb-2026-11-23-abcdef"
    # Anything but a plain token (spaces, markup, too long) is replaced.
    for bad in ("bad id", "<script>", "x" * 200):
        forged = proxied.test_client().get("/healthz", headers={"X-Request-ID": bad})
        assert forged.headers["X-Request-ID"] != bad


def test_the_filter_leaves_records_outside_requests_alone():
    record = logging.LogRecord("idp", logging.INFO, __file__, 1, "hello", None, None)
    assert RequestContextFilter().filter(record) is True
    assert not hasattr(record, "request_id")
