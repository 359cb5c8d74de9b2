"""Requests released together: the races that single-use codes and guess limits must win.

:func:`fire_together` releases calls at once from their own threads. The fixtures serve the
app over real HTTP on a threaded server (``live_server``, with one trusted reverse proxy so
that each request may come from its own address) and count the checks of a secret
(``checks``): import them into a test module to use them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import requests
from sqlalchemy import func, select

from idp.audit.models import AuditEvent
from idp.extensions import db
from tests.conftest import csrf_token
from tests.oidc.live_server import HTTP_TIMEOUT_SECONDS, LiveServer, reserve_loopback_socket, serve

T = TypeVar("T")
# About one argon2id verification with production's parameters on this kind of machine: the
# window in which a check-then-count throttle lets a whole burst through.
HASH_SECONDS = 0.05


def fire_together(calls: Sequence[Callable[[], T]], timeout: float = 60) -> list[T]:
    """Run every call in its own thread, released at once by a barrier; their results in order.

    Each call should only send on a connection opened beforehand, so that the requests leave
    within microseconds of each other.
    """
    barrier = threading.Barrier(len(calls))
    results: list[T | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(i, call), name=f"race-{i}")
        for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    assert all(result is not None for result in results), "a racing request did not finish"
    return [result for result in results if result is not None]


def behind_one_proxy(app_config: dict[str, Any]) -> dict[str, Any]:
    """One trusted reverse proxy in front: each request may say which address it came from
    (``X-Forwarded-For``), as the requests of an attack from many addresses do."""
    return {**app_config, "trusted_proxy_count": 1}


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """The app on werkzeug's threaded server: one thread per request, as workers serve."""
    listening = reserve_loopback_socket()
    with serve(app, listening) as server:
        yield server
    listening.close()


@dataclass
class CheckCounter:
    """Counts the verifications of the given hashes by the running app's password hasher."""

    watched: set[str] = field(default_factory=set)
    results: list[bool] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def wrong(self) -> int:
        return self.results.count(False)

    @property
    def right(self) -> int:
        return self.results.count(True)


@pytest.fixture
def checks(app: Any, monkeypatch: pytest.MonkeyPatch) -> CheckCounter:
    hashing = app.extensions["idp.runtime"].hashing
    verify = hashing.verify
    counter = CheckCounter()

    def counting_verify(password_hash: str | None, password: str) -> bool:
        time.sleep(HASH_SECONDS)  # the time argon2id takes in production
        result = bool(verify(password_hash, password))
        if password_hash in counter.watched:
            with counter._lock:
                counter.results.append(result)
        return result

    monkeypatch.setattr(hashing, "verify", counting_verify)
    return counter


def browser_from(address: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def form_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    assert page.status_code == 200, page.text[:300]
    return csrf_token(page.text)


def audit_events(action: str, outcome: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if outcome is not None:
        query = query.where(AuditEvent.outcome == outcome)
    db.session.expire_all()
    return int(db.session.scalar(query) or 0)
