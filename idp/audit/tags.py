"""Audit action tags, shaped ``domain:subject:action``."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    ENTERPRISE_CREATE = "enterprises:enterprise:create"
    # Self-service registration and the provider operators' decisions (idp.enterprises).
    ENTERPRISE_APPLY = "enterprises:application:submit"
    ENTERPRISE_ACTIVATE = "enterprises:enterprise:activate"
    ENTERPRISE_REFUSE = "enterprises:enterprise:refuse"
    ENTERPRISE_SUSPEND = "enterprises:enterprise:suspend"
    ENTERPRISE_REACTIVATE = "enterprises:enterprise:reactivate"
    ENTERPRISE_CANCEL = "enterprises:enterprise:cancel"
    ACCOUNT_CREATE = "accounts:account:create"
    ACCOUNT_UPDATE = "accounts:account:update"
    ACCOUNT_SUSPEND = "accounts:account:suspend"
    ACCOUNT_REACTIVATE = "accounts:account:reactivate"
    ACCOUNT_CANCEL = "accounts:account:cancel"
    ACCOUNT_ROLE_CHANGE = "accounts:account:role"
    ACCOUNT_PASSWORD_RESET = "accounts:password:reset"  # noqa: S105 (an event name)
    ACCOUNT_LOCK = "accounts:account:lock"
    ACCOUNT_UNLOCK = "accounts:account:unlock"
    # S105: these are event names that contain the word "password", not passwords.
    ACCOUNT_PASSWORD_REHASH = "accounts:password:rehash"  # noqa: S105
    PASSWORD_CHANGE = "accounts:password:change"  # noqa: S105
    SIGNIN_PASSWORD = "accounts:signin:password"  # noqa: S105
    SIGNIN_THROTTLED = "accounts:signin:throttle"
    SIGNIN_COMPLETE = "accounts:signin:complete"
    CLIENT_IP_LOCK = "accounts:client_ip:lock"
    SESSION_END = "accounts:session:end"
    MFA_CODE_SEND = "mfa:code:send"
    MFA_CODE_VERIFY = "mfa:code:verify"
    MFA_CODE_VOID = "mfa:code:void"
    CSRF_REJECT = "web:csrf:reject"
    REGISTRATION_SUBMIT = "ministries:registration:submit"
    REGISTRATION_DECIDE = "ministries:registration:decide"
    REGISTRATION_WITHDRAW = "ministries:registration:withdraw"
    REGISTRATION_CANCEL = "ministries:registration:cancel"
    PROXY_CREATE = "proxies:proxy:create"
    PROXY_EXTEND = "proxies:proxy:extend"
    PROXY_CHANGE = "proxies:proxy:change"
    PROXY_CANCEL = "proxies:proxy:cancel"
    PROXY_ASSIGN = "proxies:assignment:create"
    PROXY_UNASSIGN = "proxies:assignment:cancel"
    PROXY_EXPIRE = "proxies:proxy:expire"
    STEP_UP = "mfa:code:step_up"
    PASSKEY_ADD = "mfa:passkey:add"
    PASSKEY_REMOVE = "mfa:passkey:remove"
    PASSKEY_USE = "mfa:passkey:use"
    CONSENT_GRANT = "consents:consent:grant"
    CONSENT_WITHDRAW = "consents:consent:withdraw"
    OIDC_SIGN_IN = "oidc:authorization:grant"
    OIDC_AUTHORIZATION_DENY = "oidc:authorization:deny"
    OIDC_ENTERPRISE_CHOOSE = "oidc:enterprise:choose"
    OIDC_GRANT_REVOKE = "oidc:grant:revoke"
    OIDC_LOGOUT = "oidc:session:logout"
    OIDC_BACKCHANNEL_LOGOUT = "oidc:backchannel:deliver"
    SECURITY_EVENT_PUSH = "oidc:secevent:push"
    SAML_REQUEST_REFUSE = "saml:request:refuse"
    SAML_LOGOUT = "saml:session:logout"
    CITIZEN_IDENTITY_CHECK = "citizens:identity:check"
    CITIZEN_CONFIRMATION_SEND = "citizens:confirmation:send"
    CITIZEN_EMAIL_CHANGE = "citizens:email:change"
    CITIZEN_QUESTIONS_CHANGE = "citizens:questions:change"
    CITIZEN_SECURITY_QUESTION = "citizens:signin:question"
    ACCOUNT_CLOSE = "accounts:account:close"
    ACCOUNT_EMAIL_REQUEST = "accounts:email:request"
    ACCOUNT_EMAIL_CHANGE = "accounts:email:change"
    # Recovery: a reset link asked (audited whether or not an account matched), then used.
    PASSWORD_RESET_REQUEST = "accounts:password_reset:request"  # noqa: S105
    PASSWORD_RESET_COMPLETE = "accounts:password_reset:complete"  # noqa: S105
    USER_CODE_REMINDER = "accounts:user_code:remind"
    RECOVERY_THROTTLED = "accounts:recovery:throttle"
    ENTERPRISE_SETTINGS_CHANGE = "enterprises:settings:change"
    CONDITIONS_ACCEPT = "conditions:version:accept"
    CONDITIONS_DECLINE = "conditions:version:decline"
    # A ministry's back-end wrote to an enterprise's mailbox (Management API).
    MAILBOX_MESSAGE_POST = "mailbox:message:post"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"
