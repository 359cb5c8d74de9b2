"""The enterprise's activity history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from idp.accounts.models import AccountRole
from idp.audit.queries import enterprise_history
from idp.audit.tags import AuditAction, Outcome
from idp.extensions import db
from idp.web.context import current_account, roles_required, runtime

bp = Blueprint("audit", __name__)

# Every action as a short sentence; a tag missing here is shown as recorded.
ACTION_LABELS: dict[str, Any] = {
    AuditAction.ENTERPRISE_CREATE: _l("Enterprise created"),
    AuditAction.ENTERPRISE_APPLY: _l("Enterprise registration submitted"),
    AuditAction.ENTERPRISE_ACTIVATE: _l("Enterprise activated"),
    AuditAction.ENTERPRISE_REFUSE: _l("Enterprise registration refused"),
    AuditAction.ENTERPRISE_SUSPEND: _l("Enterprise suspended"),
    AuditAction.ENTERPRISE_REACTIVATE: _l("Enterprise reactivated"),
    AuditAction.ENTERPRISE_CANCEL: _l("Enterprise cancelled"),
    AuditAction.ACCOUNT_CREATE: _l("Account created"),
    AuditAction.ACCOUNT_UPDATE: _l("Account details changed"),
    AuditAction.ACCOUNT_SUSPEND: _l("Account suspended"),
    AuditAction.ACCOUNT_REACTIVATE: _l("Account reactivated"),
    AuditAction.ACCOUNT_CANCEL: _l("Account cancelled"),
    AuditAction.ACCOUNT_ROLE_CHANGE: _l("Role changed"),
    AuditAction.ACCOUNT_PASSWORD_RESET: _l("Temporary password given"),
    AuditAction.ACCOUNT_LOCK: _l("Sign-in locked"),
    AuditAction.ACCOUNT_UNLOCK: _l("Sign-in unlocked"),
    AuditAction.ACCOUNT_PASSWORD_REHASH: _l("Password protection updated"),
    AuditAction.PASSWORD_CHANGE: _l("Password changed"),
    AuditAction.SIGNIN_PASSWORD: _l("Password entered to sign in"),
    AuditAction.SIGNIN_THROTTLED: _l("Sign-in attempts limited"),
    AuditAction.SIGNIN_COMPLETE: _l("Signed in"),
    AuditAction.CLIENT_IP_LOCK: _l("Sign-in locked for a network address"),
    AuditAction.SESSION_END: _l("Session ended"),
    AuditAction.MFA_CODE_SEND: _l("Verification code sent"),
    AuditAction.MFA_CODE_VERIFY: _l("Verification code entered"),
    AuditAction.MFA_CODE_VOID: _l("Verification code voided"),
    AuditAction.CSRF_REJECT: _l("Form refused as expired or forged"),
    AuditAction.REGISTRATION_SUBMIT: _l("Registration requested"),
    AuditAction.REGISTRATION_DECIDE: _l("Registration decided"),
    AuditAction.REGISTRATION_WITHDRAW: _l("Registration withdrawn by the ministry"),
    AuditAction.REGISTRATION_CANCEL: _l("Registration cancelled by the enterprise"),
    AuditAction.PROXY_CREATE: _l("Proxy created"),
    AuditAction.PROXY_EXTEND: _l("Proxy end date changed"),
    AuditAction.PROXY_CHANGE: _l("Proxy rights or description changed"),
    AuditAction.PROXY_CANCEL: _l("Proxy cancelled"),
    AuditAction.PROXY_ASSIGN: _l("Proxy assigned"),
    AuditAction.PROXY_UNASSIGN: _l("Proxy assignment withdrawn"),
    AuditAction.PROXY_EXPIRE: _l("Proxy expired"),
    AuditAction.STEP_UP: _l("Code entered for a sensitive action"),
    AuditAction.PASSKEY_ADD: _l("Passkey added"),
    AuditAction.PASSKEY_REMOVE: _l("Passkey removed"),
    AuditAction.PASSKEY_USE: _l("Passkey used to sign in"),
    AuditAction.CONSENT_GRANT: _l("Consent given to a ministry"),
    AuditAction.CONSENT_WITHDRAW: _l("Consent withdrawn from a ministry"),
    AuditAction.OIDC_SIGN_IN: _l("Signed in to a ministry's service"),
    AuditAction.OIDC_AUTHORIZATION_DENY: _l("Sign-in to a ministry's service refused"),
    AuditAction.OIDC_ENTERPRISE_CHOOSE: _l("Enterprise chosen for a ministry's services"),
    AuditAction.OIDC_GRANT_REVOKE: _l("A service's access ended"),
    AuditAction.OIDC_LOGOUT: _l("Signed out from a ministry's service"),
    AuditAction.OIDC_BACKCHANNEL_LOGOUT: _l("Service told of the end of a session"),
    AuditAction.SECURITY_EVENT_PUSH: _l("Service told of a change of rights or credentials"),
    AuditAction.SAML_REQUEST_REFUSE: _l("A service's SAML request refused"),
    AuditAction.SAML_LOGOUT: _l("Single logout of SAML services"),
    AuditAction.CITIZEN_IDENTITY_CHECK: _l("Identity checked with the tax authority"),
    AuditAction.CITIZEN_CONFIRMATION_SEND: _l("Confirmation link sent by email"),
    AuditAction.CITIZEN_EMAIL_CHANGE: _l("Email address changed"),
    AuditAction.CITIZEN_QUESTIONS_CHANGE: _l("Security questions changed"),
    AuditAction.CITIZEN_SECURITY_QUESTION: _l("Security question answered to sign in"),
    AuditAction.ACCOUNT_CLOSE: _l("Account closed by its holder"),
    AuditAction.ACCOUNT_EMAIL_REQUEST: _l("New email address asked for; link sent to it"),
    AuditAction.ACCOUNT_EMAIL_CHANGE: _l("New email address confirmed by its owner"),
    AuditAction.PASSWORD_RESET_REQUEST: _l("Password reset link asked for"),
    AuditAction.PASSWORD_RESET_COMPLETE: _l("Password reset with an emailed link"),
    AuditAction.USER_CODE_REMINDER: _l("User code sent by email"),
    AuditAction.RECOVERY_THROTTLED: _l("Recovery request refused (too many)"),
    AuditAction.ENTERPRISE_SETTINGS_CHANGE: _l("Enterprise settings changed"),
    AuditAction.CONDITIONS_ACCEPT: _l("Conditions of use accepted"),
    AuditAction.CONDITIONS_DECLINE: _l("Conditions of use declined"),
    AuditAction.MAILBOX_MESSAGE_POST: _l("Message from a ministry posted to the mailbox"),
}

# Actions a person does for themselves, recorded with only the person concerned: when no actor
# is recorded, the history shows that person as the one who acted rather than "System".
SELF_ACTIONS = frozenset(
    {
        AuditAction.SIGNIN_PASSWORD,
        AuditAction.SIGNIN_COMPLETE,
        AuditAction.MFA_CODE_VERIFY,
        AuditAction.STEP_UP,
        AuditAction.PASSWORD_CHANGE,
        AuditAction.CITIZEN_SECURITY_QUESTION,
        AuditAction.CITIZEN_EMAIL_CHANGE,
        AuditAction.CITIZEN_QUESTIONS_CHANGE,
        AuditAction.ACCOUNT_CLOSE,
        AuditAction.CONDITIONS_ACCEPT,
        AuditAction.CONDITIONS_DECLINE,
    }
)

OUTCOME_LABELS: dict[str, Any] = {
    Outcome.SUCCESS: _l("Succeeded"),
    Outcome.FAILURE: _l("Failed"),
    Outcome.DENIED: _l("Refused"),
}

# The `reason` detail is a code; the known ones read as words, others are shown as recorded.
REASON_LABELS: dict[str, Any] = {
    "wrong_password": _l("wrong password"),
    "account_suspended": _l("account suspended"),
    "account_cancelled": _l("account cancelled"),
    "cooldown": _l("too soon after the previous code"),
    "hourly_cap": _l("too many codes in the hour"),
    "no_active_code": _l("no valid code"),
    "void": _l("code no longer valid"),
    "voided": _l("code no longer valid"),
    "expired": _l("expired"),
    "mismatch": _l("wrong code"),
    "too_many_attempts": _l("too many attempts"),
    "delivery_failed": _l("the email could not be sent"),
    "inactivity": _l("inactivity"),
    "administrator": _l("by an administrator"),
    "invalid": _l("not accepted"),
    "sign_out": _l("signed out"),
    "idle_timeout": _l("inactive too long"),
    "absolute_timeout": _l("maximum length reached"),
    "replaced": _l("a new sign-in replaced it"),
    "relying_party_logout": _l("signed out from a service"),
    "declined": _l("the person refused"),
    "no_rights": _l("no right for this service"),
    "conditions_declined": _l("the conditions of use were declined"),
    "code_replay": _l("authorization code used twice"),
    "refresh_reuse": _l("refresh token used twice"),
    "rights_lost": _l("the rights are gone"),
    "session_ended": _l("the session ended"),
    "revoked_by_client": _l("revoked by the service"),
    "no_match": _l("the facts do not match the tax records"),
    "registry_unavailable": _l("the verification service did not answer"),
    "wrong_answer": _l("wrong answer"),
    "password_changed": _l("the password was changed"),
    "password_reset": _l("a new temporary password was given"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def reason_label(reason: object) -> str:
    return str(REASON_LABELS.get(str(reason), reason))


# No history is this long; the offset of a page past it would not fit an SQL integer.
MAX_HISTORY_PAGE = 1_000_000


@bp.get("/entreprise/historique")
@roles_required(AccountRole.ESM)
def history() -> str:
    """What was done in the enterprise's name, newest first, 50 events a page."""
    enterprise_id = current_account().enterprise_id
    if enterprise_id is None:  # every ESM has an enterprise; this only narrows the type
        abort(403)
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_HISTORY_PAGE:
        abort(404)
    found = enterprise_history(db.session, enterprise_id, page=page)
    if page > found.pages:
        abort(404)
    return render_template(
        "audit/history.html",
        history=found,
        enterprise=current_account().enterprise,
        catalogue=runtime().catalogue,
        self_actions=SELF_ACTIONS,
        action_label=action_label,
        outcome_label=outcome_label,
        reason_label=reason_label,
    )
