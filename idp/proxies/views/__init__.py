"""Proxies: list, add, consult, change, extend, cancel, assign.

Every page is for electronic services managers. A proxy is visible to the mandator's ESMs and,
for an external proxy, to the agent enterprise's ESMs; anyone else gets 404, as for a proxy
that does not exist. Drafts (a new proxy, a new end date, the people chosen) wait in the
session, so that a step-up (the emailed code) or a "Correct" loses nothing.

The pages, by group: :mod:`.creation` (a new proxy), :mod:`.detail_and_changes` (the list, one
proxy, its end date, its cancellation), :mod:`.rights_change` (what a proxy gives, and its
description) and :mod:`.assignment` (giving a proxy to people and
withdrawing it); :mod:`.common` holds the blueprint and what they share.
"""

from idp.proxies.views import assignment, creation, detail_and_changes, rights_change
from idp.proxies.views.common import bp

__all__ = ["assignment", "bp", "creation", "detail_and_changes", "rights_change"]
