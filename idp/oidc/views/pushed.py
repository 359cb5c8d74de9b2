"""Pushed authorization requests (RFC 9126) at both ends: the endpoint a client's back-end
pushes to, and what the authorization endpoint uses when a browser brings a ``request_uri``.
The rules live in :mod:`idp.oidc.par`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import after_this_request, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from idp.extensions import db
from idp.oidc import par
from idp.oidc.clients import RegisteredClient
from idp.oidc.server import TOKEN_AUTH_METHODS, provider_server
from idp.oidc.views.common import PAR_PATH, bp
from idp.oidc.views.protocol import BACK_CHANNEL_LIMIT, no_store, refused_parameters
from idp.web import known_browser
from idp.web.context import runtime
from idp.web.machine import machine_endpoint

# What the person reads on the error page, by problem (the technical description is below it).
_EXPLANATIONS = {
    par.PushedRequestProblem.UNKNOWN: _l(
        "This sign-in request is unknown or has already been answered."
    ),
    par.PushedRequestProblem.WRONG_CLIENT: _l(
        "This sign-in request was prepared for another site than the one that sent you here."
    ),
    par.PushedRequestProblem.EXPIRED: _l("This sign-in request has expired."),
    par.PushedRequestProblem.USED: _l(
        "This sign-in request has already been used, perhaps in another browser."
    ),
}
_DESCRIPTIONS = {
    par.PushedRequestProblem.UNKNOWN: "The request_uri is unknown or already answered.",
    par.PushedRequestProblem.WRONG_CLIENT: "The request_uri was pushed by another client.",
    par.PushedRequestProblem.EXPIRED: "The request_uri has expired.",
    par.PushedRequestProblem.USED: "The request_uri has already been used.",
}


@bp.post(PAR_PATH)
@machine_endpoint(BACK_CHANNEL_LIMIT)
def push_authorization_request() -> Response:
    """RFC 9126 2: an authenticated client's authorization request, kept under a
    ``request_uri`` for the browser to bring to the authorization endpoint."""
    refused = refused_parameters()
    if refused is not None:
        return refused
    server = provider_server()
    oauth_request = server.create_oauth2_request(None)
    try:
        client: RegisteredClient = server.authenticate_client(
            oauth_request, TOKEN_AUTH_METHODS, endpoint="pushed_authorization_request"
        )
        parameters = par.pushed_parameters(request.form, client.client_id)
        par.check_as_authorization_request(server, oauth_request, parameters)
        pushed = par.push(db.session, runtime().clock, client.client_id, parameters)
    except OAuth2Error as error:
        # RFC 9126 2.3: the error in the response body, never a redirect.
        error.redirect_uri = None
        error.state = None
        # A client assertion's jti stays recorded, as at the token endpoint.
        db.session.commit()
        return no_store(server.handle_error_response(None, error))
    db.session.commit()
    response = jsonify(request_uri=pushed.request_uri, expires_in=pushed.expires_in)
    response.status_code = 201
    return no_store(response)


@dataclass(frozen=True)
class RequestedAuthorization:
    """The parameters of the authorization request, and the pushed request they come from."""

    parameters: MultiDict[str, str]
    pushed: par.ClaimedRequest | None

    def oauth_request(self) -> OAuth2Request:
        """The request as authlib reads it: a pushed request's parameters, not the query's."""
        built = provider_server().create_oauth2_request(None)
        if self.pushed is not None:
            built.payload = BasicOAuth2Payload(self.parameters.to_dict())
        return built


class InvalidRequestUriError(OAuth2Error):
    """A ``request_uri`` that cannot be used; back to the client only when it pushed it."""

    error = "invalid_request_uri"

    def __init__(self, problem: par.PushedRequestProblem, parameters: dict[str, str] | None):
        super().__init__(description=_DESCRIPTIONS[problem])
        self.explanation = str(_EXPLANATIONS[problem])
        if parameters is not None:
            # Checked when pushed: the redirect URI registered for this very client.
            self.redirect_uri = parameters.get("redirect_uri")
            self.state = parameters.get("state")


def requested_authorization() -> RequestedAuthorization:
    """The pushed request a ``request_uri`` names (RFC 9126 4), else the query's parameters.

    Raises :class:`InvalidRequestUriError` for a ``request_uri`` that cannot be used, and
    ``invalid_request`` for a plain request of a client that must push its requests.
    """
    values = request.values
    client_id = values.get("client_id", "")
    if not values.get("request_uri", "").startswith(par.REQUEST_URI_PREFIX):
        # Any other request_uri is RFC 9101's, which is refused as not supported.
        registration = runtime().registry.client(client_id)
        if registration is not None and registration.require_pushed_authorization_requests:
            raise InvalidRequestError("This client must push its authorization requests (PAR).")
        return RequestedAuthorization(values, None)
    browser = known_browser.identify()
    try:
        claimed = par.claim(
            db.session, runtime().clock, client_id, values.get("request_uri", ""), browser
        )
    except par.PushedRequestError as exc:
        raise InvalidRequestUriError(exc.problem, exc.parameters) from exc
    # The claim holds whatever follows, a refusal without a commit included.
    db.session.commit()

    @after_this_request
    def _keep_browser(response: Response) -> Response:
        # The journey's next steps are recognised by this cookie.
        known_browser.keep(response, browser)
        return response

    return RequestedAuthorization(claimed.parameters, claimed)


def pushed_address() -> str:
    """The address that brings the browser back to the request it claimed."""
    values = request.values
    return urlencode({"client_id": values["client_id"], "request_uri": values["request_uri"]})
