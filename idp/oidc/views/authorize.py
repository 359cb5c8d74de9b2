"""The authorization endpoint: who signs in, for which enterprise, sharing what.

authlib validates the request (client, exact redirect URI, response type, scope, PKCE, nonce
replay). Then, in order: a fresh sign-in if there is none or the relying party asks for one
(``prompt=login``, ``max_age``, an ``id_token_hint`` for someone else), the conditions of use
(a person who declines them is refused: ``access_denied``), the enterprise the person
acts for at this ministry, the consent to what is shared, and finally the code. Every page in
between posts back to this same URL, so the request itself is the only state carried.

An unknown client or a redirect URI that is not registered is answered with a page and never
with a redirect (RFC 6749 4.1.2.1): the redirect would go to an address nobody vouched for.

A request may also have been pushed first (RFC 9126, :mod:`.pushed`): the browser then brings
only ``client_id`` and ``request_uri``, and the stored parameters take the place of the query's
for every step.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from idp.accounts.models import UserSession
from idp.claims.identity import Identity
from idp.claims.subjects import pairwise_subject
from idp.conditions.guard import send_to_conditions
from idp.config import SUPPORTED_LOCALES
from idp.extensions import csrf, db, limiter
from idp.federation import journey, steps
from idp.federation.facts import LiveFacts
from idp.oidc import issuance, par
from idp.oidc.acr import (
    ACR_PASSWORD_AND_EMAILED_CODE,
    ACR_PHISHING_RESISTANT,
    ACR_VALUES_SUPPORTED,
    satisfies,
)
from idp.oidc.parameters import check_parameters, max_age, refuse_unsupported, within_bounds
from idp.oidc.server import AuthorizedUser, provider_server
from idp.oidc.views.common import AUTHORIZE_PATH, bp
from idp.oidc.views.pushed import InvalidRequestUriError, pushed_address, requested_authorization
from idp.relying_parties import OidcClient
from idp.web.context import current_session, runtime
from idp.web.i18n import return_address

# Parameters that, once satisfied by a fresh sign-in, must not ask for it again on return.
_FRESH_LOGIN_PARAMETERS = ("max_age", "id_token_hint")


@dataclass
class AuthorizationContext:
    grant: Any
    client: OidcClient
    user_session: UserSession | None
    prompts: frozenset[str]
    # The request's parameters: the query's, or those of the pushed request it names.
    parameters: MultiDict[str, str]
    pushed: par.ClaimedRequest | None


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
    try:
        requested = requested_authorization()
    except InvalidRequestUriError as refused:
        return _refuse(refused)
    except OAuth2Error as error:
        return _refuse(_to_registered_redirect(error))
    parameters = requested.parameters
    _apply_ui_locales(parameters)
    user_session = current_session()
    if user_session is not None and not user_session.is_authenticated:
        user_session = None
    try:
        grant = provider_server().get_consent_grant(requested.oauth_request(), user_session)
    except OAuth2Error as error:
        return _refuse(error, requested.pushed)
    client = grant.client.registration
    context = AuthorizationContext(
        grant=grant,
        client=client,
        user_session=user_session,
        prompts=frozenset(parameters.get("prompt", "").split()),
        parameters=parameters,
        pushed=requested.pushed,
    )
    try:
        answer = _continue(context)
    except OAuth2Error as error:
        error.redirect_uri = grant.redirect_uri
        error.state = parameters.get("state")
        return _refuse(error, context.pushed)
    # A page shown between steps keeps what was decided so far (the enterprise chosen).
    db.session.commit()
    return answer


def _continue(context: AuthorizationContext) -> Response | tuple[str, int] | str:
    refuse_unsupported(context.parameters)
    if request.form and not steps.decision_form_valid():
        raise InvalidRequestError("The form expired; start again from the service.")
    visit = _visit(context)
    facts = LiveFacts(
        visit,
        shared=lambda identity: _scope(context, identity).split(),
        hint_names_current_person=lambda hint: _hint_names_current_person(context, hint),
    )
    outcome = journey.decide(_demands(context), facts)
    facts.settle(outcome)
    return _answer(context, visit, outcome)


def _demands(context: AuthorizationContext) -> journey.Demands:
    prompts = context.prompts
    return steps.demands(
        context.client.audience,
        needs_emailed_code=_needs_emailed_code(context),
        needs_phishing_resistant=_needs_passkey(context),
        login_prompt="login" in prompts and not request.form,
        max_age=max_age(context.parameters),
        id_token_hint=context.parameters.get("id_token_hint"),
        passive="none" in prompts,
        select_account="select_account" in prompts,
        consent_again="consent" in prompts,
    )


# prompt=none: each outcome that would show a page, as the error OpenID Connect Core 3.1.2.6
# names for it.
_PASSIVE_ERRORS: dict[type, type[OAuth2Error]] = {
    journey.SignInNeeded: LoginRequiredError,
    journey.PasswordChange: InteractionRequiredError,
    journey.NoRights: AccessDeniedError,
    journey.ConditionsToAccept: InteractionRequiredError,
    journey.ChooseEnterprise: AccountSelectionRequiredError,
    journey.ConsentNeeded: ConsentRequiredError,
}


def _answer(
    context: AuthorizationContext, visit: steps.Visit | None, outcome: journey.Outcome
) -> Response | tuple[str, int] | str:
    """The journey's outcome as OpenID Connect says it."""
    if "none" in context.prompts and journey.shows_a_page(outcome):
        raise _PASSIVE_ERRORS[type(outcome)]()
    match outcome:
        case journey.SignInNeeded(reason=journey.SignInReason.ACR_TOO_WEAK) if _needs_passkey(
            context
        ):
            # Signed in with the code: the passkey step, then back here.
            return redirect(url_for("passkeys.confirm", next=_resume_address(context)))
        case journey.SignInNeeded():
            return _send_to_sign_in(context)
        case journey.Ready():
            return _code(context, visit, outcome)
        case journey.Denied(reason=reason):
            return _deny(context, reason=reason.value)
        case journey.NoIdentity():
            raise LoginRequiredError()
        case journey.ChoiceRefused():
            raise InvalidRequestError("That enterprise cannot be chosen.")
    assert visit is not None  # noqa: S101 (past a sign-in, every outcome has a person)
    match outcome:
        case journey.PasswordChange():
            session["next"] = return_address()
            return redirect(url_for("accounts.change_password"))
        case journey.ConditionsToAccept():
            return send_to_conditions(visit.user_session.account, return_address())
    page = steps.journey_page(visit, outcome)
    if page is None:
        raise AssertionError(f"unmapped outcome {outcome!r}")
    return page


def _visit(context: AuthorizationContext) -> steps.Visit | None:
    user_session = context.user_session
    if user_session is None:
        return None
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


def _minimum_acr(context: AuthorizationContext) -> str | None:
    """The class the client's registration requires, or the one ``acr_values`` names alone
    (several values leave the choice to the provider)."""
    asked = context.parameters.get("acr_values", "").split()
    named = asked[0] if len(asked) == 1 and asked[0] in ACR_VALUES_SUPPORTED else None
    registered = context.client.minimum_acr
    if registered and named:
        return registered if satisfies(registered, named) else named
    return registered or named


def _needs_emailed_code(context: AuthorizationContext) -> bool:
    """The client's registration or its ``acr_values`` ask for the emailed code (or better)."""
    minimum = _minimum_acr(context)
    return minimum is not None and satisfies(minimum, ACR_PASSWORD_AND_EMAILED_CODE)


def _needs_passkey(context: AuthorizationContext) -> bool:
    return _minimum_acr(context) == ACR_PHISHING_RESISTANT


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


def _resume_address(context: AuthorizationContext) -> str:
    """This authorization request again, without what asked for the fresh sign-in."""
    asked = context.parameters if context.pushed else request.args
    params = [
        (key, value)
        for key, value in asked.items(multi=True)
        if key not in (*_FRESH_LOGIN_PARAMETERS, "prompt")
    ]
    prompts = " ".join(p for p in sorted(context.prompts) if p != "login")
    if prompts:
        params.append(("prompt", prompts))
    if context.pushed is None:
        return f"{AUTHORIZE_PATH}?{urlencode(params)}"
    # A pushed request goes on under its request_uri, its stored parameters changed likewise.
    par.replace_parameters(db.session, context.pushed, dict(params))
    return f"{AUTHORIZE_PATH}?{pushed_address()}"


def _send_to_sign_in(context: AuthorizationContext) -> Response:
    """To the password page, then back here without asking for the fresh sign-in again."""
    login_args: dict[str, Any] = {"next": _resume_address(context)}
    hint = context.parameters.get("login_hint")
    if hint:
        login_args["login_hint"] = hint[:32]
    if g.get("requested_locale"):
        login_args["lang"] = g.requested_locale
    if context.client.audience == "citizen":
        if _needs_emailed_code(context):
            login_args["acr"] = "mfa"
        return redirect(url_for("citizens.login", **login_args))
    return redirect(url_for("accounts.login", **login_args))


# -- the code -----------------------------------------------------------------------------------


def _scope(context: AuthorizationContext, identity: Identity | None) -> str:
    return issuance.narrowed_scope(context.grant.request.scope or "", identity)


def _code(
    context: AuthorizationContext, visit: steps.Visit | None, ready: journey.Ready
) -> Response | tuple[str, int]:
    assert visit is not None  # noqa: S101 (ready means signed in)
    scope = " ".join(ready.shared)
    user = AuthorizedUser(
        user_session=visit.user_session,
        enterprise_id=ready.enterprise_id,
        ministry_key=context.client.ministry,
        scope=scope,
    )
    response = provider_server().create_authorization_response(
        context.grant.request, grant_user=user, grant=context.grant
    )
    steps.record_sign_in(visit, ready.enterprise_id, scope=scope)
    if context.pushed is not None:
        par.finish(db.session, context.pushed)
    db.session.commit()
    return _with_issuer(response)


_DENIAL_DESCRIPTIONS = {
    "no_rights": "The person holds no right this service needs.",
    "conditions_declined": "The person declined the conditions of use.",
}


def _deny(context: AuthorizationContext, *, reason: str) -> Response | tuple[str, int]:
    steps.record_refusal(_visit(context), context.client.client_id, reason)
    db.session.commit()
    error = AccessDeniedError(
        description=_DENIAL_DESCRIPTIONS.get(reason, "The person declined."),
        redirect_uri=context.grant.redirect_uri,
    )
    error.state = context.parameters.get("state")
    return _refuse(error, context.pushed)


# -- errors -----------------------------------------------------------------------------------


def _refuse(
    error: OAuth2Error, pushed: par.ClaimedRequest | None = None
) -> Response | tuple[str, int]:
    """Back to the relying party when its redirect URI is known good, else a page. A pushed
    request answered so is dead."""
    if not error.redirect_uri:
        return (
            render_template(
                "oidc/error.html",
                error=error.error,
                description=error.get_error_description() or "",
                explanation=getattr(error, "explanation", None),
            ),
            400,
        )
    if pushed is not None:
        par.finish(db.session, pushed)
        db.session.commit()
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


def _apply_ui_locales(parameters: MultiDict[str, str]) -> None:
    """``ui_locales`` (OIDC Core 3.1.2.1): the first language this provider speaks wins."""
    for tag in parameters.get("ui_locales", "").split():
        language = tag.split("-")[0].lower()
        if language in SUPPORTED_LOCALES:
            g.requested_locale = language
            return
