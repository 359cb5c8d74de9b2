"""pysaml2's crypto backend, with signatures and encryption done in-process.

pysaml2's default backend runs the ``xmlsec1`` program for every signature: about 80 ms each,
so a core signs about 12 responses a second. Signing, verifying and encrypting here go through
the ``xmlsec`` Python binding (the same library, in-process, about 2 ms); what pysaml2 still
asks of the backend beyond that (decryption, used only by service providers) stays with the
program.

Encryption ignores pysaml2's template, whose default is Triple DES: assertions are encrypted
with AES-256-GCM, the session key wrapped with RSA-OAEP.
"""

from __future__ import annotations

from typing import Any

import xmlsec
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1, SignatureError

from idp.saml.safe_xml import parse

_ASSERTION = "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"
_ENCRYPTED_ASSERTION = "{urn:oasis:names:tc:SAML:2.0:assertion}EncryptedAssertion"
_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


class InProcessCryptoBackend(CryptoBackendXmlSec1):
    def __init__(self, xmlsec_binary: str, **kwargs: Any) -> None:
        super().__init__(xmlsec_binary, **kwargs)
        self._keys: dict[str, xmlsec.Key] = {}

    def _private_key(self, key_file: str) -> xmlsec.Key:
        key = self._keys.get(key_file)
        if key is None:
            key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
            self._keys[key_file] = key
        return key

    def sign_statement(self, statement: Any, node_name: str, key_file: str, node_id: str) -> str:
        """Fill in the signature template of the element whose ID is ``node_id``."""
        root = _as_tree(statement)
        target = _element_with_id(root, node_id) if node_id else root
        signature = target.find(_SIGNATURE)
        if signature is None:
            raise SignatureError(f"no signature template in {node_name} {node_id}")
        context = xmlsec.SignatureContext()
        xmlsec.tree.add_ids(root, ["ID"])
        context.key = self._private_key(key_file)
        try:
            context.sign(signature)
        except xmlsec.Error as exc:
            raise SignatureError(str(exc)) from exc
        return str(etree.tostring(root, encoding="unicode"))

    def validate_signature(
        self, signedtext: Any, cert_file: str, cert_type: str, node_name: str, node_id: str
    ) -> bool:
        """Verify the signature that is a child of the element ``node_id`` (and only that one).

        Only same-document references are followed, so a signature cannot be made to cover an
        element elsewhere (signature wrapping) or a remote resource.
        """
        data = signedtext if isinstance(signedtext, bytes) else str(signedtext).encode()
        root = parse(data)
        target = _element_with_id(root, node_id) if node_id else root
        signature = target.find(_SIGNATURE)
        if signature is None:
            raise SignatureError(f"{node_name} {node_id} is not signed")
        references = signature.findall(".//{http://www.w3.org/2000/09/xmldsig#}Reference")
        if len(references) != 1 or references[0].get("URI") != f"#{target.get('ID')}":
            raise SignatureError("the signature does not cover the signed element")
        fmt = (
            xmlsec.constants.KeyDataFormatCertPem
            if cert_type == "pem"
            else xmlsec.constants.KeyDataFormatCertDer
        )
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_file(cert_file, fmt)
        xmlsec.tree.add_ids(root, ["ID"])
        try:
            context.verify(signature)
        except xmlsec.Error as exc:
            raise SignatureError(f"signature of {node_name} does not verify") from exc
        return True

    def encrypt_assertion(
        self,
        statement: Any,
        enc_key: str,
        template: Any,
        key_type: str = "aes-256",
        node_xpath: str | None = None,
        node_id: str | None = None,
    ) -> str:
        """Encrypt the assertion inside ``EncryptedAssertion`` (AES-256-GCM, RSA-OAEP)."""
        root = _as_tree(statement)
        container = root.find(f".//{_ENCRYPTED_ASSERTION}")
        if container is None:
            raise SignatureError("no EncryptedAssertion to fill")
        assertion = container.find(_ASSERTION)
        if assertion is None:
            raise SignatureError("no assertion to encrypt")
        data = xmlsec.template.encrypted_data_create(
            root,
            xmlsec.constants.TransformAes256Gcm,
            type=xmlsec.constants.TypeEncElement,
            ns="xenc",
        )
        xmlsec.template.encrypted_data_ensure_cipher_value(data)
        key_info = xmlsec.template.encrypted_data_ensure_key_info(data, ns="ds")
        encrypted_key = xmlsec.template.add_encrypted_key(
            key_info, xmlsec.constants.TransformRsaOaep
        )
        xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_file(enc_key, xmlsec.constants.KeyDataFormatCertPem))
        context = xmlsec.EncryptionContext(manager)
        context.key = xmlsec.Key.generate(
            xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
        )
        # The plaintext is the assertion as lxml serialises a subtree: with the namespace
        # declarations it inherits, under the same prefixes. It decrypts into a well-formed
        # element on its own (pysaml2), and an SP that moves it back into the Response
        # (OneLogin) finds the same prefixes in scope, so its signed form does not change.
        plaintext = etree.tostring(assertion)
        try:
            encrypted = context.encrypt_binary(data, plaintext)
        except xmlsec.Error as exc:
            raise SignatureError(f"encryption failed: {exc}") from exc
        container.replace(assertion, encrypted)
        return str(etree.tostring(root, encoding="unicode"))


def _as_tree(statement: Any) -> etree._Element:
    text = statement if isinstance(statement, bytes) else str(statement).encode("utf-8")
    # Our own document (made by pysaml2 in this process): parsed without the size cap.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(text, parser)


def _element_with_id(root: etree._Element, node_id: str) -> etree._Element:
    found = [element for element in root.iter() if element.get("ID") == node_id]
    if len(found) != 1:
        # Two elements with one ID is the shape of a signature-wrapping attack.
        raise SignatureError(f"expected one element with ID {node_id}, found {len(found)}")
    return found[0]
