"""Which decisions a provider operator may take on an enterprise: named predicates and one table.

The whole life of an enterprise at clicSÉQUR, read top to bottom:

    pending_activation --activate--> active --suspend--> suspended --reactivate--> active
    pending_activation --refuse----> refused              (a new application may follow)
    active, suspended  --cancel----> cancelled            (final)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from idp.accounts.models import Account, AccountRole
from idp.enterprises.models import EnterpriseStatus

_S = EnterpriseStatus


class Transition(StrEnum):
    ACTIVATE = "activate"
    REFUSE = "refuse"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    CANCEL = "cancel"


@dataclass(frozen=True)
class TransitionRule:
    sources: frozenset[EnterpriseStatus]
    target: EnterpriseStatus
    # The operator must write why (the reason is sent to the enterprise).
    needs_reason: bool
    # The operator must have entered an emailed code in the last minutes.
    needs_step_up: bool


RULES: dict[Transition, TransitionRule] = {
    Transition.ACTIVATE: TransitionRule(
        frozenset({_S.PENDING_ACTIVATION}), _S.ACTIVE, False, False
    ),
    Transition.REFUSE: TransitionRule(frozenset({_S.PENDING_ACTIVATION}), _S.REFUSED, True, False),
    Transition.SUSPEND: TransitionRule(frozenset({_S.ACTIVE}), _S.SUSPENDED, True, True),
    Transition.REACTIVATE: TransitionRule(frozenset({_S.SUSPENDED}), _S.ACTIVE, False, False),
    Transition.CANCEL: TransitionRule(
        frozenset({_S.ACTIVE, _S.SUSPENDED}), _S.CANCELLED, True, True
    ),
}


def is_provider_operator(account: Account) -> bool:
    """An active provider operator: the only one who decides an enterprise's status."""
    return account.is_active and account.role == AccountRole.PROVIDER_OPERATOR


def is_allowed(transition: Transition, status: str) -> bool:
    """Whether ``transition`` may be taken from ``status``."""
    return status in RULES[transition].sources


def allowed_transitions(status: str) -> list[Transition]:
    """The decisions open on an enterprise in ``status``, in the table's order."""
    return [transition for transition in Transition if is_allowed(transition, status)]


def is_final(status: str) -> bool:
    """No decision leads anywhere from ``status`` (a cancelled enterprise)."""
    return not allowed_transitions(status)


def may_apply_again(status: str) -> bool:
    """An enterprise whose registration was refused may submit a new application."""
    return status == EnterpriseStatus.REFUSED
