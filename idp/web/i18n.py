"""Language: French first, English on a switch kept in a cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, request, url_for
from flask_babel import Babel
from werkzeug.wrappers import Response

from idp.config import SUPPORTED_LOCALES

LOCALE_COOKIE = "idp_lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """An explicit ``ui_locales``/``lang`` parameter, then the cookie, then French."""
    asked = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if asked in SUPPORTED_LOCALES:
        return asked
    from flask import current_app

    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to go back to; anything with a scheme or a host is replaced.

    Prevents open redirects through ``?next=``: ``//evil``, ``/\\evil`` and absolute URLs fall back.
    """
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


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
        from flask_babel import get_locale

        current = str(get_locale() or "fr")
        other = "en" if current == "fr" else "fr"
        here = request.full_path.rstrip("?") if request else "/"
        return {
            "current_locale": current,
            "other_locale": other,
            "other_locale_url": url_for("i18n.switch", lang=other, next=here),
        }
