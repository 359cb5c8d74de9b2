"""Proxies: sets of rights at ministries, given to staff or to another enterprise, and assigned."""
