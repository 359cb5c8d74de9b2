"""Signing a SAML response: pysaml2's default backend (the xmlsec1 program) against the
in-process backend the provider uses (``idp/saml/crypto.py``), in the same run.

    .venv/bin/python bench/saml_signing.py [--rounds 50]

Both sign the same assertion template with the same RSA-2048 key; the figure that matters is
the ratio, measured here on this machine, not the milliseconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from saml2 import saml
from saml2.s_utils import sid
from saml2.sigver import CryptoBackendXmlSec1, pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from idp.saml.crypto import InProcessCryptoBackend  # noqa: E402

NODE_NAME = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"


def assertion_template() -> tuple[str, str]:
    """An assertion with an empty RSA-SHA256 signature template, and its ID."""
    ident = sid()
    assertion = saml.Assertion(
        id=ident,
        version="2.0",
        issue_instant="2026-11-23T00:00:00Z",
        issuer=saml.Issuer(text="https://idp.example/saml/metadata"),
        subject=saml.Subject(name_id=saml.NameID(text="pairwise-subject")),
    )
    assertion.signature = pre_signature_part(
        ident, None, 1, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    return str(assertion), ident


def timed(sign: Callable[[], str], rounds: int) -> list[float]:
    sign()  # warm-up: key loading, imports
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sign()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    binary = shutil.which("xmlsec1")
    if binary is None:
        print("xmlsec1 is not installed (python3 dev.py test installs it)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as directory:
        key_file = Path(directory) / "key.pem"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        template, ident = assertion_template()
        backends = {
            "xmlsec1 program (pysaml2 default)": CryptoBackendXmlSec1(binary),
            "xmlsec binding (in-process)": InProcessCryptoBackend(binary),
        }
        results = {}
        for name, backend in backends.items():
            results[name] = timed(
                lambda b=backend: b.sign_statement(template, NODE_NAME, str(key_file), ident),
                args.rounds,
            )
    baseline = statistics.median(results["xmlsec1 program (pysaml2 default)"])
    print(f"Signing one assertion, median of {args.rounds} rounds (RSA-2048, SHA-256):")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"  {name:<36} {median * 1000:8.2f} ms   x{baseline / median:6.1f} vs baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
