"""Authentication context classes this provider asserts (OIDC ``acr``, SAML
``AuthnContextClassRef``)."""

# The one context offered: a password and a one-time code sent by email.
ACR_PASSWORD_AND_EMAILED_CODE = "urn:clicsequr:acr:mfa"  # noqa: S105 (not a password)
ACR_VALUES_SUPPORTED = (ACR_PASSWORD_AND_EMAILED_CODE,)
