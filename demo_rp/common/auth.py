"""Signing in and out through clicSÉQUR, and keeping the session's tokens fresh.

Routes: ``/auth/connexion`` (to the provider), ``/auth/callback`` (its answer),
``/auth/backchannel-logout`` (the provider ends a session), ``/auth/security-events`` (the
provider pushes a security event, :mod:`demo_rp.common.security_events`), ``/deconnexion``
(sign-out, CSRF protected) and ``/.well-known/jwks.json`` (the site's public key, the registered
``jwks_uri``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from typing import Any

from authlib.integrations.base_client import OAuthError
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from demo_rp.common import oidc
from demo_rp.common.errors import error_page
from demo_rp.common.i18n import language
from demo_rp.common.security_events import (
    Recorded,
    SecurityEventError,
    verify_security_event,
)
from demo_rp.common.services import csrf, services
from demo_rp.common.sessions import ServerSession
from demo_rp.common.site import ClaimsRefusedError, profile, setting

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

# One lock per slot of sessions, so that two requests of one browser do not both spend the
# same refresh token (the provider would take the second use for theft and end everything).
_REFRESH_LOCKS = tuple(threading.Lock() for _ in range(64))


def _current() -> ServerSession:
    """The session object itself (not Flask's proxy): its cookie value, regenerate, end."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, ServerSession):
        raise TypeError("the server-side session interface is not installed")
    return current


def _lock_for(token: str | None) -> threading.Lock:
    digest = hashlib.sha256((token or "").encode()).digest()
    return _REFRESH_LOCKS[digest[0] % len(_REFRESH_LOCKS)]


# -- every request: who is signed in, with fresh tokens ---------------------------------------


def load_person() -> Response | tuple[str, int] | None:
    g.person = None
    g.ended_session = _current().ended_as
    auth = session.get("auth")
    if not isinstance(auth, dict):
        return None
    if request.blueprint != "auth" and request.endpoint != "static" and oidc.needs_refresh(auth):
        try:
            auth = _renew(auth)
        except oidc.SessionOverError as ended:
            logger.info("site session ended: %s", ended)
            _current().end()
            flash("flash_session_ended", "warning")
            return redirect(url_for("site.home"))
        except oidc.ProviderError as failure:
            logger.warning("clicSÉQUR unreachable while renewing tokens: %s", failure)
            return error_page("provider_unavailable_title", "provider_unavailable_text", 503)
    g.person = profile().person_from(auth)
    return None


def _renew(auth: dict[str, Any]) -> dict[str, Any]:
    current = _current()
    token = current.token
    with _lock_for(token):
        store = services().sessions
        # As stored now: another request of this browser may have renewed the tokens.
        stored = store.read_auth(token) if token else auth
        if stored is None:
            raise oidc.SessionOverError("ended meanwhile")
        if stored.get("refresh_token") != auth.get("refresh_token") and not oidc.needs_refresh(
            stored
        ):
            renewed = stored
        else:
            renewed = oidc.refresh(stored)
            if token:
                # Written at once: a request waiting on the lock must see the new tokens.
                store.update(token, {**dict(current), "auth": renewed})
        current["auth"] = renewed
    return renewed


# -- signing in -------------------------------------------------------------------------------


@bp.get("/auth/connexion")
def sign_in() -> Any:
    if g.get("person"):
        return redirect(url_for("site.home"))
    try:
        return oidc.authorization_redirect(language())
    except oidc.ProviderError as failure:
        logger.warning("clicSÉQUR unreachable: %s", failure)
        return error_page("provider_unavailable_title", "provider_unavailable_text", 503)


@bp.get("/auth/callback")
def callback() -> Any:
    if request.args.get("error"):
        return _refused()
    try:
        auth = oidc.complete_sign_in(request.args.get("iss"))
    except oidc.ProviderError as failure:
        logger.warning("sign-in: clicSÉQUR unreachable: %s", failure)
        return error_page("provider_unavailable_title", "provider_unavailable_text", 503)
    except ClaimsRefusedError as refused:
        logger.warning("sign-in refused by the site: %s", refused)
        return error_page(refused.title, refused.message, 403)
    except (OAuthError, JoseError, oidc.SessionOverError, KeyError, ValueError) as failure:
        logger.warning("sign-in refused: %s: %s", type(failure).__name__, failure)
        return error_page("sign_in_failed_title", "sign_in_failed_text", 400, retry_sign_in=True)
    current = _current()
    current.clear()
    current.regenerate()  # a new cookie value for the signed-in session
    current["auth"] = auth
    return redirect(url_for("site.home"))


def _refused() -> tuple[str, int]:
    """An error answer of the provider (``access_denied``: no right, or the person cancelled)."""
    state = request.args.get("state")
    integration = oidc.client().framework
    known = bool(state) and integration.get_state_data(session, state) is not None
    if known:
        integration.clear_state_data(session, state)
    error = request.args.get("error")
    logger.info("sign-in answered with error=%s (state known: %s)", error, known)
    if known and error == "access_denied":
        return error_page("access_denied_title", "access_denied_text", 403, retry_sign_in=True)
    return error_page("sign_in_failed_title", "sign_in_failed_text", 400, retry_sign_in=True)


# -- signing out ------------------------------------------------------------------------------


@bp.post("/deconnexion")
def sign_out() -> Response:
    """End the site session, then the provider's (RP-initiated logout with the ID token)."""
    current = _current()
    auth = current.get("auth")
    current.end()
    if not isinstance(auth, dict):
        return redirect(url_for("site.home"))
    state = secrets.token_urlsafe(16)
    current["logout_state"] = state  # a fresh anonymous session, to recognise the way back
    try:
        logout = oidc.client().create_logout_url(
            post_logout_redirect_uri=oidc.post_logout_redirect_uri(),
            id_token_hint=auth.get("id_token"),
            state=state,
            ui_locales="en-CA" if language() == "en" else "fr-CA",
        )
    except (oidc.ProviderError, RuntimeError) as failure:
        logger.warning("sign-out: no end_session_endpoint: %s", failure)
        return redirect(url_for("site.home"))
    return redirect(logout["url"])


@bp.post("/auth/backchannel-logout")
@csrf.exempt
def backchannel_logout() -> tuple[Response, int]:
    """The provider says a session ended: end every site session of that ``sid``."""
    raw = request.form.get("logout_token", "")
    try:
        claims = oidc.verify_logout_token(raw)
    except oidc.LogoutTokenError as refused:
        logger.warning("logout token refused: %s", refused)
        return _logout_error(str(refused))
    except oidc.ProviderError as failure:
        logger.warning("logout token not checked, provider unreachable: %s", failure)
        response = jsonify(error="temporarily_unavailable")
        return response, 503
    if not services().used_logout_token(claims["jti"], int(claims.get("exp") or 0)):
        return _logout_error("logout token already used")
    ended = services().sessions.delete_by_sid(claims["sid"], claims.get("sub"))
    logger.info("back-channel logout: %d session(s) ended", ended)
    response = current_app.response_class(status=200)
    response.headers["Cache-Control"] = "no-store"
    return response, 200


def _logout_error(description: str) -> tuple[Response, int]:
    response = jsonify(error="invalid_request", error_description=description)
    response.headers["Cache-Control"] = "no-store"
    return response, 400


@bp.post("/auth/security-events")
@csrf.exempt
def security_event() -> tuple[Response, int]:
    """The provider pushes a security event (RFC 8935): 202 once verified and recorded."""
    try:
        event = verify_security_event(request.get_data(as_text=True), request.content_type)
    except SecurityEventError as refused:
        logger.warning("security event refused: %s: %s", refused.err, refused.description)
        return _no_store(jsonify(err=refused.err, description=refused.description), 400)
    except oidc.ProviderError as failure:
        # Not the SET's fault: an answer other than 202 or 400 has the provider try again.
        logger.warning("security event not checked, provider unreachable: %s", failure)
        return _no_store(jsonify(err="temporarily_unavailable"), 503)
    found = services()
    recorded = found.security_events.record(event, int(setting("CLOCK")().timestamp()))
    if recorded is Recorded.CONFLICT:
        return _no_store(jsonify(err="invalid_request", description="jti already received"), 400)
    if recorded is Recorded.REPEAT:
        # Acted on when it first came: the provider is retrying after losing our answer.
        return _no_store(current_app.response_class(status=202), 202)
    ends_sessions = profile().security_event_ends_sessions
    ended = found.sessions.delete_by_sub(event.sub) if ends_sessions(event) else 0
    logger.info("security event %s received: %d session(s) ended", event.event_type, ended)
    return _no_store(current_app.response_class(status=202), 202)


def _no_store(response: Response, status: int) -> tuple[Response, int]:
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(services().jwks)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    app.before_request(load_person)
    app.register_blueprint(bp)
