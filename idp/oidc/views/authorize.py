"""The authorization endpoint: who signs in, for which enterprise, sharing what.

authlib validates the request (client, exact redirect URI, response type, scope, PKCE, nonce
replay). Then, in order: a fresh sign-in if there is none or the relying party asks for one
(``prompt=login``, ``max_age``, an ``id_token_hint`` for someone else), the conditions of use
(a person who declines them is refused: ``access_denied``), the enterprise the person
acts for at this ministry, the consent to what is shared, and finally the code. Every page in
between posts back to this same URL, so the request itself is the only state carried.

An unknown client or a redirect URI that is not registered is answered with a page and never
with a redirect (RFC 6749 4.1.2.1): the redirect would go to an address nobody vouched for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)
from flask import g, redirect, render_template, request, session, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from idp.accounts.models import UserSession
from idp.claims.identity import Identity, build_citizen_identity, identity_from_rights
from idp.claims.subjects import pairwise_subject
from idp.conditions.guard import declined_just_now, pending_version, send_to_conditions
from idp.config import SUPPORTED_LOCALES
from idp.enterprises.models import Enterprise
from idp.extensions import csrf, db, limiter
from idp.federation import steps
from idp.oidc import issuance
from idp.oidc.acr import ACR_PASSWORD_AND_EMAILED_CODE, acr_of
from idp.oidc.parameters import check_parameters, within_bounds
from idp.oidc.server import AuthorizedUser, provider_server
from idp.oidc.views.common import AUTHORIZE_PATH, bp
from idp.proxies.rights import EffectiveRights
from idp.relying_parties import OidcClient
from idp.web.context import current_session, runtime
from idp.web.i18n import return_address

# Parameters that, once satisfied by a fresh sign-in, must not ask for it again on return.
_FRESH_LOGIN_PARAMETERS = ("max_age", "id_token_hint")
# Ten digits is over 300 years: every session is younger, and a timedelta holds it.
MAX_AGE_DIGITS = 10


@dataclass
class AuthorizationContext:
    grant: Any
    client: OidcClient
    user_session: UserSession | None
    prompts: frozenset[str]


@bp.route(AUTHORIZE_PATH, methods=["GET", "POST"])
@csrf.exempt  # checked below for the person's own choices; a relying party may POST a request
@limiter.limit("120/minute")
def authorize() -> Response | tuple[str, int] | str:
    try:
        # Before authlib reads the request, and before a posted one is carried to a GET.
        check_parameters(request.values)
    except OAuth2Error as error:
        return _refuse(_to_registered_redirect(error))
    if request.method == "POST" and not any(f in request.form for f in steps.FORM_FIELDS):
        # OIDC Core 3.1.2.1: the request may come as a form post; continue it as a GET.
        return redirect(f"{AUTHORIZE_PATH}?{urlencode(list(request.form.items(multi=True)))}", 303)
    _apply_ui_locales()
    user_session = current_session()
    if user_session is not None and not user_session.is_authenticated:
        user_session = None
    try:
        grant = provider_server().get_consent_grant(end_user=user_session)
    except OAuth2Error as error:
        return _refuse(error)
    client = grant.client.registration
    context = AuthorizationContext(
        grant=grant,
        client=client,
        user_session=user_session,
        prompts=frozenset(request.values.get("prompt", "").split()),
    )
    try:
        answer = _continue(context)
    except OAuth2Error as error:
        error.redirect_uri = grant.redirect_uri
        error.state = request.values.get("state")
        return _refuse(error)
    # A page shown between steps keeps what was decided so far (the enterprise chosen).
    db.session.commit()
    return answer


def _continue(context: AuthorizationContext) -> Response | tuple[str, int] | str:
    _refuse_unsupported_parameters()
    if request.form and not steps.decision_form_valid():
        raise InvalidRequestError("The form expired; start again from the service.")
    if _needs_fresh_sign_in(context):
        if "none" in context.prompts:
            raise LoginRequiredError()
        return _send_to_sign_in(context)
    user_session = context.user_session
    assert user_session is not None  # noqa: S101 (a fresh sign-in exists past this point)
    if user_session.account.must_change_password:
        session["next"] = return_address()
        return redirect(url_for("accounts.change_password"))
    conditions = pending_version(user_session.account)
    if conditions is not None:
        if declined_just_now(conditions):
            return _deny(context, reason="conditions_declined")
        if "none" in context.prompts:
            # OIDC Core 3.1.2.6: the conditions need the person's answer, a page to show.
            raise InteractionRequiredError()
        return send_to_conditions(user_session.account, return_address())
    visit = _visit(context, user_session)
    if context.client.audience == "citizen":
        return _citizen_consent_or_code(context, visit)
    options = steps.enterprise_options(visit)
    if visit.decision == steps.DECISION_DENY:
        return _deny(context, reason="declined" if options else "no_rights")
    if not options:
        if "none" in context.prompts:
            return _deny(context, reason="no_rights")
        return steps.no_rights_page(visit)
    try:
        chosen = steps.chosen_enterprise(
            visit, options, ask_again="select_account" in context.prompts
        )
    except steps.ChoiceRefusedError as exc:
        raise InvalidRequestError("That enterprise cannot be chosen.") from exc
    if chosen is None:
        if "none" in context.prompts:
            raise AccountSelectionRequiredError()
        return steps.choice_page(visit, options)
    return _consent_or_code(context, visit, chosen)


def _visit(context: AuthorizationContext, user_session: UserSession) -> steps.Visit:
    client = context.client
    return steps.Visit(
        user_session=user_session,
        ministry_key=client.ministry,
        required_rights=client.required_rights,
        relying_party=client.client_id,
        service=client.sentence_name,
        action=request.full_path,
    )


# -- sign-in ------------------------------------------------------------------------------------


def _max_age() -> timedelta | None:
    """``max_age`` in seconds; an empty parameter is absent (RFC 6749 3.1).

    ASCII digits only (``str.isdigit`` also takes ``²`` and other scripts' digits), and at most
    :data:`MAX_AGE_DIGITS` of them: a longer number would overflow a ``timedelta``.
    """
    value = request.values.get("max_age") or None
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidRequestError("'max_age' must be a whole number of seconds.")
    if len(value) > MAX_AGE_DIGITS:
        raise InvalidRequestError(f"'max_age' may have at most {MAX_AGE_DIGITS} digits.")
    return timedelta(seconds=int(value))


def _needs_fresh_sign_in(context: AuthorizationContext) -> bool:
    max_age = _max_age()
    user_session = context.user_session
    if user_session is None or user_session.authenticated_at is None:
        return True
    if user_session.account.portal != context.client.audience:
        # Citizens' services take citizen accounts only, enterprise services the others.
        return True
    if _needs_emailed_code(context) and acr_of(user_session.amr) != ACR_PASSWORD_AND_EMAILED_CODE:
        return True
    if "login" in context.prompts and not request.form:
        return True
    if max_age is not None and runtime().clock() - user_session.authenticated_at > max_age:
        return True
    hint = request.values.get("id_token_hint")
    return hint is not None and not _hint_names_current_person(context, hint)


def _needs_emailed_code(context: AuthorizationContext) -> bool:
    """The client's registration or its ``acr_values`` ask for the emailed code."""
    asked = request.values.get("acr_values", "").split()
    return context.client.minimum_acr == ACR_PASSWORD_AND_EMAILED_CODE or asked == [
        ACR_PASSWORD_AND_EMAILED_CODE
    ]


def _hint_names_current_person(context: AuthorizationContext, hint: str) -> bool:
    """An ``id_token_hint`` this provider signed (expired or not) naming the signed-in person."""
    rt = runtime()
    try:
        token = jwt.decode(hint, rt.keystore.key_set(), algorithms=["RS256", "PS256", "ES256"])
    except (JoseError, ValueError) as exc:
        raise InvalidRequestError("'id_token_hint' is not an ID token of this provider.") from exc
    claims = token.claims
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience or []
    if claims.get("iss") != rt.settings.issuer or context.client.client_id not in audiences:
        raise InvalidRequestError("'id_token_hint' was not issued to this client.")
    assert context.user_session is not None  # noqa: S101
    subject = pairwise_subject(
        db.session, rt, context.user_session.account_id, context.client.ministry
    )
    return bool(claims.get("sub") == subject)


def _send_to_sign_in(context: AuthorizationContext) -> Response:
    """To the password page, then back here without asking for the fresh sign-in again."""
    params = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key not in _FRESH_LOGIN_PARAMETERS
    ]
    prompts = " ".join(p for p in sorted(context.prompts) if p != "login")
    params = [(k, v) for k, v in params if k != "prompt"]
    if prompts:
        params.append(("prompt", prompts))
    resume = f"{AUTHORIZE_PATH}?{urlencode(params)}"
    login_args: dict[str, Any] = {"next": resume}
    hint = request.args.get("login_hint")
    if hint:
        login_args["login_hint"] = hint[:32]
    if g.get("requested_locale"):
        login_args["lang"] = g.requested_locale
    if context.client.audience == "citizen":
        if _needs_emailed_code(context):
            login_args["acr"] = "mfa"
        return redirect(url_for("citizens.login", **login_args))
    return redirect(url_for("accounts.login", **login_args))


# -- consent and code -------------------------------------------------------------------------


def _consent_or_code(
    context: AuthorizationContext, visit: steps.Visit, held: EffectiveRights
) -> Response | tuple[str, int] | str:
    rt = runtime()
    account = visit.user_session.account
    enterprise = db.session.get(Enterprise, held.enterprise_id)
    assert enterprise is not None  # noqa: S101
    identity = identity_from_rights(db.session, rt, account, enterprise, held)
    return _code_after_consent(context, visit, enterprise, identity)


def _citizen_consent_or_code(
    context: AuthorizationContext, visit: steps.Visit
) -> Response | tuple[str, int] | str:
    """A citizen's service: no enterprise to choose, no right to hold, only the consent."""
    if visit.decision == steps.DECISION_DENY:
        return _deny(context, reason="declined")
    rt = runtime()
    identity = build_citizen_identity(
        db.session, rt, visit.user_session.account, context.client.ministry
    )
    if identity is None:
        raise LoginRequiredError()
    return _code_after_consent(context, visit, None, identity)


def _code_after_consent(
    context: AuthorizationContext,
    visit: steps.Visit,
    enterprise: Enterprise | None,
    identity: Identity | None,
) -> Response | tuple[str, int] | str:
    scope = issuance.narrowed_scope(context.grant.request.scope or "", identity)
    if steps.consent_needed(visit, scope.split(), ask_again="consent" in context.prompts):
        if "none" in context.prompts:
            raise ConsentRequiredError()
        return steps.consent_page(visit, enterprise, scope.split())
    enterprise_id = enterprise.id if enterprise is not None else None
    user = AuthorizedUser(
        user_session=visit.user_session,
        enterprise_id=enterprise_id,
        ministry_key=context.client.ministry,
        scope=scope,
    )
    response = provider_server().create_authorization_response(grant_user=user, grant=context.grant)
    steps.record_sign_in(visit, enterprise_id, scope=scope)
    db.session.commit()
    return _with_issuer(response)


_DENIAL_DESCRIPTIONS = {
    "no_rights": "The person holds no right this service needs.",
    "conditions_declined": "The person declined the conditions of use.",
}


def _deny(context: AuthorizationContext, *, reason: str) -> Response | tuple[str, int]:
    user_session = context.user_session
    visit = _visit(context, user_session) if user_session is not None else None
    steps.record_refusal(visit, context.client.client_id, reason)
    db.session.commit()
    error = AccessDeniedError(
        description=_DENIAL_DESCRIPTIONS.get(reason, "The person declined."),
        redirect_uri=context.grant.redirect_uri,
    )
    error.state = request.values.get("state")
    return _refuse(error)


# -- errors -----------------------------------------------------------------------------------


def _refuse(error: OAuth2Error) -> Response | tuple[str, int]:
    """Back to the relying party when its redirect URI is known good, else a page."""
    if not error.redirect_uri:
        return (
            render_template(
                "oidc/error.html",
                error=error.error,
                description=error.get_error_description() or "",
            ),
            400,
        )
    status, _body, headers = error()
    response = Response(status=status, headers=headers)
    return _with_issuer(response)


def _to_registered_redirect(error: OAuth2Error) -> OAuth2Error:
    """An error found before authlib looked, sent back the way authlib would (RFC 6749
    4.1.2.1): only to a redirect URI registered for a known client, each given once, and with
    the ``state`` only when it is itself within bounds."""
    values = request.values
    client_ids, redirect_uris = values.getlist("client_id"), values.getlist("redirect_uri")
    if len(client_ids) != 1 or len(redirect_uris) != 1:
        return error
    client = provider_server().query_client(client_ids[0])
    if client is None or not client.check_redirect_uri(redirect_uris[0]):
        return error
    error.redirect_uri = redirect_uris[0]
    state = values.get("state")
    error.state = state if within_bounds("state", state) else None
    return error


def _with_issuer(response: Response | tuple[str, int]) -> Response | tuple[str, int]:
    """RFC 9207: the ``iss`` parameter on every authorization response, errors included."""
    if isinstance(response, tuple):
        return response
    location = response.headers.get("Location")
    if location:
        response.headers["Location"] = add_params_to_uri(
            location, {"iss": runtime().settings.issuer}
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_unsupported_parameters() -> None:
    values = request.values
    if "request" in values:
        raise OAuth2Error("Request objects are not supported.", error="request_not_supported")
    if "request_uri" in values:
        raise OAuth2Error("Request URIs are not supported.", error="request_uri_not_supported")
    if "registration" in values:
        raise OAuth2Error("Registration is not supported.", error="registration_not_supported")
    mode = values.get("response_mode")
    if mode not in (None, "query"):
        raise InvalidRequestError("Only response_mode=query is supported.")


def _apply_ui_locales() -> None:
    """``ui_locales`` (OIDC Core 3.1.2.1): the first language this provider speaks wins."""
    for tag in request.values.get("ui_locales", "").split():
        language = tag.split("-")[0].lower()
        if language in SUPPORTED_LOCALES:
            g.requested_locale = language
            return
