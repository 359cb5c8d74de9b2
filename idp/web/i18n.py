"""Language: French first, English on a switch kept in a cookie."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

from idp.config import SUPPORTED_LOCALES

LOCALE_COOKIE = "idp_lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
# The longest address to go back to: the width of citizen_enrolments.next_url, and short enough
# for the session cookie that carries it through a sign-in (browsers keep 4 KB at most).
MAX_NEXT_LENGTH = 2000

bp = Blueprint("i18n", __name__)


# Québec conventions for dates and times (« 14 h 32 »); the `fr` catalogue serves `fr_CA`.
_FORMAT_LOCALES = {"fr": "fr_CA", "en": "en_CA"}


def select_locale() -> str:
    """An explicit ``lang`` parameter, then the cookie, then the default (French).

    Outside a request (the ``idp`` command) the default applies.
    """
    asked = None
    if has_request_context():
        asked = (
            request.args.get("lang")
            # A relying party's `ui_locales` (OIDC), when the authorize step found one.
            or g.get("requested_locale")
            or request.cookies.get(LOCALE_COOKIE)
        )
    if asked not in SUPPORTED_LOCALES:
        asked = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return _FORMAT_LOCALES.get(asked, asked)


def page_language() -> str:
    """The language of the page being served: ``fr`` or ``en`` (without the region)."""
    locale = get_locale()
    return locale.language if locale else "fr"


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to go back to; anything with a scheme or a host is replaced.

    Prevents open redirects through ``?next=``: ``//evil``, ``/\\evil`` and absolute URLs fall back.
    So does an address longer than :data:`MAX_NEXT_LENGTH` or with a control character.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or not target.isprintable():
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def return_address() -> str | None:
    """This page's address to come back to after a sign-in: with its query, or without it when
    that is longer than :data:`MAX_NEXT_LENGTH`, or None. Never a megabyte in a redirect."""
    for here in (request.full_path.rstrip("?"), request.path):
        if len(here) <= MAX_NEXT_LENGTH:
            return here
    return None


@bp.get("/langue/<lang>")
def switch(lang: str) -> Response:
    """Remember the chosen language and go back to the page the person was on."""
    destination = safe_next(request.args.get("next"), url_for("home.index"))
    response = redirect(destination)
    if lang in SUPPORTED_LOCALES:
        response.set_cookie(
            LOCALE_COOKIE,
            lang,
            max_age=LOCALE_COOKIE_MAX_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def _language_links() -> dict[str, object]:
        if not has_request_context():
            return {}  # an email rendered by a command (idp lifecycle run): no page around it
        current = page_language()
        other = "en" if current == "fr" else "fr"
        # Without `lang`, which would otherwise win over the new choice when coming back.
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        here = request.path + (f"?{urlencode(query)}" if query else "")
        if len(here) > MAX_NEXT_LENGTH:
            # Not a request to echo into a link of every page: the page alone, or home.
            here = request.path
        back = here if len(here) <= MAX_NEXT_LENGTH else None
        return {
            "current_locale": current,
            "other_locale": other,
            "other_locale_url": url_for("i18n.switch", lang=other, next=back),
        }
