"""The pages of the site and its SAML endpoints."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFProtect
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import (
    StatusAuthnFailed,
    StatusError,
    StatusNoAuthnContext,
    StatusNoPassive,
    StatusRequestDenied,
)
from saml2.saml import NameID
from saml2.samlp import STATUS_SUCCESS
from saml2.xmldsig import SIG_RSA_SHA256

from demo_rp.amf import forms, i18n
from demo_rp.amf.blocks import (
    FORM_DISCLOSURE,
    FORM_FOLLOW_UP,
    FORM_PAYMENT,
    FORM_REQUEST,
    Block,
    Text,
)
from demo_rp.amf.identity import ATTRIBUTE_LABELS, ROLE_LABELS, SOURCE_LABELS, SignedIn
from demo_rp.amf.sessions import ServerSession
from demo_rp.amf.settings import Settings
from demo_rp.amf.sp import SamlError, ServiceProvider, verify_redirect_signature
from demo_rp.amf.store import Store
from demo_rp.amf.transmitted import transmitted

log = logging.getLogger(__name__)
bp = Blueprint("amf", __name__)
csrf = CSRFProtect()

# Sign-ins started but not finished that a session remembers (several tabs).
MAX_OUTSTANDING = 5

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Site:
    """What the views share: settings, database, SAML service provider, functional blocks."""

    settings: Settings
    store: Store
    sp: ServiceProvider
    blocks: tuple[Block, ...]

    def block(self, slug: str) -> Block | None:
        return next((b for b in self.blocks if b.slug == slug), None)


def site() -> Site:
    return cast(Site, current_app.extensions["amf"])


def signed_in() -> SignedIn | None:
    return SignedIn.from_session(session)


def notice(fr: str, en: str) -> None:
    session["notices"] = [*session.get("notices", []), [fr, en]]


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if signed_in() is None:
            return redirect(url_for("amf.sign_in", next=request.path))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _local_path(value: str | None, default: str) -> str:
    """Only a path of this site (never another host): the targets of redirects."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "t": i18n.t,
        "lang": i18n.current(),
        "format_date": i18n.format_date,
        "format_datetime": i18n.format_datetime,
        "format_amount": i18n.format_amount,
        "person": signed_in(),
        "role_labels": ROLE_LABELS,
        "source_labels": SOURCE_LABELS,
    }


@bp.before_app_request
def _take_notices() -> None:
    g.notices = [Text(fr, en) for fr, en in session.pop("notices", [])] if session else []


# -- pages ----------------------------------------------------------------------------------------


@bp.get("/")
def home() -> Any:
    if signed_in() is not None:
        return redirect(url_for("amf.dashboard"))
    return render_template("home.html", blocks=site().blocks)


@bp.get("/langue/<code>")
def language(code: str) -> Any:
    if code in i18n.LANGUAGES:
        session["lang"] = code
    return redirect(_local_path(request.args.get("next"), url_for("amf.home")))


@bp.get("/espace")
@login_required
def dashboard() -> Any:
    person = signed_in()
    assert person is not None  # noqa: S101
    return render_template("dashboard.html", blocks=site().blocks)


@bp.route("/blocs/<slug>", methods=["GET", "POST"])
@login_required
def block(slug: str) -> Any:
    found = site().block(slug)
    if found is None:
        abort(404)
    person = signed_in()
    assert person is not None  # noqa: S101
    if not person.holds(found.right):
        # The page, and above all its actions, only with the block's right.
        log.info("refused %s %s without %s", request.method, request.path, found.right)
        return render_template("refused.html", block=found), 403
    checked = forms.Checked()
    if request.method == "POST":
        checked = _submit(found, person)
        if checked.ok:
            return redirect(url_for("amf.block", slug=found.slug))
    return render_template(
        "block.html",
        block=found,
        checked=checked,
        fees=forms.FEES,
        disclosures=forms.DISCLOSURES,
        history=_history(found, person),
        blocks_by_right={b.right: b for b in site().blocks},
    ), (400 if checked.errors else 200)


def _history(found: Block, person: SignedIn) -> list[Any]:
    store = site().store
    if found.form == FORM_FOLLOW_UP:
        return store.transactions(person.enterprise_neq)
    kind = {FORM_PAYMENT: "payment", FORM_DISCLOSURE: "disclosure"}.get(found.form, "request")
    return [
        tx
        for tx in store.transactions(person.enterprise_neq, kind)
        if kind != "request" or tx.block == found.right
    ][:10]


def _submit(found: Block, person: SignedIn) -> forms.Checked:
    if found.form == FORM_FOLLOW_UP:
        abort(405)
    check = {
        FORM_PAYMENT: forms.check_payment,
        FORM_DISCLOSURE: forms.check_disclosure,
        FORM_REQUEST: forms.check_request,
    }[found.form]
    checked = check(request.form)
    if not checked.ok:
        return checked
    kind = {FORM_PAYMENT: "payment", FORM_DISCLOSURE: "disclosure"}.get(found.form, "request")
    details = dict(checked.values)
    if person.agent_neq:
        details["agent_neq"] = person.agent_neq
        details["agent_name"] = person.agent_name
    recorded = site().store.record(
        kind=kind,
        block=found.right,
        enterprise_neq=person.enterprise_neq,
        person_name=person.display_name,
        name_id=person.name_id,
        details=details,
        now=datetime.now(UTC),
    )
    messages = {
        "payment": (
            "Votre paiement est enregistré. Numéro de confirmation : {}.",
            "Your payment is recorded. Confirmation number: {}.",
        ),
        "disclosure": (
            "Votre divulgation est transmise à l'Autorité. Numéro de confirmation : {}.",
            "Your disclosure is sent to the Autorité. Confirmation number: {}.",
        ),
        "request": (
            "Votre demande est transmise à l'Autorité. Numéro de confirmation : {}.",
            "Your request is sent to the Autorité. Confirmation number: {}.",
        ),
    }[kind]
    notice(messages[0].format(recorded.reference), messages[1].format(recorded.reference))
    return checked


@bp.get("/transmis")
@login_required
def transmitted_page() -> Any:
    person = signed_in()
    assert person is not None  # noqa: S101
    raw = session.get("saml_response", "")
    sp = site().sp
    now = datetime.now(UTC)
    try:
        certificates = sp.idp.signing_certificates
        keys_problem = None
    except SamlError as exc:
        # Shown decrypted but not checked: the provider's metadata could not be read.
        certificates, keys_problem = None, exc.reason
    try:
        shown = transmitted(
            raw,
            sp.keys.key_file,
            certificates=certificates,
            now=now,
            metadata_url=site().settings.idp_metadata_url,
            audience=sp.entity_id,
        )
        problem = None
    except SamlError as exc:
        shown, problem = None, exc.reason
    labels = [
        (name, ATTRIBUTE_LABELS.get(name), values) for name, values in person.attributes.items()
    ]
    return render_template(
        "transmitted.html",
        shown=shown,
        problem=problem,
        keys_problem=keys_problem,
        labels=labels,
        attribute_labels=ATTRIBUTE_LABELS,
        raw=raw,
        received_at=_received_at(person),
        checked_at=now,
    )


def _received_at(person: SignedIn) -> datetime | None:
    try:
        return datetime.fromisoformat(person.signed_in_at)
    except ValueError:
        return None


@bp.get("/deconnecte")
def signed_out() -> Any:
    if signed_in() is not None:
        return redirect(url_for("amf.dashboard"))
    return render_template("signed_out.html", partial=request.args.get("etat") == "partiel")


# -- sign-in --------------------------------------------------------------------------------------


@bp.get("/connexion")
def sign_in() -> Any:
    target = _local_path(request.args.get("next"), url_for("amf.dashboard"))
    if signed_in() is not None:
        return redirect(target)
    try:
        client = site().sp.client
        request_id, info = client.prepare_for_authenticate(
            entityid=site().sp.idp.entity_id,
            binding=BINDING_HTTP_REDIRECT,
            response_binding=BINDING_HTTP_POST,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    except SamlError as exc:
        return _error(exc.reason, 503)
    outstanding = dict(session.get("outstanding", {}))
    outstanding[request_id] = target
    session["outstanding"] = dict(list(outstanding.items())[-MAX_OUTSTANDING:])
    return redirect(dict(info["headers"])["Location"])


@bp.post("/saml/acs")
@csrf.exempt  # a cross-site post from the provider; the checks are SAML's (InResponseTo…)
def assertion_consumer_service() -> Any:
    encoded = request.form.get("SAMLResponse", "")
    outstanding: dict[str, str] = dict(session.get("outstanding", {}))
    if not encoded:
        return _error("missing_response", 400)
    if not outstanding:
        return _error("unsolicited_response", 400)
    try:
        response = site().sp.client.parse_authn_request_response(
            encoded, BINDING_HTTP_POST, outstanding=outstanding
        )
    except StatusRequestDenied:
        return _error("request_denied", 403)
    except (StatusNoPassive, StatusAuthnFailed, StatusNoAuthnContext):
        return _error("authn_failed", 401)
    except StatusError:
        return _error("status_error", 400)
    except SamlError as exc:
        return _error(exc.reason, 503)
    except Exception as exc:  # pysaml2 raises many kinds; each means "not acceptable"
        log.warning("SAML Response refused: %s: %s", type(exc).__name__, exc)
        return _error("invalid_response", 400)
    if response is None or response.assertion is None or response.name_id is None:
        return _error("invalid_response", 400)
    in_response_to = str(response.in_response_to)
    if in_response_to not in outstanding:
        return _error("unsolicited_response", 400)
    if response.issuer() != site().sp.idp.entity_id:
        return _error("invalid_response", 400)
    if not site().store.consume_response(str(response.response.id), datetime.now(UTC).timestamp()):
        return _error("replayed_response", 400)
    target = outstanding.pop(in_response_to)
    settings = site().settings
    site().store.purge(
        datetime.now(UTC).timestamp(),
        settings.session_idle_seconds,
        settings.session_absolute_seconds,
    )
    attributes: dict[str, list[str]] = {}
    for statement in response.assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [str(v.text or "") for v in attribute.attribute_value]
            attributes.setdefault(str(attribute.name), []).extend(values)
    authn = response.assertion.authn_statement[0] if response.assertion.authn_statement else None
    lang = session.get("lang")
    session.clear()
    cast(ServerSession, session).regenerate()  # a new token once signed in (no fixation)
    session.update(
        {
            "name_id": str(response.name_id.text),
            "name_id_format": str(response.name_id.format or ""),
            "session_index": str(authn.session_index) if authn and authn.session_index else None,
            "authn_instant": str(authn.authn_instant) if authn else None,
            "attributes": attributes,
            "saml_response": encoded.strip(),
            "signed_in_at": datetime.now(UTC).isoformat(),
        }
    )
    if lang:
        session["lang"] = lang
    if outstanding:
        session["outstanding"] = outstanding
    return redirect(_local_path(target, url_for("amf.dashboard")))


# -- single logout ------------------------------------------------------------------------------


@bp.post("/deconnexion")
def sign_out() -> Any:
    person = signed_in()
    if person is None:
        return redirect(url_for("amf.signed_out"))
    sp = site().sp
    try:
        destination = sp.idp_slo()
        request_id, logout_request = sp.client.create_logout_request(
            destination,
            sp.idp.entity_id,
            name_id=_name_id(person),
            session_indexes=[person.session_index] if person.session_index else None,
            sign=False,  # the Redirect binding signs the query string
        )
        relay_state = secrets.token_urlsafe(24)
        info = sp.client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(logout_request),
            destination,
            relay_state=relay_state,
            response=False,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    except SamlError:
        # The provider cannot be reached: end the session here at least.
        _end_local_session()
        return redirect(url_for("amf.signed_out", etat="partiel"))
    # The local session ends when the provider answers (its LogoutResponse).
    session["logout"] = {"request_id": request_id, "relay_state": relay_state}
    return redirect(dict(info["headers"])["Location"])


def _name_id(person: SignedIn) -> NameID:
    return NameID(format=person.name_id_format or None, text=person.name_id)


def _end_local_session() -> None:
    lang = session.get("lang")
    name_id = session.get("name_id")
    session.clear()
    if name_id:
        site().store.end_sessions_of(name_id)
    if lang:
        session["lang"] = lang


@bp.get("/saml/slo")
def single_logout() -> Any:
    try:
        if request.args.get("SAMLRequest"):
            return _logout_request()
        if request.args.get("SAMLResponse"):
            return _logout_response()
    except SamlError as exc:
        log.warning("single logout message refused: %s", exc)
        return _error(exc.reason, 400)
    return _error("missing_message", 400)


def _logout_response() -> Any:
    sp = site().sp
    verify_redirect_signature(request.query_string, "SAMLResponse", sp.idp.signing_certificates)
    try:
        parsed = sp.client.parse_logout_request_response(
            request.args["SAMLResponse"], BINDING_HTTP_REDIRECT
        )
    except Exception as exc:  # pysaml2 raises many kinds; each means "not acceptable"
        raise SamlError("invalid_logout_response", type(exc).__name__) from exc
    if parsed is None:
        raise SamlError("invalid_logout_response")
    message = parsed.response
    if message.issuer is None or message.issuer.text.strip() != sp.idp.entity_id:
        raise SamlError("invalid_logout_response", "issuer")
    pending = session.get("logout") or {}
    if (
        not pending
        or message.in_response_to != pending.get("request_id")
        or request.args.get("RelayState") != pending.get("relay_state")
    ):
        raise SamlError("unexpected_logout_response")
    success = message.status.status_code.value == STATUS_SUCCESS
    _end_local_session()
    if success:
        return redirect(url_for("amf.signed_out"))
    return redirect(url_for("amf.signed_out", etat="partiel"))


def _logout_request() -> Any:
    sp = site().sp
    verify_redirect_signature(request.query_string, "SAMLRequest", sp.idp.signing_certificates)
    relay_state = request.args.get("RelayState")
    try:
        parsed = sp.client.parse_logout_request(request.args["SAMLRequest"], BINDING_HTTP_REDIRECT)
    except Exception as exc:  # pysaml2 raises many kinds; each means "not acceptable"
        raise SamlError("invalid_logout_request", type(exc).__name__) from exc
    if parsed is None:
        raise SamlError("invalid_logout_request")
    message = parsed.message
    if message.issuer is None or message.issuer.text.strip() != sp.idp.entity_id:
        raise SamlError("invalid_logout_request", "issuer")
    if message.destination != sp.slo:
        raise SamlError("invalid_logout_request", "destination")
    if message.name_id is None or not message.name_id.text:
        raise SamlError("invalid_logout_request", "no NameID")
    name_id = str(message.name_id.text)
    # The person signed out elsewhere: every session of theirs here ends.
    ended = site().store.end_sessions_of(name_id)
    if session.get("name_id") == name_id:
        _end_local_session()
    log.info("logout requested by the provider: %d session(s) ended", ended)
    logout_response = sp.client.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    info = sp.client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(logout_response),
        sp.idp_slo_response(),
        relay_state=relay_state or "",
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return redirect(dict(info["headers"])["Location"])


# -- metadata and errors ------------------------------------------------------------------------


@bp.get("/saml/metadata")
def metadata() -> Response:
    response = Response(site().sp.metadata(), mimetype="application/samlmetadata+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


ERRORS: dict[str, Text] = {
    "request_denied": Text(
        "clicSÉQUR n'a pas autorisé l'accès : vous ne détenez aucun droit aux services en ligne "
        "de l'Autorité pour cette entreprise, ou vous avez refusé la transmission de vos "
        "renseignements. Demandez une procuration au responsable des services électroniques de "
        "votre entreprise.",
        "clicSÉQUR did not allow access: you hold no right to the Autorité's online services "
        "for this enterprise, or you declined to share your information. Ask your enterprise's "
        "electronic services manager for a proxy.",
    ),
    "authn_failed": Text(
        "L'authentification n'a pas pu être effectuée. Recommencez la connexion.",
        "The authentication could not be completed. Sign in again.",
    ),
    "unsolicited_response": Text(
        "Cette réponse de clicSÉQUR ne correspond à aucune connexion commencée dans ce "
        "navigateur. Recommencez la connexion.",
        "This clicSÉQUR response matches no sign-in started in this browser. Sign in again.",
    ),
    "replayed_response": Text(
        "Cette réponse de clicSÉQUR a déjà été utilisée. Recommencez la connexion.",
        "This clicSÉQUR response was already used. Sign in again.",
    ),
    "idp_unreachable": Text(
        "clicSÉQUR ne répond pas pour le moment. Réessayez dans quelques minutes.",
        "clicSÉQUR is not answering right now. Try again in a few minutes.",
    ),
}
GENERIC_ERROR = Text(
    "Le message reçu de clicSÉQUR n'est pas valide. Recommencez la connexion.",
    "The message received from clicSÉQUR is not valid. Sign in again.",
)


def _error(reason: str, status: int) -> tuple[str, int]:
    return render_template(
        "error.html",
        title=Text("Connexion impossible", "Unable to sign in"),
        message=ERRORS.get(reason, GENERIC_ERROR),
        reason=reason,
        sign_in_again=True,
    ), status
