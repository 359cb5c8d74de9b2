"""An access IQEA obtained for a person, as its sign-in would have left it (for tests of what
ends accesses: a session signed out, rights withdrawn, a password reset)."""

from __future__ import annotations

from idp.accounts.models import Account
from idp.oidc.issuance import create_user_grant
from idp.oidc.models import Grant
from idp.runtime import Runtime


def iqea_grant(
    runtime: Runtime, account: Account, *, session_id: int | None = None, scope: str = "openid"
) -> Grant:
    from idp.extensions import db

    return create_user_grant(
        db.session,
        runtime,
        client_id="iqea",
        account_id=account.id,
        session_id=session_id,
        enterprise_id=account.enterprise_id,
        ministry_key="melccfp",
        scope=scope,
        auth_time=runtime.clock(),
        acr="urn:clicsequr:acr:mfa",
        amr="pwd otp",
    )
