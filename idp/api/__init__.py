"""The Management API: JSON under ``/api/v1`` for ministries' back-ends (docs/management-api.md).

A ministry's back-end gets an access token from the token endpoint (``client_credentials``)
with the management scopes its registration allows, then reads its registration requests and
decides them, writes to enterprises' mailboxes and reads the audit events about the ministry.
"""
