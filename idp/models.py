"""Every model, imported in one place so Alembic and the app see the whole schema."""

from idp.accounts.models import Account, UserSession
from idp.audit.models import AuditEvent
from idp.enterprises.models import Enterprise
from idp.mfa.models import OneTimeCode

__all__ = ["Account", "AuditEvent", "Enterprise", "OneTimeCode", "UserSession"]
