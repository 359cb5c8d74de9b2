"""The SAML 2.0 identity provider, on pysaml2 with in-process XML signatures."""
