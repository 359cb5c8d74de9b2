"""SAML 2.0 endpoints: metadata, single sign-on, single logout.

The IdP call sequence is pysaml2's (parse the AuthnRequest, build the response arguments,
create the authentication response, apply the binding); the checks before it are this
provider's (``idp/saml/messages.py``). An AuthnRequest that passes them is stored and the
browser goes on to ``/saml/sso/<token>``, where the same steps as OpenID Connect follow (fresh
sign-in, conditions of use, enterprise choice, rights, consent) before the response is posted
to the ACS.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, md
from saml2.extension.algsupport import DigestMethod, SigningMethod
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.samlp import (
    STATUS_INVALID_NAMEID_POLICY,
    STATUS_NO_AUTHN_CONTEXT,
    STATUS_NO_PASSIVE,
    STATUS_REQUEST_DENIED,
)
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from idp.accounts.models import UserSession
from idp.audit.services import record
from idp.audit.tags import AuditAction, Outcome
from idp.claims.identity import Identity, saml_attributes
from idp.conditions.guard import send_to_conditions
from idp.extensions import csrf, db, limiter
from idp.federation import journey, steps
from idp.federation.facts import LiveFacts
from idp.oidc.acr import acr_of
from idp.relying_parties import SamlServiceProvider
from idp.saml import authn_context
from idp.saml.messages import (
    SAMLP_NS,
    IncomingMessage,
    MessageError,
    Parameters,
    check_signature,
    decode,
    read_parameters,
)
from idp.saml.models import SamlParticipant, SamlRequest
from idp.saml.provider import (
    ACCEPTED_CLOCK_SKEW_SECONDS,
    METADATA_PATH,
    SSO_PATH,
    saml_server,
)
from idp.web.context import client_info, current_session, runtime

bp = Blueprint("saml", __name__)

# Time a person has to sign in and choose before the request must be sent again.
PENDING_LIFETIME = timedelta(minutes=30)
METADATA_MAX_AGE_SECONDS = 3600
NAME_ID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
_METADATA_CACHE_KEY = "idp.saml.metadata"


# -- metadata -----------------------------------------------------------------------------------


@bp.get(METADATA_PATH)
def metadata() -> Response:
    """The provider's signed metadata: current and next signing certificates, endpoints."""
    xml = current_app.extensions.get(_METADATA_CACHE_KEY)
    if xml is None:
        server = saml_server()
        descriptor = entity_descriptor(server.config)
        # pysaml2 advertises every algorithm the xmlsec1 program knows (SHA-1, MD5...); only
        # what this provider signs with and accepts is published.
        descriptor.extensions = md.Extensions()
        descriptor.extensions.add_extension_element(DigestMethod(algorithm=DIGEST_SHA256))
        descriptor.extensions.add_extension_element(SigningMethod(algorithm=SIG_RSA_SHA256))
        _signed, xml = sign_entity_descriptor(
            descriptor, None, server.sec, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
        )
        current_app.extensions[_METADATA_CACHE_KEY] = xml
    response = Response(xml, mimetype="application/samlmetadata+xml")
    response.headers["Cache-Control"] = f"public, max-age={METADATA_MAX_AGE_SECONDS}"
    return response


# -- single sign-on: the request ----------------------------------------------------------------


@bp.route(SSO_PATH, methods=["GET", "POST"])
@csrf.exempt  # a cross-site form post from the service provider (HTTP-POST binding)
@limiter.limit("120/minute")
def single_sign_on() -> Response | tuple[str, int] | str:
    try:
        params = read_parameters(request.method, request.query_string, request.form)
        encoded = params.get("SAMLRequest")
        if not encoded:
            raise MessageError("missing_request")
        message = decode(
            "SAMLRequest", encoded, binding=params.binding, relay_state=params.get("RelayState")
        )
        provider = known_provider(message)
        pending = _accept_authn_request(message, provider, params)
    except MessageError as exc:
        return refuse(exc, endpoint="sso")
    except _StatusAnswer as answer:
        db.session.commit()
        return answer.response
    # Read before the commit, which expires every loaded object (reading after it is a SELECT).
    token = pending.token
    db.session.commit()
    return redirect(url_for("saml.resume", token=token))


def known_provider(message: IncomingMessage) -> SamlServiceProvider:
    provider = runtime().registry.service_provider(message.issuer)
    if provider is None:
        raise MessageError("unknown_service_provider", message.issuer[:200])
    return provider


def _accept_authn_request(
    message: IncomingMessage, provider: SamlServiceProvider, params: Parameters
) -> SamlRequest:
    if message.root.tag != f"{{{SAMLP_NS}}}AuthnRequest":
        raise MessageError("not_an_authn_request")
    signed = check_signature(message, provider, params.query)
    if provider.authn_requests_signed and not signed:
        raise MessageError("unsigned_request")
    check_issue_instant(message)
    _check_destination(message, signed)
    binding = BINDING_HTTP_REDIRECT if message.binding == "redirect" else BINDING_HTTP_POST
    try:
        parsed = saml_server().parse_authn_request(message.encoded, binding)
    except Exception as exc:  # pysaml2 raises many kinds; each means "not acceptable"
        raise MessageError("invalid_request", type(exc).__name__) from exc
    if parsed is None:
        raise MessageError("invalid_request")
    authn_request = parsed.message
    acs = _acs(provider, authn_request)
    name_id_format = _name_id_format(authn_request)
    now = runtime().clock()
    pending = SamlRequest(
        token=secrets.token_urlsafe(32),
        sp_entity_id=provider.entity_id,
        request_id=message.message_id,
        acs_url=acs,
        relay_state=message.relay_state,
        force_authn=_true(authn_request.force_authn),
        is_passive=_true(authn_request.is_passive),
        name_id_format=name_id_format or NAMEID_FORMAT_PERSISTENT,
        received_at=now,
        expires_at=now + PENDING_LIFETIME,
    )
    try:
        with db.session.begin_nested():
            db.session.add(pending)
    except IntegrityError as exc:
        raise MessageError("replayed_request", message.message_id[:100]) from exc
    if name_id_format is None:
        raise _StatusAnswer(_status_response(pending, STATUS_INVALID_NAMEID_POLICY))
    accepted = authn_context.accepted_classes(authn_request.requested_authn_context)
    if not accepted:
        raise _StatusAnswer(_status_response(pending, STATUS_NO_AUTHN_CONTEXT))
    pending.authn_classes = authn_context.stored(accepted)
    return pending


class _StatusAnswer(Exception):  # noqa: N818 (a control-flow signal carrying the answer)
    def __init__(self, response: Response | str) -> None:
        super().__init__("status answer")
        self.response = response


def _true(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def check_issue_instant(message: IncomingMessage) -> None:
    if message.issue_instant is None:
        raise MessageError("no_issue_instant")
    skew = timedelta(seconds=ACCEPTED_CLOCK_SKEW_SECONDS)
    now = runtime().clock()
    if not now - skew <= message.issue_instant <= now + skew:
        raise MessageError("stale_request", message.issue_instant.isoformat())


def _check_destination(message: IncomingMessage, signed: bool) -> None:
    expected = f"{runtime().settings.issuer}{SSO_PATH}"
    if message.destination is None:
        if signed:
            # SAML Bindings 3.4.5.2 / 3.5.5.2: a signed message must name its destination.
            raise MessageError("no_destination")
        return
    if message.destination != expected:
        raise MessageError("wrong_destination", message.destination[:200])


def _acs(provider: SamlServiceProvider, authn_request: Any) -> str:
    """The ACS of the SP's metadata the request names (by URL or index); HTTP-POST only."""
    binding = authn_request.protocol_binding
    if binding and binding != BINDING_HTTP_POST:
        raise MessageError("unsupported_binding", str(binding))
    url = authn_request.assertion_consumer_service_url
    index = authn_request.assertion_consumer_service_index
    endpoint = provider.acs_for(
        url, int(index) if index is not None and str(index).isdigit() else None
    )
    if endpoint is None or (index is not None and not str(index).isdigit()):
        raise MessageError("unregistered_acs", str(url or index)[:200])
    return endpoint.location


def _name_id_format(authn_request: Any) -> str | None:
    """The NameID format to use; None when the SP asks for one this provider does not issue."""
    policy = authn_request.name_id_policy
    asked = policy.format if policy is not None else None
    if asked in (None, NAME_ID_UNSPECIFIED, NAMEID_FORMAT_PERSISTENT):
        return NAMEID_FORMAT_PERSISTENT
    if asked == NAMEID_FORMAT_TRANSIENT:
        return NAMEID_FORMAT_TRANSIENT
    return None


# -- single sign-on: the person -----------------------------------------------------------------


@bp.route(f"{SSO_PATH}/<token>", methods=["GET", "POST"])
@limiter.limit("120/minute")
def resume(token: str) -> Response | tuple[str, int] | str:
    pending = db.session.scalars(select(SamlRequest).where(SamlRequest.token == token)).first()
    now = runtime().clock()
    if pending is None or pending.completed_at is not None or now >= pending.expires_at:
        return error_page("request_expired")
    provider = runtime().registry.service_provider(pending.sp_entity_id)
    if provider is None:
        return error_page("unknown_service_provider")
    if request.method == "POST" and not steps.decision_form_valid():
        return error_page("form_expired")
    user_session = current_session()
    if user_session is not None and not user_session.is_authenticated:
        user_session = None
    visit = _visit(provider, user_session)
    facts = LiveFacts(visit, shared=_shared)
    demands = steps.demands(
        provider.audience,
        # Assertions state the emailed-code context or the passkey's: a sign-in by security
        # question must add the code.
        needs_emailed_code=True,
        needs_phishing_resistant=authn_context.needs_passkey(
            authn_context.loaded(pending.authn_classes)
        ),
        signed_in_after=pending.received_at if pending.force_authn else None,
        passive=pending.is_passive,
    )
    outcome = journey.decide(demands, facts)
    facts.settle(outcome)
    answer = _answer(pending, provider, visit, outcome)
    db.session.commit()
    return answer


def _visit(provider: SamlServiceProvider, user_session: UserSession | None) -> steps.Visit | None:
    if user_session is None:
        return None
    return steps.Visit(
        user_session=user_session,
        ministry_key=provider.ministry,
        required_rights=provider.required_rights,
        relying_party=provider.entity_id,
        service=provider.sentence_name,
        action=request.path,
    )


def _shared(identity: Identity) -> list[str]:
    """What the assertion carries, for the consent: a citizen's identity, or a person acting
    for an enterprise with their rights at this ministry."""
    if identity.enterprise is None:
        return ["openid", "profile", "email"]
    return ["openid", "profile", "email", "enterprise", *sorted(identity.rights)]


def _answer(
    pending: SamlRequest,
    provider: SamlServiceProvider,
    visit: steps.Visit | None,
    outcome: journey.Outcome,
) -> Response | tuple[str, int] | str:
    """The journey's outcome as SAML says it."""
    if pending.is_passive and journey.shows_a_page(outcome):
        return _finish_with_status(pending, STATUS_NO_PASSIVE)
    match outcome:
        case journey.SignInNeeded(reason=journey.SignInReason.ACR_TOO_WEAK) if (
            authn_context.needs_passkey(authn_context.loaded(pending.authn_classes))
        ):
            # Signed in with the code: the passkey step, then back to this request.
            return redirect(url_for("passkeys.confirm", next=request.path))
        case journey.SignInNeeded():
            if provider.audience == "citizen":
                return redirect(url_for("citizens.login", next=request.path, acr="mfa"))
            return redirect(url_for("accounts.login", next=request.path))
        case journey.NoIdentity():
            return error_page("request_expired")
        case journey.ChoiceRefused():
            return error_page("enterprise_refused")
    assert visit is not None  # noqa: S101 (past a sign-in, every outcome has a person)
    match outcome:
        case journey.Ready():
            return _respond(pending, provider, visit, outcome.identity, outcome.enterprise_id)
        case journey.Denied(reason=reason):
            steps.record_refusal(visit, provider.entity_id, reason.value)
            return _finish_with_status(pending, STATUS_REQUEST_DENIED)
        case journey.PasswordChange():
            session["next"] = request.path
            return redirect(url_for("accounts.change_password"))
        case journey.ConditionsToAccept():
            return send_to_conditions(visit.user_session.account, request.path)
    page = steps.journey_page(visit, outcome)
    if page is None:
        raise AssertionError(f"unmapped outcome {outcome!r}")
    return page


def _respond(
    pending: SamlRequest,
    provider: SamlServiceProvider,
    visit: steps.Visit,
    identity: Identity,
    enterprise_id: int | None,
) -> str:
    """The signed response for ``identity``, posted to the service provider's ACS."""
    user_session = visit.user_session
    name_id = _name_id(pending, identity.subject)
    xml = _authn_response(pending, provider, user_session, name_id, saml_attributes(identity))
    _remember_participant(user_session, provider, name_id)
    pending.completed_at = runtime().clock()
    steps.record_sign_in(visit, enterprise_id, protocol="saml")
    return _post_to_service_provider(pending, xml)


def _name_id(pending: SamlRequest, subject: str) -> NameID:
    if pending.name_id_format == NAMEID_FORMAT_TRANSIENT:
        return NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_urlsafe(24))
    # Persistent and pairwise: the very value of the OIDC `sub` at this ministry.
    return NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject)


def _authn_response(
    pending: SamlRequest,
    provider: SamlServiceProvider,
    user_session: UserSession,
    name_id: NameID,
    attributes: dict[str, list[str]],
) -> str:
    server = saml_server()
    assert user_session.authenticated_at is not None  # noqa: S101
    encrypt_cert = provider.encryption_certificates[0] if provider.encrypt_assertions else None
    response = server.create_authn_response(
        identity=attributes,
        in_response_to=pending.request_id,
        destination=pending.acs_url,
        sp_entity_id=provider.entity_id,
        name_id=name_id,
        authn={
            "class_ref": authn_context.class_to_state(
                authn_context.loaded(pending.authn_classes), acr_of(user_session.amr)
            ),
            "authn_auth": server.config.entityid,
            "authn_instant": int(user_session.authenticated_at.timestamp()),
        },
        sign_response=True,
        sign_assertion=True,
        encrypt_assertion=provider.encrypt_assertions,
        # The assertion keeps the Response's namespace prefixes: an SP that moves the decrypted
        # assertion back into the Response (OneLogin) then leaves its signed form unchanged.
        encrypt_assertion_self_contained=False,
        encrypt_cert_assertion=encrypt_cert,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return str(response)


def _remember_participant(
    user_session: UserSession, provider: SamlServiceProvider, name_id: NameID
) -> None:
    existing = db.session.scalars(
        select(SamlParticipant).where(
            SamlParticipant.session_id == user_session.id,
            SamlParticipant.sp_entity_id == provider.entity_id,
        )
    ).first()
    if existing is None:
        existing = SamlParticipant(
            session_id=user_session.id,
            sp_entity_id=provider.entity_id,
            created_at=runtime().clock(),
        )
        db.session.add(existing)
    existing.name_id = str(name_id.text)
    existing.name_id_format = str(name_id.format)


def _finish_with_status(pending: SamlRequest, status: str) -> str:
    pending.completed_at = runtime().clock()
    answer = _status_response(pending, status)
    db.session.commit()
    return answer


def _status_response(pending: SamlRequest, status: str) -> str:
    """A signed error Response (Responder + ``status``) posted back to the ACS."""
    server = saml_server()
    response = server.create_error_response(
        pending.request_id,
        pending.acs_url,
        (status, _STATUS_MESSAGES.get(status, "")),
        sign=True,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return _post_to_service_provider(pending, str(response))


_STATUS_MESSAGES = {
    STATUS_NO_PASSIVE: "The person must sign in or choose first.",
    STATUS_REQUEST_DENIED: "The person holds no right this service needs, or declined.",
    STATUS_NO_AUTHN_CONTEXT: "The authentication context asked for is not offered.",
    STATUS_INVALID_NAMEID_POLICY: "Only persistent and transient NameIDs are issued.",
}


def _post_to_service_provider(pending: SamlRequest, xml: str) -> str:
    """HTTP-POST binding: a form the browser submits to the ACS (by script, or by a button)."""
    provider = runtime().registry.service_provider(pending.sp_entity_id)
    return render_template(
        "saml/post.html",
        action=pending.acs_url,
        field="SAMLResponse",
        value=base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        relay_state=pending.relay_state,
        service=provider.sentence_name if provider else pending.sp_entity_id,
    )


# -- errors -------------------------------------------------------------------------------------


def refuse(error: MessageError, *, endpoint: str) -> tuple[str, int]:
    """A refused message: nothing it started is kept, the refusal is recorded, a page says so."""
    db.session.rollback()
    user_session = current_session()
    record(
        db.session,
        runtime().clock,
        AuditAction.SAML_REQUEST_REFUSE,
        Outcome.DENIED,
        client=client_info(),
        subject_id=user_session.account_id if user_session else None,
        reason=error.reason,
        endpoint=endpoint,
        binding=request.method,
    )
    db.session.commit()
    return error_page(error.reason)


def error_page(reason: str) -> tuple[str, int]:
    return render_template("oidc/error.html", error="saml:" + reason, description=""), 400
