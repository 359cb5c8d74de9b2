"""Small network helpers shared by the settings, the relying-party checks and the registers."""

from __future__ import annotations

import ipaddress
import logging

import requests

logger = logging.getLogger(__name__)


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MatchServiceUnavailableError(Exception):
    """A verification service gave no usable answer (unreachable, an error, no boolean)."""


def ask_match(
    session: requests.Session, url: str, payload: dict[str, str], timeout: float, service: str
) -> bool:
    """POST ``payload`` to a register's verification service and read its ``{"match": bool}``.

    Shared by the taxpayer and the enterprise registers: both answer only yes or no, so that
    nothing about the records leaks; any other answer is « unavailable », never a match.
    """
    try:
        response = session.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        logger.warning("%s unreachable: %s", service, type(exc).__name__)
        raise MatchServiceUnavailableError from exc
    if response.status_code != 200:
        logger.warning("%s answered %s", service, response.status_code)
        raise MatchServiceUnavailableError
    try:
        answer = response.json()
    except ValueError as exc:
        raise MatchServiceUnavailableError from exc
    match = answer.get("match") if isinstance(answer, dict) else None
    if not isinstance(match, bool):
        logger.warning("%s gave no boolean 'match'", service)
        raise MatchServiceUnavailableError
    return match
