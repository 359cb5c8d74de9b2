"""OpenID Connect provider: server wiring, grants, endpoints."""
