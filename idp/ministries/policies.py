"""Who may register an enterprise at a ministry, end a registration, or ask again.

Small predicates, each tested in a table (tests/ministries/test_policies.py); the services raise
when one says no, the pages use them to show only what may be done.
"""

from __future__ import annotations

from idp.accounts.models import Account
from idp.enterprises.models import Enterprise
from idp.enterprises.policies import can_manage, is_operator_of
from idp.ministries.models import MinistryRegistration, RegistrationStatus

#: A registration in one of these may be asked for again (the same row goes back to pending).
ASKABLE_AGAIN = frozenset(
    {RegistrationStatus.REFUSED, RegistrationStatus.WITHDRAWN, RegistrationStatus.CANCELLED}
)


def enterprise_may_register(enterprise: Enterprise | None) -> bool:
    """Only an enterprise in good standing at clicSÉQUR asks a ministry for its services."""
    return enterprise is not None and enterprise.is_active


def can_submit(registration: MinistryRegistration | None) -> bool:
    """Never asked, or asked before and ended: refused, withdrawn, cancelled."""
    return registration is None or registration.status in ASKABLE_AGAIN


def can_cancel(actor: Account, registration: MinistryRegistration) -> bool:
    """The enterprise's own ESM ends a registration that is active or still in process."""
    return can_manage(actor, registration.enterprise_id) and registration.status in {
        RegistrationStatus.ACTIVE,
        RegistrationStatus.PENDING,
    }


def can_withdraw(operator: Account, registration: MinistryRegistration) -> bool:
    """The ministry's own operator withdraws a registration it activated."""
    return (
        is_operator_of(operator, registration.ministry_key)
        and registration.status == RegistrationStatus.ACTIVE
    )
