"""One internal identity, mapped to OIDC claims and SAML attributes; pairwise subjects."""
