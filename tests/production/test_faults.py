"""Faults in what the provider depends on, under load (issue #8, part 3).

The shared PostgreSQL and Redis servers cannot be restarted by a test: each test puts a TCP
proxy of its own (``tests/production/proxy.py``) between a production gunicorn and the server,
then cuts it (every connection reset, new ones dropped) and restores it, while back-ends and
browsers keep sending requests.

- ``test_database_outage_answers_503_and_recovers``: PostgreSQL cut three times under load
  (back-ends asking for tokens, signed-in people loading pages, the readiness probe): every
  request is answered 200 or 503, never 500; during each outage every request is answered 503
  quickly, without a traceback; once it is back, the same workers (no restart) answer 200
  again within seconds.
- ``test_redis_outage_during_sign_in``: while Redis (the rate-limit counters) is unreachable,
  what sign-in and the token endpoint do (observed, and asserted so that a change is seen):
  they fail *closed* and cleanly, 503 with ``Retry-After``: the password step starts no session
  and emails no code, the code step of a sign-in under way leaves the code unused and the
  session pending, no token is issued, so an outage cannot be used to get round the throttle;
  the sign-in page itself still shows (200); ``/readyz`` says Redis is down. Once Redis is back,
  without a restart, sign-in works and the code of the interrupted sign-in completes it.
- SMTP down is not repeated here: ``tests/mfa/test_codes.py::
  test_smtp_down_tells_the_person_and_leaves_nothing`` shows the person is told the code could
  not be sent and that neither a pending session nor a code row is left (the sign-in view and
  ``send_code_or_explain`` run the same way in a gunicorn worker).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.production import flows
from tests.production.conftest import Seed, Settings, StartIdp, new_ip
from tests.production.httpclient import Browser, Connection, Reply, csrf_token, provider_path
from tests.production.proxy import TcpProxy
from tests.production.servers import IdpServer

BASELINE_SECONDS = 1.5
OUTAGE_SECONDS = 2.0
# Each cut drops the requests in flight at a different point of their work.
OUTAGES = 3
RECOVERY_SECONDS = 15.0
# A request answered during an outage must not have waited longer than this.
OUTAGE_ANSWER_SECONDS = 10.0


@dataclass
class Sample:
    kind: str
    sent: float
    answered: float
    reply: Reply | None
    error: str | None = None

    @property
    def status(self) -> int | None:
        return self.reply.status if self.reply else None


@dataclass
class Outage:
    """When the dependency was cut, restored, and the provider answered again (monotonic)."""

    cut_at: float
    restored_at: float = float("inf")
    recovered_at: float = float("inf")

    def during(self, sample: Sample) -> bool:
        return self.cut_at <= sample.sent and sample.answered <= self.restored_at


def healthy(sample: Sample, outages: list[Outage]) -> bool:
    """Sent and answered while everything was up (before the first cut, or between the
    recovery from one outage and the next cut, or after the last recovery)."""
    edges = [float("-inf")] + [x for o in outages for x in (o.cut_at, o.recovered_at)]
    edges.append(float("inf"))
    return any(
        start <= sample.sent and sample.answered < end
        for start, end in zip(edges[0::2], edges[1::2], strict=True)
    )


@dataclass
class Load:
    """Threads sending a mix of requests until stopped; every answer kept with its times."""

    kinds: dict[str, Callable[[Connection], Reply]]
    server: IdpServer
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, mix: list[str]) -> None:
        """One thread per entry of ``mix`` (a kind of request), each on its own connection.

        The connections are pinned to the workers in turn: left to gunicorn, a loaded machine
        can hand every one of them to the same worker, and the test would not see both.
        """
        connections: list[Connection] = []
        while len(connections) < len(mix):
            connections += self.server.pinned_connections(1, new_ip())
        for extra in connections[len(mix) :]:
            extra.close()
        for index, (kind, connection) in enumerate(zip(mix, connections, strict=False)):
            thread = threading.Thread(
                target=self._run, args=(kind, connection), name=f"load-{index}"
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, kind: str, connection: Connection) -> None:
        send = self.kinds[kind]
        try:
            while not self.stop.is_set():
                sent = time.monotonic()
                try:
                    reply: Reply | None = send(connection)
                    error = None
                except OSError as exc:  # the connection to gunicorn itself failed
                    reply, error = None, repr(exc)
                    connection.close()
                    connection = self.server.connect(new_ip())
                with self._lock:
                    self.samples.append(Sample(kind, sent, time.monotonic(), reply, error))
                time.sleep(0.02)
        finally:
            connection.close()

    def finish(self) -> list[Sample]:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return list(self.samples)


def describe(samples: list[Sample]) -> str:
    """Counts by kind and answer, then the first unexpected answer in full."""
    counts = Counter((s.kind, s.status, s.error) for s in samples)
    text = ", ".join(
        f"{kind} {status or error}: {n}" for (kind, status, error), n in counts.items()
    )
    odd = [s for s in samples if s.status not in (200, 503)]
    if odd and odd[0].reply is not None:
        reply = odd[0].reply
        text += f"\nfirst {odd[0].kind} answered {reply.status}: {dict(reply.headers)} "
        text += repr(reply.text[:400])
    return text


def wait_for_recovery(check: Callable[[], bool], timeout: float = RECOVERY_SECONDS) -> float:
    """The moment ``check`` first holds (it is retried until ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"not recovered within {timeout} s")


def signed_in_browser(server: IdpServer, seed: Seed, smtp) -> Browser:
    person = seed.person("fault")
    browser = Browser(server.port, new_ip())
    done = browser.sign_in(person.user_code, person.password, lambda: smtp.last_code(person.email))
    assert done.status == 302, done.describe()
    assert provider_path(done.location) == "/", done.describe()
    return browser


@pytest.fixture
def database_proxy(prod_settings: Settings) -> Iterator[TcpProxy]:
    url = urlsplit(prod_settings.database_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def redis_proxy(prod_settings: Settings) -> Iterator[TcpProxy]:
    url = urlsplit(prod_settings.redis_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 6379).start()
    yield proxy
    proxy.stop()


def through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()


# -- PostgreSQL -----------------------------------------------------------------------------------


def test_database_outage_answers_503_and_recovers(
    database_proxy: TcpProxy,
    start_idp: StartIdp,
    seed: Seed,
    prod_settings: Settings,
    smtp_capture,
) -> None:
    server = start_idp(IDP_DATABASE_URL=through(prod_settings.database_url, database_proxy))
    workers = server.worker_pids()
    browser = signed_in_browser(server, seed, smtp_capture)
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    secret = prod_settings.secrets["prod-batch"]
    load = Load(
        {
            # Back-ends (each request from another address: under the per-address limit).
            "token": lambda c: flows.client_credentials(
                c.from_address(new_ip()), "prod-batch", secret
            ),
            # A signed-in person: the session is read on every page.
            "home": lambda c: c.request("GET", "/", headers={"Cookie": cookie}),
            # The readiness probe: 503 by design while the database is down.
            "readyz": lambda c: c.request("GET", "/readyz"),
        },
        server,
    )
    outages: list[Outage] = []

    def token_works() -> bool:
        with server.connect(new_ip()) as connection:
            return flows.client_credentials(connection, "prod-batch", secret).status == 200

    load.start(["home", "home", "home", "token", "token", "readyz"])
    try:
        for _ in range(OUTAGES):
            time.sleep(BASELINE_SECONDS)
            outage = Outage(cut_at=time.monotonic())
            outages.append(outage)
            with database_proxy.outage():
                time.sleep(OUTAGE_SECONDS)
                outage.restored_at = time.monotonic()
            outage.recovered_at = wait_for_recovery(token_works)
        time.sleep(BASELINE_SECONDS)
    finally:
        samples = load.finish()

    during = [s for s in samples if any(o.during(s) for o in outages)]
    up = [s for s in samples if healthy(s, outages)]
    assert during, describe(samples)
    assert up, describe(samples)
    # Every answer, whenever it was sent: 200, or 503 (never a 500, never no answer).
    assert all(s.status in (200, 503) for s in samples), describe(samples)
    # During an outage: answered quickly, 503, without a traceback.
    assert all(s.status == 503 for s in during), describe(during)
    assert all(s.answered - s.sent < OUTAGE_ANSWER_SECONDS for s in during)
    assert not [s for s in during if s.reply is not None and "Traceback" in s.reply.text]
    # While everything is up, before, between and after the outages: 200.
    assert all(s.status == 200 for s in up), describe(up)
    # Back each time without a restart: the same workers answered throughout.
    assert all(o.recovered_at - o.restored_at < RECOVERY_SECONDS for o in outages)
    assert server.worker_pids() == workers
    assert server.pids_of([s.reply.tag for s in samples if s.reply]) == workers
    server.check_running()


# -- Redis ---------------------------------------------------------------------------------------


def test_redis_outage_during_sign_in(
    redis_proxy: TcpProxy,
    start_idp: StartIdp,
    seed: Seed,
    prod_settings: Settings,
    smtp_capture,
) -> None:
    server = start_idp(IDP_REDIS_URL=through(prod_settings.redis_url, redis_proxy))
    workers = server.worker_pids()
    person = seed.person("redis-down")
    secret = prod_settings.secrets["prod-batch"]

    def attempt(password: str) -> Reply:
        browser = Browser(server.port, new_ip())
        page = browser.get("/connexion")
        assert page.status == 200, page.describe()
        return browser.request(
            "POST",
            "/connexion",
            {
                "user_code": person.user_code,
                "password": password,
                "csrf_token": csrf_token(page.text),
            },
        )

    def token() -> Reply:
        with server.connect(new_ip()) as connection:
            return flows.client_credentials(connection, "prod-batch", secret)

    def ready() -> Reply:
        with server.connect(new_ip()) as connection:
            return connection.request("GET", "/readyz")

    # Someone else is between the password and the code when Redis goes.
    midway = seed.person("redis-midway")
    midway_browser = Browser(server.port, new_ip())
    page = midway_browser.get("/connexion")
    sent = midway_browser.submit(page, user_code=midway.user_code, password=midway.password)
    assert provider_path(sent.location) == "/connexion/code", sent.describe()
    code_page = midway_browser.get("/connexion/code")
    code = {"code": smtp_capture.last_code(midway.email), "csrf_token": csrf_token(code_page.text)}

    emails_before = smtp_capture.count_to(person.email)
    with redis_proxy.outage():
        page_during = Browser(server.port, new_ip()).get("/connexion")
        right = attempt(person.password)
        wrong = attempt("Pas-le-bon-mot-de-passe")
        code_during = midway_browser.request("POST", "/connexion/code", code)
        token_during = token()
        ready_during = ready()
    observed = {
        "sign-in page": page_during.status,
        "right password": right.status,
        "wrong password": wrong.status,
        "emailed code": code_during.status,
        "client_credentials": token_during.status,
        "readyz": ready_during.status,
    }

    # Fails closed: nothing started, sent, used or issued while the counters are unknown.
    assert (
        seed.scalar("SELECT count(*) FROM user_sessions WHERE account_id = :a", a=person.account_id)
        == 0
    ), observed
    assert smtp_capture.count_to(person.email) == emails_before, observed
    assert seed.rows(
        "SELECT s.stage, c.consumed_at IS NULL FROM user_sessions s "
        "JOIN one_time_codes c ON c.user_session_id = s.id WHERE s.account_id = :a",
        a=midway.account_id,
    ) == [("pending_code", True)], observed
    assert ready_during.status == 503
    assert ready_during.json()["checks"]["redis"] == "down"
    # Cleanly: the person and the back-end are told the service is unavailable, not a 500.
    assert observed == {
        "sign-in page": 200,
        "right password": 503,
        "wrong password": 503,
        "emailed code": 503,
        "client_credentials": 503,
        "readyz": 503,
    }, observed
    for reply in (right, wrong, code_during, token_during):
        assert "Traceback" not in reply.text
        assert reply.headers.get("Retry-After"), reply.describe()

    # Back without a restart.
    wait_for_recovery(lambda: ready().status == 200)
    assert token().status == 200
    done = attempt(person.password)
    assert done.status == 302, done.describe()
    assert provider_path(done.location) == "/connexion/code", done.describe()
    # The code that could not be checked during the outage still works.
    finished = midway_browser.request("POST", "/connexion/code", code)
    assert finished.status == 302, finished.describe()
    assert provider_path(finished.location) == "/", finished.describe()
    assert server.worker_pids() == workers
