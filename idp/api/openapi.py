"""The OpenAPI 3.1 document of the Management API, served at ``/api/v1/openapi.json``.

Written here as data, next to the routes it describes; tests/api/ checks it against the OpenAPI
specification and every answer of the API against its schemas. The scopes are listed for every
ministry of the catalogue, so the document is built once per process from it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from werkzeug.wrappers import Response

from idp.api.audit_events import DEFAULT_LIMIT, MAX_LIMIT
from idp.api.blueprint import api_endpoint, bp
from idp.api.messages import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH
from idp.api.problems import PROBLEM_TYPES, TYPE_PREFIX
from idp.api.scopes import ManagementResource, management_scope
from idp.ministries.catalogue import Catalogue
from idp.ministries.forms import REASON_MAX_LENGTH
from idp.ministries.models import RegistrationStatus
from idp.web.context import runtime

_DOCUMENT_KEY = "idp.api.openapi"

_SCOPE_PURPOSES = {
    ManagementResource.REGISTRATIONS: "read and decide the registration requests of",
    ManagementResource.MAILBOX: "write to the mailboxes of enterprises registered at",
    ManagementResource.AUDIT: "read the audit events about",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_REFUSALS = {
    "401": _problem("No token, or a token that is not valid (`WWW-Authenticate: Bearer`)."),
    "403": _problem("The token lacks the scope, or is another ministry's."),
    "429": _problem("Too many requests from this client; see `Retry-After`."),
}
_BODY_REFUSALS = {
    "400": _problem("The body is not JSON."),
    "413": _problem("The body is larger than 64 KiB."),
    "415": _problem("The body is not `application/json`."),
    "422": _problem("The JSON does not follow the schema."),
}
_MINISTRY = {
    "name": "ministry",
    "in": "path",
    "required": True,
    "description": "The ministry's key in the catalogue (`melccfp`); the token's own.",
    "schema": {"type": "string", "maxLength": 32},
}

_TEXT = {"type": "string", "minLength": 1}
_ENTERPRISE = {
    "type": "object",
    "required": ["neq", "legal_name"],
    "additionalProperties": False,
    "properties": {
        "neq": {"type": "string", "pattern": "^[0-9]{10}$"},
        "legal_name": {"type": "string"},
    },
}
_MOMENT = {"type": "string", "format": "date-time"}


def _bilingual(max_length: int) -> dict[str, Any]:
    text = {**_TEXT, "maxLength": max_length}
    return {
        "type": "object",
        "required": ["fr", "en"],
        "additionalProperties": False,
        "properties": {"fr": text, "en": text},
    }


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {
                "type": "string",
                "enum": [TYPE_PREFIX + code for code in PROBLEM_TYPES] + ["about:blank"],
            },
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "parameter": {"type": "string", "description": "The query parameter refused."},
            "current_status": {"type": "string", "description": "The decided status (409)."},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "detail"],
                    "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                },
            },
        },
    },
    "Enterprise": _ENTERPRISE,
    "Registration": {
        "type": "object",
        "required": [
            "id",
            "status",
            "enterprise",
            "answers",
            "submitted_at",
            "decided_at",
            "decision_reason",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": list(RegistrationStatus)},
            "enterprise": _ref("Enterprise"),
            "answers": {
                "type": "object",
                "description": "The answers to the ministry's questions, by question key.",
                "additionalProperties": {"type": "string"},
            },
            "submitted_at": _MOMENT,
            "decided_at": {"type": ["string", "null"], "format": "date-time"},
            "decision_reason": {"type": ["string", "null"]},
        },
    },
    "RegistrationList": {
        "type": "object",
        "required": ["registrations"],
        "additionalProperties": False,
        "properties": {"registrations": {"type": "array", "items": _ref("Registration")}},
    },
    "Decision": {
        "type": "object",
        "required": ["decision"],
        "additionalProperties": False,
        "properties": {
            "decision": {"type": "string", "enum": ["activate", "refuse"]},
            "reason": {
                "type": "string",
                "maxLength": REASON_MAX_LENGTH,
                "description": "Required to refuse; the enterprise's managers read it.",
            },
        },
    },
    "Message": {
        "type": "object",
        "required": ["subject", "body"],
        "additionalProperties": False,
        "properties": {
            "subject": _bilingual(SUBJECT_MAX_LENGTH),
            "body": _bilingual(BODY_MAX_LENGTH),
        },
    },
    "MessageReceipt": {
        "type": "object",
        "required": ["enterprise", "recipients", "posted_at"],
        "additionalProperties": False,
        "properties": {
            "enterprise": _ref("Enterprise"),
            "recipients": {
                "type": "integer",
                "minimum": 1,
                "description": "How many of the enterprise's managers received it.",
            },
            "posted_at": _MOMENT,
        },
    },
    "AuditEvent": {
        "type": "object",
        "required": ["id", "occurred_at", "action", "outcome", "enterprise", "details"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "occurred_at": _MOMENT,
            "action": {
                "type": "string",
                "description": "`domain:subject:action`, e.g. `ministries:registration:decide`.",
            },
            "outcome": {"type": "string", "enum": ["success", "failure", "denied"]},
            "enterprise": {"oneOf": [_ref("Enterprise"), {"type": "null"}]},
            "details": {
                "type": "object",
                "properties": {
                    "ministry": {"type": "string"},
                    "relying_party": {"type": "string"},
                    "decision": {"type": "string"},
                    "reason": {"type": "string"},
                    "api_client": {"type": "string"},
                    "recipients": {"type": "integer"},
                },
                "additionalProperties": False,
            },
        },
    },
    "AuditEventPage": {
        "type": "object",
        "required": ["events", "next_cursor", "has_more"],
        "additionalProperties": False,
        "properties": {
            "events": {"type": "array", "items": _ref("AuditEvent")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Send it as `cursor` for the events after this page.",
            },
            "has_more": {"type": "boolean"},
        },
    },
}


def _paths() -> dict[str, Any]:
    ministry = "/ministries/{ministry}"
    return {
        f"{ministry}/registrations": {
            "get": {
                "operationId": "listRegistrations",
                "summary": "The ministry's registration requests in one status.",
                "security": [{"oauth2": []}],
                "description": "Scope: `management:{ministry}:registrations`.",
                "parameters": [
                    _MINISTRY,
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": list(RegistrationStatus),
                            "default": "pending",
                        },
                    },
                ],
                "responses": {
                    "200": _json("Oldest first.", "RegistrationList"),
                    "400": _problem("An unknown status."),
                    **_REFUSALS,
                },
            }
        },
        f"{ministry}/registrations/{{id}}/decision": {
            "post": {
                "operationId": "decideRegistration",
                "summary": "Activate or refuse a pending registration.",
                "security": [{"oauth2": []}],
                "description": "Scope: `management:{ministry}:registrations`.",
                "parameters": [
                    _MINISTRY,
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Decision")}},
                },
                "responses": {
                    "200": _json("The registration as decided.", "Registration"),
                    **_BODY_REFUSALS,
                    **_REFUSALS,
                    "404": _problem("The ministry has no registration with this id."),
                    "409": _problem("The registration was already decided."),
                },
            }
        },
        f"{ministry}/enterprises/{{neq}}/messages": {
            "post": {
                "operationId": "postMessage",
                "summary": "Write to the mailbox of an enterprise registered at the ministry.",
                "security": [{"oauth2": []}],
                "description": "Scope: `management:{ministry}:mailbox`.",
                "parameters": [
                    _MINISTRY,
                    {
                        "name": "neq",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]{10}$"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Message")}},
                },
                "responses": {
                    "201": _json("Posted to each of the enterprise's managers.", "MessageReceipt"),
                    **_BODY_REFUSALS,
                    **_REFUSALS,
                    "404": _problem("No enterprise with this NEQ asked the ministry."),
                    "409": _problem("The enterprise has no active manager to receive it."),
                },
            }
        },
        f"{ministry}/audit-events": {
            "get": {
                "operationId": "listAuditEvents",
                "summary": "The audit events about the ministry, oldest first.",
                "security": [{"oauth2": []}],
                "description": "Scope: `management:{ministry}:audit`.",
                "parameters": [
                    _MINISTRY,
                    {
                        "name": "since",
                        "in": "query",
                        "description": "Events at or after this RFC 3339 date-time.",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT,
                        },
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "The `next_cursor` of the previous page.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json("One page.", "AuditEventPage"),
                    "400": _problem("A parameter is not valid."),
                    **_REFUSALS,
                },
            }
        },
    }


def openapi_document(issuer: str, catalogue: Catalogue) -> dict[str, Any]:
    """The whole document, for this issuer and the ministries of this catalogue."""
    scopes = {
        management_scope(ministry.key, resource): f"{purpose.capitalize()} {ministry.key}."
        for ministry in catalogue.ministries
        for resource, purpose in _SCOPE_PURPOSES.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "clicSÉQUR Management API",
            "version": "1.0.0",
            "description": "What a ministry's back-end manages at clicSÉQUR: the enterprises' "
            "registration requests, messages to their mailboxes, the audit events about the "
            "ministry. Errors are RFC 9457 problem details. See docs/management-api.md.",
        },
        "servers": [{"url": f"{issuer}/api/v1"}],
        "security": [{"oauth2": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "An access token from the token endpoint "
                    "(`client_credentials`) with the scopes the client is registered for.",
                    "flows": {
                        "clientCredentials": {"tokenUrl": f"{issuer}/oidc/token", "scopes": scopes}
                    },
                }
            },
        },
    }


@bp.get("/openapi.json")
@api_endpoint()
def openapi() -> Response:
    """The document; public, like the provider's discovery document."""
    document = current_app.extensions.get(_DOCUMENT_KEY)
    if document is None:
        rt = runtime()
        document = openapi_document(rt.settings.issuer, rt.catalogue)
        current_app.extensions[_DOCUMENT_KEY] = document
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
