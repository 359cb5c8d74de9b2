"""What the journey knows of the person, read from the database and the browser's session.

:class:`LiveFacts` answers :class:`idp.federation.journey.Facts` once per request, each fact
read only when the journey reaches it (a person who must sign in again costs no rights query).
:meth:`LiveFacts.settle` keeps what an outcome asks to keep: the enterprise chosen, the consent
given or used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cached_property

from idp.claims.identity import Identity, build_citizen_identity, identity_from_rights
from idp.conditions.guard import declined_just_now, pending_version
from idp.consents.models import Consent
from idp.consents.services import covers, find_consent, grant_consent
from idp.enterprises.models import Enterprise
from idp.extensions import db
from idp.federation import steps
from idp.federation.journey import Conditions, ConsentNeeded, Outcome, Ready, SignedIn
from idp.oidc.acr import acr_of
from idp.proxies.rights import EffectiveRights
from idp.web.context import client_info, runtime

# A consent's « last used » is shown to the person by the day; written at most once a minute, it
# costs no UPDATE on most sign-ins (as a session's last_seen_at).
CONSENT_TOUCH = timedelta(minutes=1)


class LiveFacts:
    """The facts of one request; ``visit`` is None when nobody is signed in."""

    def __init__(
        self,
        visit: steps.Visit | None,
        *,
        shared: Callable[[Identity], list[str]],
        hint_names_current_person: Callable[[str], bool] | None = None,
    ) -> None:
        self._visit = visit
        self._shared = shared
        self._hint_check = hint_names_current_person
        self._consent: Consent | None = None

    @cached_property
    def now(self) -> datetime:
        return runtime().clock()

    def signed_in(self) -> SignedIn | None:
        if self._visit is None:
            return None
        user_session = self._visit.user_session
        if user_session.authenticated_at is None:
            return None
        account = user_session.account
        return SignedIn(
            authenticated_at=user_session.authenticated_at,
            portal=str(account.portal),
            acr=acr_of(user_session.amr),
            must_change_password=account.must_change_password,
        )

    def hint_names_current_person(self, hint: str) -> bool:
        return self._hint_check is not None and self._hint_check(hint)

    @cached_property
    def _conditions(self) -> Conditions:
        account = self._signed_in_visit().user_session.account
        version = pending_version(account)
        if version is None:
            return Conditions.ACCEPTED
        # Read once: the « Je refuse » is told to one relying party only.
        return Conditions.DECLINED if declined_just_now(version) else Conditions.PENDING

    def conditions(self) -> Conditions:
        return self._conditions

    @cached_property
    def _options(self) -> list[EffectiveRights]:
        return steps.enterprise_options(self._signed_in_visit())

    def enterprise_options(self) -> Sequence[EffectiveRights]:
        return self._options

    def remembered_enterprise(self) -> int | None:
        remembered = steps.remembered(self._signed_in_visit())
        return remembered.enterprise_id if remembered is not None else None

    def identity(self, held: EffectiveRights | None) -> Identity | None:
        visit = self._signed_in_visit()
        account = visit.user_session.account
        if held is None:
            return build_citizen_identity(db.session, runtime(), account, visit.ministry_key)
        enterprise = db.session.get(Enterprise, held.enterprise_id)
        assert enterprise is not None  # noqa: S101 (rights are held for an existing enterprise)
        return identity_from_rights(db.session, runtime(), account, enterprise, held)

    def shared(self, identity: Identity) -> list[str]:
        return self._shared(identity)

    def consent_covers(self, shared: list[str]) -> bool:
        visit = self._signed_in_visit()
        self._consent = find_consent(db.session, visit.user_session.account_id, visit.ministry_key)
        return covers(self._consent, shared)

    def _signed_in_visit(self) -> steps.Visit:
        assert self._visit is not None  # noqa: S101 (the journey reads these once signed in)
        return self._visit

    def settle(self, outcome: Outcome) -> None:
        """Keep what ``outcome`` asks to keep, before the protocol answers."""
        if not isinstance(outcome, ConsentNeeded | Ready):
            return
        visit = self._signed_in_visit()
        if outcome.remember is not None:
            steps.remember_choice(visit, outcome.remember)
        if not isinstance(outcome, Ready):
            return
        if outcome.consent_given:
            grant_consent(
                db.session,
                runtime(),
                visit.user_session.account_id,
                visit.ministry_key,
                list(outcome.shared),
                client=client_info(),
            )
        elif self._consent is not None and self.now - self._consent.last_used_at >= CONSENT_TOUCH:
            self._consent.last_used_at = self.now
