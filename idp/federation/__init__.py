"""What OpenID Connect and SAML share between sign-in and the relying party."""
