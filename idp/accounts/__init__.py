"""Accounts, passwords and the signed-in session."""
