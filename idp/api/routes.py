"""Every route of the Management API, on one blueprint: ``from idp.api.routes import bp``."""

from idp.api import audit_events, messages, openapi, registrations
from idp.api.blueprint import bp

__all__ = ["audit_events", "bp", "messages", "openapi", "registrations"]
