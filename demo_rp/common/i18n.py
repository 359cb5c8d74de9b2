"""French first, English on a switch: the language of a request and the texts every site shares.

A small dictionary rather than gettext catalogues: each site has a few pages. A site's texts
(``SiteProfile.texts``) are ``{**TEXTS, **its own}``: the site's own win, so that it can say a
shared thing its way (IQEA's ID token, which names an enterprise). Each site's tests check that
every key used in its templates and code, and in the shared ones, exists in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from babel import dates as babel_dates
from flask import Flask, g, has_request_context, redirect, request, url_for
from werkzeug.wrappers import Response

from demo_rp.common.site import QUEBEC, profile, setting
from idp.names import OrganisationName, sentence

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

TEXTS: dict[str, tuple[str, str]] = {
    # -- layout --------------------------------------------------------------------------------
    "skip_link": ("Passer au contenu principal", "Skip to main content"),
    "language_nav": ("Langue", "Language"),
    "other_language_name": ("English", "Français"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "main_menu": ("Menu principal", "Main menu"),
    "nav_home": ("Accueil", "Home"),
    "nav_transmitted": ("Données transmises par clicSÉQUR", "Data sent by clicSÉQUR"),
    "useful_links": ("Liens utiles", "Useful links"),
    "footer_link_help": ("Avant de commencer", "Before you start"),
    "footer_link_access": ("Accéder au service", "Access the service"),
    "copyright": ("© Gouvernement du Québec, 2026", "© Gouvernement du Québec, 2026"),
    "none_value": ("—", "—"),
    "back_home": ("Retour à l'accueil", "Back to the home page"),
    # -- forms ---------------------------------------------------------------------------------
    "error_summary_title": ("Corrigez les erreurs suivantes", "Correct the following errors"),
    "error_prefix": ("Erreur :", "Error:"),
    "error_summary_item": ("{field} : {error}", "{field}: {error}"),
    # -- messages ------------------------------------------------------------------------------
    "flash_session_ended": (
        "Votre session a pris fin. Connectez-vous de nouveau pour continuer.",
        "Your session has ended. Sign in again to continue.",
    ),
    "flash_sign_in_first": (
        "Connectez-vous pour accéder à cette page.",
        "Sign in to reach this page.",
    ),
    # -- what the provider sent ----------------------------------------------------------------
    "transmitted_title": (
        "Ce que le fournisseur d'identité nous a transmis",
        "What the identity provider sent us",
    ),
    "transmitted_lead": (
        "Les jetons et réponses reçus de clicSÉQUR pour votre session, tels quels puis décodés. "
        "Ils ont été vérifiés à leur réception.",
        "The tokens and answers received from clicSÉQUR for your session, as sent and then "
        "decoded. They were verified when received.",
    ),
    "transmitted_toc": ("Sur cette page", "On this page"),
    "transmitted_raw": ("Tel que reçu", "As received"),
    "transmitted_nothing": ("Rien de reçu.", "Nothing received."),
    "transmitted_header": ("En-tête (JOSE)", "Header (JOSE)"),
    "transmitted_claims": ("Contenu (revendications)", "Payload (claims)"),
    "transmitted_id_token": ("Jeton d'identité (ID token)", "ID token"),
    "transmitted_access_token": ("Jeton d'accès", "Access token"),
    "transmitted_access_token_text": (
        "Présenté à clicSÉQUR pour lire vos renseignements ; renouvelé toutes les dix minutes.",
        "Presented to clicSÉQUR to read your information; renewed every ten minutes.",
    ),
    "transmitted_userinfo": ("Réponse UserInfo", "UserInfo response"),
    "transmitted_userinfo_text": (
        "La dernière réponse du point de terminaison UserInfo, lue à la connexion et à chaque "
        "renouvellement du jeton d'accès.",
        "The last answer of the UserInfo endpoint, read at sign-in and at every renewal of the "
        "access token.",
    ),
    "transmitted_token_response": ("Réponse du point de terminaison de jeton", "Token response"),
    "transmitted_json": ("JSON", "JSON"),
    "transmitted_checked_now": (
        "Chaque jeton est vérifié de nouveau ici, maintenant ({now}), par le module "
        "d'inspection de clicSÉQUR : signature avec les clés que clicSÉQUR publie (jwks_uri), "
        "émetteur, destinataire (notre identifiant client) et dates. Un jeton expiré depuis sa "
        "réception est donc signalé comme tel.",
        "Each token is checked again here, now ({now}), by clicSÉQUR's inspection module: "
        "signature with the keys clicSÉQUR publishes (jwks_uri), issuer, audience (our client "
        "id) and dates. A token that has expired since it was received is therefore reported as "
        "such.",
    ),
    "transmitted_not_verified": ("NON VÉRIFIÉ", "NOT VERIFIED"),
    "transmitted_keys_unavailable": (
        "Les clés publiées de clicSÉQUR n'ont pas pu être lues : la signature n'est pas "
        "vérifiée ici. Le contenu ci-dessous est décodé tel quel.",
        "clicSÉQUR's published keys could not be read: the signature is not checked here. The "
        "content below is decoded as it is.",
    ),
    "transmitted_problems": ("Problèmes", "Problems"),
    "transmitted_notes": ("Remarques", "Notes"),
    "transmitted_signature": ("Signature", "Signature"),
    "transmitted_signature_status": ("Résultat", "Result"),
    "transmitted_signature_reason": ("Raison", "Reason"),
    "transmitted_algorithm": ("Algorithme", "Algorithm"),
    "transmitted_key_id": ("Clé qui a signé (kid)", "Key that signed (kid)"),
    "transmitted_key_type": ("Type de clé (kty)", "Key type (kty)"),
    "transmitted_key_state": ("État de la clé", "Key state"),
    "transmitted_key_published": (
        "Publiée dans le jeu de clés (JWKS) de clicSÉQUR. Le JWKS ne dit pas si une clé est "
        "courante, suivante ou retirée ; clicSÉQUR ne signe qu'avec sa clé courante.",
        "Published in clicSÉQUR's key set (JWKS). The JWKS does not say whether a key is "
        "current, next or retired; clicSÉQUR signs only with its current key.",
    ),
    "transmitted_times": ("Dates (maintenant : {now})", "Dates (now: {now})"),
    "transmitted_time_name": ("Date", "Date"),
    "transmitted_time_moment": ("Moment (UTC)", "Moment (UTC)"),
    "transmitted_time_check": ("Vérification", "Check"),
    "transmitted_time_ok": ("Conforme :", "Passed:"),
    "transmitted_time_not_ok": ("Non conforme :", "Failed:"),
    "transmitted_column_name": ("Nom", "Name"),
    "transmitted_column_value": ("Valeur", "Value"),
    "transmitted_column_meaning": ("Signification", "Meaning"),
    "transmitted_userinfo_unsigned": (
        "Cette réponse n'est pas signée : c'est du JSON, que le site croit parce qu'il l'a "
        "demandé lui-même à clicSÉQUR, par une connexion TLS, avec le jeton d'accès. Son sub "
        "doit être celui du jeton d'identité (le site le vérifie à chaque lecture).",
        "This answer is not signed: it is JSON, which the site trusts because it asked "
        "clicSÉQUR for it itself, over TLS, with the access token. Its sub must be the ID "
        "token's (the site checks it at every read).",
    ),
    "transmitted_userinfo_claims": ("Revendications", "Claims"),
    "transmitted_token_response_claims": ("Éléments expliqués", "Parts explained"),
    "transmitted_expires_at": (
        "Échéance du jeton d'accès, calculée par le site à la réception de la réponse (moment "
        "de la réception plus expires_in) ; le jeton est renouvelé un peu avant.",
        "Expiry of the access token, computed by the site when the answer was received (time "
        "of receipt plus expires_in); the token is renewed shortly before.",
    ),
    "transmitted_id_token_text": (
        "Signé par clicSÉQUR ; il dit qui vous êtes et comment vous vous êtes authentifié.",
        "Signed by clicSÉQUR; it says who you are and how you signed in.",
    ),
    "transmitted_token_response_text": (
        "Les autres éléments de la réponse : portée accordée et échéance du jeton d'accès.",
        "The other parts of the answer: granted scope and the access token's expiry.",
    ),
    # -- errors --------------------------------------------------------------------------------
    "access_denied_title": ("Accès refusé par clicSÉQUR", "Access refused by clicSÉQUR"),
    "error_code": ("Code d'erreur : {code}", "Error code: {code}"),
    "sign_in_again_button": ("Se connecter de nouveau", "Sign in again"),
    "sign_in_failed_title": ("La connexion n'a pas abouti", "Sign-in did not complete"),
    "sign_in_failed_text": (
        "La réponse de clicSÉQUR n'a pas pu être validée, ou la demande de connexion a expiré. "
        "Recommencez.",
        "clicSÉQUR's answer could not be validated, or the sign-in request expired. Try again.",
    ),
    "provider_unavailable_title": ("clicSÉQUR ne répond pas", "clicSÉQUR is not responding"),
    "provider_unavailable_text": (
        "Le service d'authentification clicSÉQUR est momentanément inaccessible. Réessayez dans "
        "quelques minutes ; rien de ce que vous avez enregistré n'est perdu.",
        "The clicSÉQUR authentication service cannot be reached right now. Try again in a few "
        "minutes; nothing you saved is lost.",
    ),
    "csrf_title": ("Le formulaire a expiré", "The form expired"),
    "csrf_text": (
        "Pour votre sécurité, le formulaire n'a pas été accepté. Revenez à la page, puis "
        "recommencez.",
        "For your security, the form was not accepted. Go back to the page and try again.",
    ),
    "not_found_title": ("Page introuvable", "Page not found"),
    "not_found_text": (
        "La page demandée n'existe pas ou a été déplacée.",
        "The page you asked for does not exist or has moved.",
    ),
    "method_title": ("Action non permise", "Action not allowed"),
    "method_text": (
        "Cette page ne permet pas cette action.",
        "This page does not allow that action.",
    ),
    "bad_request_title": ("Demande invalide", "Invalid request"),
    "bad_request_text": (
        "La demande n'a pas pu être traitée.",
        "The request could not be processed.",
    ),
    "server_error_title": ("Erreur du service", "Service error"),
    "server_error_text": (
        "Une erreur est survenue. Réessayez plus tard.",
        "An error occurred. Try again later.",
    ),
}


def texts() -> Mapping[str, tuple[str, str]]:
    """The current site's texts."""
    return profile().texts


def language() -> str:
    """The language of this request: ``?lang=``, then the cookie, then French."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    cached = g.get("demo_rp_language")
    if cached:
        return str(cached)
    asked = request.args.get("lang") or request.cookies.get(profile().language_cookie)
    chosen = asked if asked in LANGUAGES else DEFAULT_LANGUAGE
    g.demo_rp_language = chosen
    return chosen


def t(key: str, **values: Any) -> str:
    """The text ``key`` in the current language; a missing key is a bug (KeyError)."""
    text = texts()[key][LANGUAGES.index(language())]
    return text.format(**values) if values else text


# -- formatting -------------------------------------------------------------------------------


def format_date(value: date) -> str:
    if language() == "en":
        return babel_dates.format_date(value, "MMMM d, y", locale="en_CA")
    # Babel gives the month names; « 1er » is the French rule for the first of the month.
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {babel_dates.format_date(value, 'MMMM y', locale='fr_CA')}"


def format_when(timestamp: int | None) -> str:
    """A moment in Québec time: « 22 novembre 2026 à 14 h 05 », "November 22, 2026 at 2:05 PM"."""
    if timestamp is None:
        return t("none_value")
    moment = datetime.fromtimestamp(int(timestamp), UTC).astimezone(QUEBEC)
    if language() == "en":
        hour = moment.hour % 12 or 12
        suffix = "AM" if moment.hour < 12 else "PM"
        return f"{format_date(moment.date())} at {hour}:{moment.minute:02d} {suffix}"
    return f"{format_date(moment.date())} à {moment.hour} h {moment.minute:02d}"


def format_iso_date(value: str | None) -> str:
    if not value:
        return t("none_value")
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value


# -- the switch -------------------------------------------------------------------------------


def safe_local_path(target: str | None, fallback: str) -> str:
    """A path of this site to go back to; anything with a scheme or a host falls back."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def switch_language(code: str) -> Response:
    destination = safe_local_path(request.args.get("next"), url_for("site.home"))
    response = redirect(destination)
    if code in LANGUAGES:
        response.set_cookie(
            profile().language_cookie,
            code,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=setting("BASE_URL").startswith("https://"),
        )
    return response


def other_language() -> str:
    return "en" if language() == "fr" else "fr"


def switch_language_url() -> str:
    here = request.full_path.rstrip("?") if request else "/"
    return url_for("site.language", code=other_language(), next=here)


def of_name(name: str) -> str:
    """« d'Aciérie Saint-Laurent inc. » / « of Aciérie Saint-Laurent inc. »: the claims give
    the legal name alone, so it is read as a name without article (idp/names.py)."""
    return OrganisationName.bare(name).de(language())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["t"] = t
    app.jinja_env.filters["of_name"] = of_name
    # No period after a name that ends with one (« inc. »).
    app.jinja_env.filters["sentence"] = sentence
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["iso_date"] = format_iso_date

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {
            "lang": language(),
            "other_lang": other_language(),
            "switch_language_url": switch_language_url(),
        }
