"""Sending email: the sender protocol and its SMTP implementation."""
