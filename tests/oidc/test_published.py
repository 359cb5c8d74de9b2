"""Discovery and the key set answered from prebuilt bytes, before Flask (idp/oidc/published.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from idp import create_app
from idp.keystore import rotate_keys
from idp.oidc.published import Document

JWKS = "/.well-known/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"
DOCUMENTS = (JWKS, DISCOVERY, "/.well-known/oauth-authorization-server")


@pytest.mark.parametrize("path", DOCUMENTS)
def test_an_unchanged_document_answers_304_to_its_etag(client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    # A weak form of the same tag and a list holding it match too (RFC 9110 §13.1.2).
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("path", DOCUMENTS)
def test_head_sends_the_headers_without_the_body(client, path):
    full = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(full.data))
    assert head.headers["ETag"] == full.headers["ETag"]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_public_json_headers(client, path):
    response = client.get(path)
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    # Served over plain HTTP in tests: no HSTS, which only means something over HTTPS.
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_the_issuer_is_https(app_config, clock):
    app = create_app({**app_config, "issuer": "https://idp.example.gouv.qc.ca"}, clock=clock)
    response = app.test_client().get(JWKS)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_other_methods_reach_flask(client):
    assert client.post(JWKS).status_code == 405
    assert client.delete(DISCOVERY).status_code == 405
    options = client.options(DISCOVERY)
    assert options.status_code == 200
    assert "GET" in options.headers["Allow"]


def test_the_path_must_match_exactly(client):
    assert client.get(JWKS + "/").status_code == 404
    assert client.get("/.well-known/JWKS.json").status_code == 404


def test_a_query_string_does_not_change_the_document(client):
    assert client.get(JWKS + "?v=2").data == client.get(JWKS).data


def test_the_key_set_follows_the_published_keys(app_config, clock, runtime, client):
    """A retired key leaves the set once its retention is over, without a restart."""
    settings = runtime.settings
    retention = timedelta(seconds=settings.keys_retired_retention_seconds)
    old_kid = runtime.keystore.current("RSA").kid
    rotate_keys(settings.keys_dir, clock, settings.issuer, retention)
    restarted = create_app(app_config, clock=clock).test_client()
    before = restarted.get(JWKS)
    assert old_kid in {key["kid"] for key in before.get_json()["keys"]}

    clock.advance(seconds=retention.total_seconds() + 1)
    after = restarted.get(JWKS)
    assert old_kid not in {key["kid"] for key in after.get_json()["keys"]}
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = restarted.get(JWKS, headers={"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200


def test_requests_are_counted_in_the_metrics(client):
    def count() -> float:
        labels = {"method": "GET", "endpoint": "oidc.jwks", "status": "200"}
        return REGISTRY.get_sample_value("idp_http_requests_total", labels) or 0.0

    before = count()
    client.get(JWKS)
    client.get(JWKS)
    assert count() == before + 2


def test_the_etag_changes_with_the_body():
    first = Document.of({"keys": []}, 60, https=False)
    second = Document.of({"keys": [{"kid": "a"}]}, 60, https=False)
    assert first.etag != second.etag
    assert first.matches("*")
    assert not first.matches(None)
    assert not first.matches("")
