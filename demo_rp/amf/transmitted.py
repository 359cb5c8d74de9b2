"""The page « Ce que le fournisseur d'identité nous a transmis »: the Response of the sign-in.

The raw Response (base64, as posted to the ACS) is kept in the session. For the page, its
encrypted assertion is decrypted with the site's own key (in place, as the EncryptedAssertion's
content) and the whole Response is pretty-printed. Pretty-printing changes white space, so the
XML shown is for reading: the signatures are checked on the raw Response (pysaml2, at sign-in).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

import xmlsec
from lxml import etree

from demo_rp.amf.sp import SamlError, safe_xml

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
XENC_NS = "http://www.w3.org/2001/04/xmlenc#"


@dataclass(frozen=True)
class Transmitted:
    raw_base64: str
    # The Response with its assertion decrypted, pretty-printed.
    xml: str
    # How many assertions were encrypted (and decrypted here).
    decrypted: int


def decode_response(raw_base64: str) -> bytes:
    try:
        return base64.b64decode(raw_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlError("malformed_response", "not base64") from exc


def decrypt_assertions(root: etree._Element, key_file: Path) -> int:
    """Replace each EncryptedAssertion by the Assertion it carries; how many there were."""
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(key_file), xmlsec.constants.KeyDataFormatPem))
    count = 0
    for encrypted in list(root.iter(f"{{{SAML_NS}}}EncryptedAssertion")):
        data = encrypted.find(f"{{{XENC_NS}}}EncryptedData")
        if data is None:
            raise SamlError("malformed_response", "EncryptedAssertion without EncryptedData")
        try:
            assertion = xmlsec.EncryptionContext(manager).decrypt(data)
        except xmlsec.Error as exc:
            raise SamlError("decryption_failed", str(exc)) from exc
        parent = encrypted.getparent()
        if parent is None or not isinstance(assertion, etree._Element):
            raise SamlError("decryption_failed", "the content is not an element")
        parent.replace(encrypted, assertion)
        count += 1
    return count


def pretty(root: etree._Element) -> str:
    parser = etree.XMLParser(
        remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False
    )
    tidy = etree.fromstring(etree.tostring(root), parser)
    return etree.tostring(tidy, pretty_print=True, encoding="unicode")


def transmitted(raw_base64: str, key_file: Path) -> Transmitted:
    root = safe_xml(decode_response(raw_base64))
    decrypted = decrypt_assertions(root, key_file)
    return Transmitted(raw_base64=raw_base64, xml=pretty(root), decrypted=decrypted)
