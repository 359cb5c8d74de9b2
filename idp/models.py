"""Every model, imported in one place so Alembic and the app see the whole schema."""

from idp.accounts.models import Account, EmailChange, KnownBrowser, PasswordReset, UserSession
from idp.audit.models import AuditEvent
from idp.citizens.models import CitizenEnrolment, CitizenProfile, SecurityAnswer
from idp.claims.models import MinistryIdentity
from idp.conditions.models import ConditionsAcceptance
from idp.consents.models import Consent
from idp.enterprises.models import Enterprise, EnterpriseApplication
from idp.federation.models import EnterpriseChoice
from idp.mailbox.models import MailboxMessage
from idp.mfa.models import OneTimeCode
from idp.ministries.models import MinistryRegistration
from idp.oidc.models import (
    AuthorizationCode,
    Grant,
    IssuedToken,
    LogoutNotification,
    PushedAuthorizationRequest,
    UsedClientAssertion,
)
from idp.passkeys.models import Passkey, PasskeyChallenge
from idp.proxies.models import Proxy, ProxyAssignment, ProxyMinistry, ProxyRight
from idp.saml.models import SamlLogout, SamlParticipant, SamlRequest
from idp.secevents.models import SecurityEventDelivery

__all__ = [
    "Account",
    "AuditEvent",
    "AuthorizationCode",
    "CitizenEnrolment",
    "CitizenProfile",
    "EmailChange",
    "SecurityAnswer",
    "ConditionsAcceptance",
    "Consent",
    "Enterprise",
    "EnterpriseApplication",
    "EnterpriseChoice",
    "Grant",
    "IssuedToken",
    "KnownBrowser",
    "LogoutNotification",
    "MailboxMessage",
    "MinistryIdentity",
    "MinistryRegistration",
    "OneTimeCode",
    "Passkey",
    "PasskeyChallenge",
    "PasswordReset",
    "Proxy",
    "ProxyAssignment",
    "ProxyMinistry",
    "ProxyRight",
    "PushedAuthorizationRequest",
    "SamlLogout",
    "SamlParticipant",
    "SamlRequest",
    "SecurityEventDelivery",
    "UsedClientAssertion",
    "UserSession",
]
