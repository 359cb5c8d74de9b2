"""Prometheus metrics: requests, and what the provider did, counted when it is committed."""

from __future__ import annotations

import re

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from idp import create_app
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.extensions import db
from idp.ops.metrics import count_tokens_on_commit
from tests.oidc.conftest import basic_auth, client_secrets, relying_parties  # noqa: F401 (fixtures)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_by_endpoint_and_status(client):
    before = value("idp_http_requests_total", method="GET", endpoint="ops.healthz", status="200")
    client.get("/healthz")
    client.get("/healthz")
    after = value("idp_http_requests_total", method="GET", endpoint="ops.healthz", status="200")
    assert after == before + 2
    assert value("idp_http_request_duration_seconds_count", endpoint="ops.healthz") >= 2


def test_a_sign_in_counts_a_code_sent_and_a_sign_in(auth, person):
    codes, signins = value("idp_codes_sent_total"), value("idp_signins_total", second_step="code")
    auth.sign_in(person)
    assert value("idp_codes_sent_total") == codes + 1
    assert value("idp_signins_total", second_step="code") == signins + 1


def test_failures_are_counted_by_reason(auth, person):
    labels = {"action": "accounts:signin:password", "reason": "wrong_password"}
    before = value("idp_failures_total", **labels)
    auth.password_step(person.user_code, "not-the-password-at-all")
    assert value("idp_failures_total", **labels) == before + 1


def test_an_event_rolled_back_counts_nothing(app, runtime):
    labels = {"action": str(AuditAction.SIGNIN_THROTTLED), "outcome": str(Outcome.DENIED)}
    before = value("idp_events_total", **labels)
    record(db.session, runtime.clock, AuditAction.SIGNIN_THROTTLED, Outcome.DENIED)
    db.session.flush()
    db.session.rollback()
    assert value("idp_events_total", **labels) == before
    record(db.session, runtime.clock, AuditAction.SIGNIN_THROTTLED, Outcome.DENIED)
    db.session.commit()
    assert value("idp_events_total", **labels) == before + 1


def test_loopback_reads_the_metrics_in_prometheus_format(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert re.search(r"^# TYPE idp_http_requests_total counter$", response.text, re.M)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic c2NyYXBlcg=="])
def test_others_need_the_scraper_token(app_config, clock, authorization):
    from idp import create_app

    app = create_app({**app_config, "metrics_token": "scraper-token-0123456789"}, clock=clock)
    remote = {"REMOTE_ADDR": "192.0.2.10"}
    headers = {"Authorization": authorization} if authorization else {}
    client = app.test_client()
    assert client.get("/metrics", headers=headers, environ_base=remote).status_code == 404
    good = {"Authorization": "Bearer scraper-token-0123456789"}
    assert client.get("/metrics", headers=good, environ_base=remote).status_code == 200


def test_tokens_issued_are_counted_by_kind(app_config, clock, relying_parties, client_secrets):  # noqa: F811
    """Tokens are written with a plain INSERT, outside the flush the other counters watch."""
    app = create_app({**app_config, "relying_parties_dir": relying_parties}, clock=clock)
    before = value("idp_tokens_issued_total", kind="access")
    response = app.test_client().post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        headers=basic_auth("melccfp-batch", client_secrets.values["melccfp-batch"]),
    )
    assert response.status_code == 200
    assert value("idp_tokens_issued_total", kind="access") == before + 1


def test_tokens_rolled_back_count_nothing(app, runtime):
    before = value("idp_tokens_issued_total", kind="refresh")
    db.session.execute(select(1))  # the INSERT's transaction
    count_tokens_on_commit(db.session, ["refresh"])
    db.session.rollback()
    db.session.commit()
    assert value("idp_tokens_issued_total", kind="refresh") == before
