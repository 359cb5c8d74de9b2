"""Passkeys (WebAuthn): a phishing-resistant way to prove the sign-in, beside the emailed code."""
