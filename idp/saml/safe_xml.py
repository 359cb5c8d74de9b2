"""Parsing XML that comes from outside: no DTD, no entity, no network, bounded size.

SAML messages and metadata are refused outright when they carry a document type declaration
or an entity declaration (XXE, "billion laughs"), before any parser that could expand them sees
them; lxml is then run with entity resolution, DTD loading and network access off.
"""

from __future__ import annotations

import re

from lxml import etree

MAX_XML_BYTES = 256 * 1024
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class UnsafeXmlError(ValueError):
    """The document is refused before parsing: a declaration, or too large."""


def refuse_declarations(data: bytes) -> None:
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXmlError("XML document too large")
    if _DECLARATION.search(data):
        raise UnsafeXmlError("XML with a DTD or an entity declaration is refused")


def parse(data: bytes) -> etree._Element:
    refuse_declarations(data)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError("XML with a DTD is refused")
    return root
