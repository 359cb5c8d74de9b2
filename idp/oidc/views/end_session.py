"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

With a valid ``id_token_hint`` for the person signed in here, the session ends at once;
otherwise (only a ``client_id``, or a hint for another session) the person confirms first, so
that a link on any page cannot sign them out. The browser goes back only to a
``post_logout_redirect_uri`` registered for that client, compared exactly; anything else is
refused on a page, never followed (no open redirect through logout).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionEndpoint as BaseEndSessionEndpoint
from authlib.oidc.rpinitiated.end_session import EndSessionRequest
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from idp.accounts.sessions import end_session_for_relying_party
from idp.audit.tags import AuditAction
from idp.extensions import csrf, db
from idp.names import OrganisationName
from idp.oidc.parameters import MAX_REDIRECT_URI_LENGTH, check_parameters
from idp.oidc.server import provider_server
from idp.oidc.views.common import END_SESSION_PATH, bp
from idp.saml.logout import start_provider_logout
from idp.web.context import client_info, current_session, runtime
from idp.web.session_loader import clear_session_token


class EndSessionEndpoint(BaseEndSessionEndpoint):
    def get_server_jwks(self) -> dict[str, Any]:
        return runtime().keystore.jwks()

    def get_algorithms(self) -> list[str]:
        return ["RS256", "PS256", "ES256"]

    def is_post_logout_redirect_uri_legitimate(self, *args: Any) -> bool:
        # Registered and compared exactly; without a hint the person confirms first anyway.
        return True

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        user_session = current_session()
        if user_session is None:
            return
        client = end_session_request.client
        end_session_for_relying_party(
            db.session,
            runtime(),
            user_session,
            client.client_id if client else None,
            AuditAction.OIDC_LOGOUT,
            client=client_info(),
        )
        db.session.commit()
        clear_session_token()


class ConfirmForm(FlaskForm):
    """Only the CSRF token."""


@bp.route(END_SESSION_PATH, methods=["GET", "POST"])
@csrf.exempt  # the confirmation form is checked below; relying parties may POST the request
def end_session_view() -> Response | tuple[str, int] | str:
    server = provider_server()
    try:
        check_parameters(request.values)
        validated: EndSessionRequest = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _error_page(error.get_error_description() or error.error)
    problem = _registration_problem(validated)
    if problem:
        return _error_page(problem)
    confirmed = request.method == "POST" and "confirm" in request.form
    if confirmed and not ConfirmForm().validate_on_submit():
        confirmed = False
    user_session = current_session()
    if user_session is not None and not confirmed and not _hint_is_for(validated, user_session.sid):
        return _confirmation_page(validated)
    server.create_endpoint_response("end_session", validated)
    after = validated.redirect_uri or url_for("oidc.logged_out")
    round_url = start_provider_logout(user_session, after) if user_session is not None else None
    db.session.commit()
    if round_url is None:
        return redirect(after)
    # The SAML services of the session are visited in turn before going back. A page here, not
    # a redirect: the site that posted its sign-out form may forbid, by its form-action policy,
    # every address but ours for the redirects that follow that form.
    return render_template(
        "federation/continue.html",
        url=round_url,
        title=_("Signing you out of the other services"),
        lead=_(
            "You are signed out of clicSÉQUR. The other government services you opened "
            "are being told; this takes a moment."
        ),
    )


@bp.get(f"{END_SESSION_PATH}/termine")
def logged_out() -> str:
    return render_template("oidc/logged_out.html")


def _registration_problem(validated: EndSessionRequest) -> str | None:
    values = request.values
    if values.get("client_id") and validated.client is None:
        return "unknown client_id"
    uri = values.get("post_logout_redirect_uri")
    if uri and validated.redirect_uri is None:
        return "post_logout_redirect_uri is not registered for this client"
    if validated.redirect_uri and len(validated.redirect_uri) > MAX_REDIRECT_URI_LENGTH:
        # Kept for the end of a SAML logout round (saml_logouts.after_url) with its state.
        return "post_logout_redirect_uri with its state is too long"
    return None


def _hint_is_for(validated: EndSessionRequest, sid: str) -> bool:
    claims = validated.id_token_claims
    return bool(claims) and claims.get("sid") == sid


def _service(validated: EndSessionRequest) -> OrganisationName | None:
    client = validated.client
    return client.registration.sentence_name if client is not None else None


def _confirmation_page(validated: EndSessionRequest) -> str:
    return render_template(
        "oidc/logout_confirm.html",
        form=ConfirmForm(),
        action=request.full_path,
        service=_service(validated),
    )


def _error_page(description: str) -> tuple[str, int]:
    return render_template("oidc/error.html", error="invalid_request", description=description), 400
