"""Demonstration ministry sites that sign people in through the identity provider."""
