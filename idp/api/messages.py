"""Messages from the ministry to an enterprise's mailbox (idp/mailbox/notices.py)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from idp.api.auth import ApiCaller, management_access
from idp.api.blueprint import (
    api_endpoint,
    bp,
    enterprise_json,
    invalid_field,
    json_object,
    moment_json,
    only_members,
    text_field,
)
from idp.api.problems import ProblemError
from idp.api.scopes import ManagementResource
from idp.errors import ConflictError, NotFoundError
from idp.extensions import db
from idp.mailbox.notices import post_ministry_message
from idp.web.context import client_info, runtime

# The mailbox's subject column holds 200 characters.
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000
LANGUAGES = ("fr", "en")


def _bilingual(data: dict[str, Any], field: str, max_length: int) -> tuple[str, str]:
    """``{"fr": …, "en": …}``: both languages, each a non-empty string."""
    value = data.get(field)
    if not isinstance(value, dict):
        raise invalid_field(field, f"'{field}' must be an object with 'fr' and 'en'.")
    only_members(value, set(LANGUAGES), within=field)
    texts = [
        text_field(value, language, max_length=max_length, within=field) for language in LANGUAGES
    ]
    return texts[0], texts[1]


@bp.post("/ministries/<string(maxlength=32):ministry>/enterprises/<string(length=10):neq>/messages")
@api_endpoint()
@management_access(ManagementResource.MAILBOX)
def post_message(ministry: str, neq: str, caller: ApiCaller) -> tuple[Response, int]:
    """Write to the mailbox of an enterprise registered (or asking) at the ministry."""
    data = json_object()
    only_members(data, {"subject", "body"})
    subject = _bilingual(data, "subject", SUBJECT_MAX_LENGTH)
    body = _bilingual(data, "body", BODY_MAX_LENGTH)
    try:
        enterprise, messages = post_ministry_message(
            db.session,
            runtime(),
            ministry_key=ministry,
            neq=neq,
            subject=subject,
            body=body,
            api_client=caller.client.client_id,
            client=client_info(),
        )
    except NotFoundError as exc:
        raise ProblemError(
            "not_found", "No enterprise with this NEQ has asked the ministry for its services."
        ) from exc
    except ConflictError as exc:
        raise ProblemError(
            "no_recipient", "The enterprise has no active electronic services manager."
        ) from exc
    db.session.commit()
    receipt = {
        "enterprise": enterprise_json(enterprise),
        "recipients": len(messages),
        "posted_at": moment_json(messages[0].created_at if messages else None),
    }
    return jsonify(receipt), 201
