"""SAML single logout (SAML Profiles 4.4), in the browser.

A service provider sends a LogoutRequest (Redirect or POST): the provider ends the session —
which sends back-channel logout tokens to the OpenID Connect relying parties of the session —
then takes the browser to every other SAML service provider of the session in turn with a
signed LogoutRequest, and finally answers the one that asked with a LogoutResponse. When the
person signs out at the provider itself, the same round is made and ends on the sign-in page.

The round's state is a :class:`SamlLogout` row; the RelayState of each LogoutRequest sent is its
token, and each answer must be the LogoutResponse to the request sent (``InResponseTo``).
"""

from __future__ import annotations

import base64
import secrets

from flask import redirect, render_template, request, url_for
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NameID
from saml2.samlp import STATUS_REQUESTER, Status, StatusCode, logout_request_from_string
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import select
from werkzeug.wrappers import Response

from idp.accounts.models import UserSession
from idp.accounts.sessions import end_session_for_relying_party
from idp.audit.tags import AuditAction
from idp.extensions import csrf, db, limiter
from idp.names import OrganisationName
from idp.saml.messages import (
    SAMLP_NS,
    MessageError,
    Parameters,
    check_signature,
    decode,
    read_parameters,
)
from idp.saml.models import SamlLogout, SamlParticipant
from idp.saml.provider import SLO_PATH, saml_server
from idp.saml.views import bp, check_issue_instant, error_page, known_provider, refuse
from idp.web.context import client_info, current_session, runtime
from idp.web.session_loader import clear_session_token


@bp.route(SLO_PATH, methods=["GET", "POST"])
@csrf.exempt  # service providers post LogoutRequests and LogoutResponses cross-site
@limiter.limit("120/minute")
def single_logout() -> Response | tuple[str, int] | str:
    try:
        params = read_parameters(request.method, request.query_string, request.form)
        if params.get("SAMLRequest"):
            return _logout_request(params)
        if params.get("SAMLResponse"):
            return _logout_response(params)
    except MessageError as exc:
        return refuse(exc, endpoint="slo")
    return error_page("missing_message")


def _logout_request(params: Parameters) -> Response | str:
    binding, encoded, relay_state = (
        params.binding,
        params.values["SAMLRequest"],
        params.get("RelayState"),
    )
    message = decode("SAMLRequest", encoded, binding=binding, relay_state=relay_state)
    if message.root.tag != f"{{{SAMLP_NS}}}LogoutRequest":
        raise MessageError("not_a_logout_request")
    provider = known_provider(message)
    signed = check_signature(message, provider, params.query)
    if provider.authn_requests_signed and not signed:
        raise MessageError("unsigned_request")
    check_issue_instant(message)
    expected = f"{runtime().settings.issuer}{SLO_PATH}"
    if message.destination is not None and message.destination != expected:
        raise MessageError("wrong_destination")
    pysaml_binding = BINDING_HTTP_REDIRECT if binding == "redirect" else BINDING_HTTP_POST
    try:
        parsed = saml_server().parse_logout_request(encoded, pysaml_binding)
    except Exception as exc:  # pysaml2 raises many kinds; each means "not acceptable"
        raise MessageError("invalid_request", type(exc).__name__) from exc
    name_id = parsed.message.name_id
    user_session = current_session()
    logout = SamlLogout(
        token=secrets.token_urlsafe(32),
        initiator_entity_id=provider.entity_id,
        initiator_request_id=message.message_id,
        initiator_relay_state=relay_state,
        # As parsed, whatever its encoding (UTF-16 is well-formed XML too): text to store.
        initiator_request_xml=etree.tostring(message.root, encoding="unicode"),
        initiator_binding=binding,
        pending=[],
        created_at=runtime().clock(),
    )
    if user_session is not None:
        participant = _participant(user_session, provider.entity_id)
        if participant is None or name_id is None or participant.name_id != name_id.text:
            # Not the person this browser is signed in as: nothing of theirs is ended.
            db.session.add(logout)
            db.session.flush()
            return _answer_initiator(logout, status=STATUS_REQUESTER)
        logout.pending = _others(user_session, exclude=provider.entity_id)
        _end(user_session, provider.entity_id)
    db.session.add(logout)
    db.session.commit()
    return _next(logout)


def start_provider_logout(user_session: UserSession, after_url: str) -> str | None:
    """The person signed out here: the round of the session's SAML SPs, or None if none."""
    pending = _others(user_session, exclude=None)
    if not pending:
        return None
    logout = SamlLogout(
        token=secrets.token_urlsafe(32),
        pending=pending,
        after_url=after_url,
        created_at=runtime().clock(),
    )
    db.session.add(logout)
    db.session.flush()
    return url_for("saml.logout_round", token=logout.token)


@bp.get(f"{SLO_PATH}/<token>")
def logout_round(token: str) -> Response | tuple[str, int] | str:
    logout = _find(token)
    if logout is None:
        return error_page("logout_expired")
    return _next(logout)


def _logout_response(params: Parameters) -> Response | str:
    relay_state = params.get("RelayState")
    message = decode(
        "SAMLResponse",
        params.values["SAMLResponse"],
        binding=params.binding,
        relay_state=relay_state,
    )
    if message.root.tag != f"{{{SAMLP_NS}}}LogoutResponse":
        raise MessageError("not_a_logout_response")
    provider = known_provider(message)
    signed = check_signature(message, provider, params.query)
    if provider.authn_requests_signed and not signed:
        raise MessageError("unsigned_response")
    logout = _find(relay_state or "")
    if logout is None or logout.awaiting_request_id is None:
        raise MessageError("unexpected_logout_response")
    if logout.awaiting_entity_id != provider.entity_id:
        # Only the SP being visited answers for itself.
        raise MessageError("unexpected_logout_response", "from another service provider")
    if message.root.get("InResponseTo") != logout.awaiting_request_id:
        raise MessageError("unexpected_logout_response")
    logout.awaiting_request_id = None
    logout.awaiting_entity_id = None
    db.session.commit()
    return _next(logout)


def _find(token: str) -> SamlLogout | None:
    return db.session.scalars(
        select(SamlLogout).where(SamlLogout.token == token, SamlLogout.finished_at.is_(None))
    ).first()


def _participant(user_session: UserSession, entity_id: str) -> SamlParticipant | None:
    return db.session.scalars(
        select(SamlParticipant).where(
            SamlParticipant.session_id == user_session.id,
            SamlParticipant.sp_entity_id == entity_id,
        )
    ).first()


def _others(user_session: UserSession, exclude: str | None) -> list[dict[str, str]]:
    participants = db.session.scalars(
        select(SamlParticipant)
        .where(SamlParticipant.session_id == user_session.id)
        .order_by(SamlParticipant.id)
    )
    registry = runtime().registry
    return [
        {"entity_id": p.sp_entity_id, "name_id": p.name_id, "name_id_format": p.name_id_format}
        for p in participants
        if p.sp_entity_id != exclude
        and (provider := registry.service_provider(p.sp_entity_id)) is not None
        and provider.slo_endpoint() is not None
    ]


def _end(user_session: UserSession, initiator: str) -> None:
    end_session_for_relying_party(
        db.session,
        runtime(),
        user_session,
        initiator,
        AuditAction.SAML_LOGOUT,
        client=client_info(),
    )
    clear_session_token()


def _next(logout: SamlLogout) -> Response | str:
    """Visit the next SP of the round, or finish it."""
    registry = runtime().registry
    while logout.pending:
        visit, *rest = logout.pending
        logout.pending = rest
        provider = registry.service_provider(visit["entity_id"])
        endpoint = provider.slo_endpoint() if provider else None
        if provider is None or endpoint is None:
            continue
        server = saml_server()
        signed_xml = endpoint.binding == BINDING_HTTP_POST
        request_id, logout_request = server.create_logout_request(
            destination=endpoint.location,
            issuer_entity_id=provider.entity_id,
            name_id=NameID(format=visit["name_id_format"], text=visit["name_id"]),
            sign=signed_xml,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        logout.awaiting_request_id = request_id
        logout.awaiting_entity_id = provider.entity_id
        db.session.commit()
        return _send(
            endpoint.binding,
            str(logout_request),
            endpoint.location,
            logout.token,
            "SAMLRequest",
            provider.sentence_name,
        )
    return _finish(logout)


def _finish(logout: SamlLogout) -> Response | str:
    logout.finished_at = runtime().clock()
    db.session.commit()
    if logout.initiator_entity_id is not None:
        return _answer_initiator(logout, status=None)
    return redirect(logout.after_url or url_for("accounts.login"))


def _answer_initiator(logout: SamlLogout, *, status: str | None) -> Response | str:
    server = saml_server()
    assert logout.initiator_request_xml is not None  # noqa: S101
    original = logout_request_from_string(logout.initiator_request_xml)
    binding = BINDING_HTTP_REDIRECT if logout.initiator_binding == "redirect" else BINDING_HTTP_POST
    response_args = server.response_args(original, [binding, BINDING_HTTP_REDIRECT])
    response = server.create_logout_response(
        original,
        [response_args["binding"]],
        status=None if status is None else _status(status),
        sign=response_args["binding"] == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    logout.finished_at = runtime().clock()
    db.session.commit()
    provider = runtime().registry.service_provider(logout.initiator_entity_id or "")
    return _send(
        response_args["binding"],
        str(response),
        response_args["destination"],
        logout.initiator_relay_state,
        "SAMLResponse",
        provider.sentence_name if provider else None,
    )


def _status(code: str) -> Status:
    return Status(status_code=StatusCode(value=code))


def _send(
    binding: str,
    xml: str,
    destination: str,
    relay_state: str | None,
    field: str,
    service: OrganisationName | None,
) -> Response | str:
    """Redirect binding: a signed query string; POST binding: the auto-submitted form."""
    if binding == BINDING_HTTP_REDIRECT:
        info = saml_server().apply_binding(
            BINDING_HTTP_REDIRECT,
            xml,
            destination,
            relay_state=relay_state or "",
            response=field == "SAMLResponse",
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
        return redirect(dict(info["headers"])["Location"])
    return render_template(
        "saml/post.html",
        action=destination,
        field=field,
        value=base64.b64encode(xml.encode("utf-8")).decode("ascii"),
        relay_state=relay_state,
        service=service,
    )
