"""The provider's pages may send the browser on to the registered relying parties only."""

from __future__ import annotations


def _form_action(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("form-action"))
    return directive.split()[1:]


def test_form_action_lists_self_and_every_registered_site(client):
    # The code step's form redirects to the authorization endpoint, which redirects to the
    # site: browsers check every hop against the form page's form-action.
    sources = _form_action(client.get("/connexion"))
    assert sources == [
        "'self'",
        "http://127.0.0.1:8765",
        "https://amf.example.gouv.qc.ca",
        "https://iqea.example.gouv.qc.ca",
    ]


def test_form_action_has_no_wildcard(client):
    sources = _form_action(client.get("/connexion"))
    assert not any(s in {"*", "https:", "http:"} or "*" in s for s in sources)
