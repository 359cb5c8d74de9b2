"""/healthz and /readyz: what a load balancer and an orchestrator ask."""

from __future__ import annotations

from idp import create_app


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_database(client, app_config):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json["checks"]
    assert checks["database"] == "up"
    expected_redis = "up" if app_config.get("redis_url") else "not_configured"
    assert checks["redis"] == expected_redis


def test_readyz_says_503_when_the_database_is_unreachable(app_config, tmp_path, clock):
    # A database file in a folder that does not exist cannot be opened.
    config = {**app_config, "database_url": f"sqlite:///{tmp_path}/missing/idp.sqlite3"}
    app = create_app(config, clock=clock)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "not_ready",
        "checks": {
            "database": "down",
            "redis": "up" if app_config.get("redis_url") else "not_configured",
        },
    }


def test_readyz_says_503_when_redis_is_unreachable(app_config, clock):
    # Port 9 (discard) has no Redis: the connection is refused.
    config = {**app_config, "redis_url": "redis://127.0.0.1:9/0"}
    app = create_app(config, clock=clock)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "up", "redis": "down"}


def test_health_endpoints_are_not_rate_limited(client):
    statuses = {client.get("/healthz").status_code for _ in range(150)}
    assert statuses == {200}
