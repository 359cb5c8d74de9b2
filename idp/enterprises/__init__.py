"""Enterprises, known by their Québec enterprise number (NEQ)."""
