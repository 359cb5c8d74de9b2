"""The demo servers send a page asked under another name (``127.0.0.1``) to their own name."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from idp.demo.named import served_under

ISSUER = "http://localhost:5000"


def served(base_url: str = ISSUER) -> Client:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return Response("served")(environ, start_response)

    return Client(served_under(app, base_url))


def test_a_page_asked_under_the_address_goes_to_the_same_page_under_the_name():
    answer = served().get(
        "/connexion",
        query_string="next=/oidc/authorize?client_id%3Diqea",
        base_url="http://127.0.0.1:5000",
    )
    assert answer.status_code == 308
    assert answer.headers["Location"] == (
        "http://localhost:5000/connexion?next=/oidc/authorize?client_id%3Diqea"
    )


def test_a_page_asked_under_the_name_is_served():
    for base_url in (ISSUER, "http://LOCALHOST:5000"):
        assert served().get("/connexion", base_url=base_url).text == "served"


def test_the_default_port_is_the_same_name():
    # No loop between « localhost » and « localhost:80 ».
    assert served("http://localhost:80").get("/", base_url="http://localhost").text == "served"
    assert served("http://localhost").get("/", base_url="http://localhost:80").text == "served"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_what_is_not_a_page_is_served_where_it_was_sent(method):
    answer = served().open("/connexion", method=method, base_url="http://127.0.0.1:5000")
    assert answer.text == "served"


@pytest.mark.parametrize(
    ("host", "path"),
    [("evil.example", "/connexion"), ("127.0.0.1:5000", "//evil.example/x"), ("[bad", "/")],
)
def test_the_redirection_never_leaves_the_name(host, path):
    answer = served().get(path, headers={"Host": host})
    assert answer.status_code == 308
    assert answer.headers["Location"].startswith("http://localhost:5000/")
