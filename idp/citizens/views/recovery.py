"""clicSÉQUR – Citoyens: « Forgot your password? » and « Forgot your user code? ».

The pages are those of the enterprise portal (:mod:`idp.accounts.recovery_views`), under this
blueprint so they wear the citizens' portal; the reset link also asks one of the person's
security questions.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from idp.accounts.forms import ForgotUserCodeForm
from idp.accounts.models import Portal
from idp.accounts.recovery_views import (
    forgot_password_page,
    forgot_user_code_page,
    reset_password_page,
)
from idp.citizens.views.common import bp
from idp.extensions import limiter


@bp.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def forgot_password() -> str:
    """Ask for a reset link: user code and email address."""
    return forgot_password_page(Portal.CITIZEN)


@bp.route("/connexion/code-utilisateur-oublie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def forgot_user_code() -> str:
    """Ask for the user code tied to an email address."""
    return forgot_user_code_page(Portal.CITIZEN, ForgotUserCodeForm())


@bp.route("/connexion/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """The emailed link: the security question, then a new password."""
    return reset_password_page(Portal.CITIZEN, token)
