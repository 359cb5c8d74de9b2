"""The enterprise's own rules, set by its authorized representative.

For now one rule: whether an electronic services manager may give another manager a new
temporary password (:func:`idp.enterprises.policies.can_reset_password_of`). Changing it is
sensitive (it widens what a manager's account can do to others): it needs the emailed code
entered within the step-up window, and it is audited.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from idp.accounts.models import Account
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.enterprises.policies import can_change_enterprise_settings
from idp.errors import ConflictError, ForbiddenError
from idp.mfa.step_up import require_recent_code
from idp.runtime import Runtime


def set_esm_password_resets(
    session: DbSession,
    runtime: Runtime,
    actor: Account,
    enterprise: Enterprise,
    allowed: bool,
    *,
    verified_at: datetime | None,
    client: ClientInfo | None = None,
) -> None:
    """Allow, or forbid, ESMs to reset one another's password."""
    if not can_change_enterprise_settings(actor, enterprise.id):
        raise ForbiddenError()
    if enterprise.esm_password_resets_allowed == allowed:
        raise ConflictError(_l("This is already the rule of the enterprise."))
    require_recent_code(runtime, verified_at)
    enterprise.esm_password_resets_allowed = allowed
    record(
        session,
        runtime.clock,
        AuditAction.ENTERPRISE_SETTINGS_CHANGE,
        client=client,
        actor_id=actor.id,
        enterprise_id=enterprise.id,
        esm_resets_allowed=allowed,  # ("password" in a key would be kept out of the trail)
    )
