"""Inspection of this provider's JWTs and SAML responses: decoded, verified, explained.

Used by ``idp inspect`` (:mod:`idp.inspect.cli`) and, for the same explanation in HTML, by the
demo sites: call :func:`inspect_token` and render the :class:`Report` it returns.
"""

from idp.inspect.inspector import inspect_token
from idp.inspect.jwt import inspect_jwt, looks_like_jwt
from idp.inspect.render import headline, render_text, report_as_dict
from idp.inspect.report import (
    Item,
    Kind,
    Problem,
    ProblemCode,
    Report,
    Section,
    SignatureCheck,
    SignatureStatus,
    SignerKey,
    Text,
    TimeCheck,
)
from idp.inspect.saml import decode_saml, inspect_saml

__all__ = [
    "Item",
    "Kind",
    "Problem",
    "ProblemCode",
    "Report",
    "Section",
    "SignatureCheck",
    "SignatureStatus",
    "SignerKey",
    "Text",
    "TimeCheck",
    "decode_saml",
    "headline",
    "inspect_jwt",
    "inspect_saml",
    "inspect_token",
    "looks_like_jwt",
    "render_text",
    "report_as_dict",
]
