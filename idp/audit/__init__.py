"""Append-only audit events: who did what, to whom, for which enterprise, with what outcome."""
