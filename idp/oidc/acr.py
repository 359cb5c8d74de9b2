"""Authentication context classes this provider asserts (OIDC ``acr``, SAML
``AuthnContextClassRef``), and which one a session reached."""

from idp.accounts.sessions import AMR_PASSWORD_AND_CODE

# A password and a one-time code sent by email: every enterprise sign-in, and a citizen's
# unless they used a security question.
ACR_PASSWORD_AND_EMAILED_CODE = "urn:clicsequr:acr:mfa"  # noqa: S105 (not a password)
# A citizen's password and one of their security questions: two things known, one factor.
ACR_PASSWORD_AND_SECURITY_QUESTION = "urn:clicsequr:acr:kba"  # noqa: S105
# A passkey (WebAuthn, user verification required): bound to this site's origin, so it cannot
# be relayed by a look-alike site as a code can (phishing-resistant).
ACR_PHISHING_RESISTANT = "urn:clicsequr:acr:phr"
# Strongest first.
ACR_VALUES_SUPPORTED = (
    ACR_PHISHING_RESISTANT,
    ACR_PASSWORD_AND_EMAILED_CODE,
    ACR_PASSWORD_AND_SECURITY_QUESTION,
)
_STRENGTH = {acr: len(ACR_VALUES_SUPPORTED) - i for i, acr in enumerate(ACR_VALUES_SUPPORTED)}


def acr_of(amr: str) -> str:
    """The class a session's authentication methods (RFC 8176 ``amr``) reached."""
    methods = amr.split()
    if "hwk" in methods:
        return ACR_PHISHING_RESISTANT
    if amr == AMR_PASSWORD_AND_CODE or "otp" in methods:
        return ACR_PASSWORD_AND_EMAILED_CODE
    return ACR_PASSWORD_AND_SECURITY_QUESTION


def satisfies(acr: str, minimum: str) -> bool:
    """A session of class ``acr`` is at least as strong as ``minimum``."""
    return _STRENGTH.get(acr, 0) >= _STRENGTH.get(minimum, len(ACR_VALUES_SUPPORTED) + 1)
