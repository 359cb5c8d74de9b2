"""The SAML 2.0 identity provider, on pysaml2 with in-process XML signatures."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# pysaml2 names a cipher mode cryptography has moved; it is never used here (idp/saml/crypto.py
# encrypts with AES-GCM), so the warning would only be noise at every start.
warnings.filterwarnings(
    "ignore", message="CFB has been moved", category=CryptographyDeprecationWarning
)
