"""Emailed one-time codes: issue, send, verify, throttle."""
