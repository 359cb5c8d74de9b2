"""Authentication context classes this provider asserts (OIDC ``acr``, SAML
``AuthnContextClassRef``), and which one a session reached."""

from idp.accounts.sessions import AMR_PASSWORD_AND_CODE

# A password and a one-time code sent by email: every enterprise sign-in, and a citizen's
# unless they used a security question.
ACR_PASSWORD_AND_EMAILED_CODE = "urn:clicsequr:acr:mfa"  # noqa: S105 (not a password)
# A citizen's password and one of their security questions: two things known, one factor.
ACR_PASSWORD_AND_SECURITY_QUESTION = "urn:clicsequr:acr:kba"  # noqa: S105
# Strongest first.
ACR_VALUES_SUPPORTED = (ACR_PASSWORD_AND_EMAILED_CODE, ACR_PASSWORD_AND_SECURITY_QUESTION)


def acr_of(amr: str) -> str:
    """The class a session's authentication methods (RFC 8176 ``amr``) reached."""
    if amr == AMR_PASSWORD_AND_CODE or "otp" in amr.split():
        return ACR_PASSWORD_AND_EMAILED_CODE
    return ACR_PASSWORD_AND_SECURITY_QUESTION
