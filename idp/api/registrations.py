"""The ministry's registration requests, and its decisions on them.

The rules are the operator page's (idp/ministries/services.py): pending only, a reason to
refuse, audited, the enterprise's ESMs told in their mailbox.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
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
from idp.errors import ConflictError, ForbiddenError, ValidationError
from idp.extensions import db
from idp.ministries.forms import REASON_MAX_LENGTH
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.ministries.queries import registration_for_ministry, with_status_for_ministry
from idp.ministries.services import decide_registration_for_ministry
from idp.web.context import client_info, runtime

DECISIONS = {"activate": True, "refuse": False}


def registration_json(registration: MinistryRegistration) -> dict[str, Any]:
    return {
        "id": registration.id,
        "status": registration.status,
        "enterprise": enterprise_json(registration.enterprise),
        "answers": dict(registration.answers or {}),
        "submitted_at": moment_json(registration.submitted_at),
        "decided_at": moment_json(registration.decided_at),
        "decision_reason": registration.decision_reason,
    }


@bp.get("/ministries/<string(maxlength=32):ministry>/registrations")
@api_endpoint()
@management_access(ManagementResource.REGISTRATIONS)
def list_registrations(ministry: str, caller: ApiCaller) -> Response:
    """The ministry's registrations in one status (``pending`` unless asked), oldest first."""
    wanted = request.args.get("status", RegistrationStatus.PENDING)
    if wanted not in set(RegistrationStatus):
        raise ProblemError(
            "invalid_parameter",
            "status must be one of " + ", ".join(RegistrationStatus) + ".",
            parameter="status",
        )
    found = with_status_for_ministry(db.session, ministry, RegistrationStatus(wanted))
    return jsonify(registrations=[registration_json(r) for r in found])


@bp.post("/ministries/<string(maxlength=32):ministry>/registrations/<int:registration_id>/decision")
@api_endpoint()
@management_access(ManagementResource.REGISTRATIONS)
def decide(ministry: str, registration_id: int, caller: ApiCaller) -> Response:
    """Activate or refuse a pending registration; the answer is the registration decided."""
    data = json_object()
    only_members(data, {"decision", "reason"})
    decision = data.get("decision")
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise invalid_field("decision", '\'decision\' must be "activate" or "refuse".')
    reason = text_field(data, "reason", max_length=REASON_MAX_LENGTH, required=False)
    registration = registration_for_ministry(db.session, ministry, registration_id)
    if registration is None:
        raise ProblemError("not_found", "The ministry has no registration with this id.")
    try:
        decide_registration_for_ministry(
            db.session,
            runtime(),
            ministry,
            registration,
            activate=DECISIONS[decision],
            reason=reason,
            api_client=caller.client.client_id,
            client=client_info(),
        )
    except ConflictError as exc:
        raise ProblemError(
            "already_decided",
            "This registration was already decided.",
            current_status=registration.status,
        ) from exc
    except ValidationError as exc:
        raise invalid_field("reason", "A refusal needs a 'reason'.") from exc
    except ForbiddenError as exc:  # another ministry's: found by no one else
        raise ProblemError("not_found", "The ministry has no registration with this id.") from exc
    db.session.commit()
    return jsonify(registration_json(registration))
