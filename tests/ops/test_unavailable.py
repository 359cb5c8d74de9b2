"""A store that does not answer gives 503 and Retry-After, never a 500 or a traceback."""

from __future__ import annotations

import pytest

from idp import create_app
from tests.conftest import csrf_token
from tests.oidc.conftest import basic_auth, client_secrets, relying_parties  # noqa: F401 (fixtures)


@pytest.fixture
def no_database(app_config, tmp_path, clock, relying_parties):  # noqa: F811
    # A database file in a folder that does not exist cannot be opened.
    config = {
        **app_config,
        "database_url": f"sqlite:///{tmp_path}/missing/idp.sqlite3",
        "relying_parties_dir": relying_parties,
    }
    return create_app(config, clock=clock).test_client()


def test_a_page_says_the_service_is_briefly_unavailable(no_database):
    # The sign-in page itself needs nothing stored; the password step looks the account up.
    page = no_database.get("/connexion?lang=en")
    assert page.status_code == 200
    response = no_database.post(
        "/connexion?lang=en",
        data={
            "user_code": "KXMP-4827",
            "password": "a password of some length",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "Service temporarily unavailable" in page
    assert "Traceback" not in page


def test_a_protocol_endpoint_answers_json(no_database, client_secrets):  # noqa: F811
    # A client_credentials grant is stored before its token is issued.
    response = no_database.post(
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        headers=basic_auth("melccfp-batch", client_secrets.values["melccfp-batch"]),
    )
    assert response.status_code == 503
    assert response.json["error"] == "temporarily_unavailable"
    assert response.headers["Retry-After"] == "5"


def test_without_redis_a_sign_in_fails_closed(app_config, clock, person):
    """Rate-limit counters must be shared to bound guessing: without Redis, no sign-in."""
    app = create_app({**app_config, "redis_url": "redis://127.0.0.1:9/0"}, clock=clock)
    client = app.test_client()
    page = client.get("/connexion?lang=en")
    assert page.status_code == 200
    response = client.post(
        "/connexion?lang=en",
        data={
            "user_code": person.user_code,
            "password": person.password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.get_data(as_text=True)
