"""A bounded load on the production setup, over loopback only (issue #8, part 2; marker
``load``, run by default: ``-m "not load"`` leaves it out).

- ``test_concurrent_sign_ins``: ``SIGN_INS`` people sign in at once, each completely: the
  authorization endpoint of a relying party, user code and password (argon2id with production's
  parameters), the code emailed to the suite's aiosmtpd capture, consent, and the code redeemed
  at the token endpoint. Every sign-in ends with tokens, no answer is a 5xx, and the database
  shows each emailed code consumed once, each authorization code redeemed once and giving one
  grant.
- ``test_token_requests``: ``TOKEN_REQUESTS`` token requests from relying parties' back-ends,
  ``client_credentials`` and chains of refresh-token rotations, over keep-alive connections:
  every one answered 200 (none is expected to be refused: each back-end stays under the
  per-address limit of 300 a minute), no 5xx, none lost, and in the database every refresh
  token used at most once, one new token per rotation, no grant revoked.

Both check from gunicorn's access log that both workers served. Each back-end and each person
has its own client address (``X-Forwarded-For`` from the trusted proxy), as in production,
where the per-address limits would otherwise refuse a crowd behind one address.

On a two-core machine the sign-ins take about 30 s and the token requests 70 s (both longer
when other tests run beside them); each run appends its times, rates and the workers' CPU time
per request to ``test-artifacts/production/load-summary.txt``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.production import flows
from tests.production.conftest import Person, Seed, Settings, new_ip
from tests.production.httpclient import Browser, Connection, Reply
from tests.production.servers import ARTIFACTS, WORKERS, IdpServer

pytestmark = pytest.mark.load

SIGN_INS = 200
TOKEN_REQUESTS = 10_000
REFRESH_CHAINS = 40
REFRESHES_PER_CHAIN = 100
CLIENT_CREDENTIALS_THREADS = 24
# Far above what this machine needs (about a minute for both tests); a hung run fails here.
LOAD_TIMEOUT_SECONDS = 400


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, replies: list[Reply]) -> None:
        with self.lock:
            self.replies.extend(replies)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def summary(name: str, started: float, count: int, worker_cpu: float) -> None:
    """A line in ``test-artifacts/production/load-summary.txt``: time, rate, and the workers'
    CPU time per item (what capacity planning needs)."""
    elapsed = time.monotonic() - started
    line = (
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name}: {count} in {elapsed:.1f} s "
        f"({count / elapsed:.0f}/s), workers' CPU {worker_cpu:.1f} s "
        f"({1000 * worker_cpu / max(count, 1):.1f} ms each)\n"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "load-summary.txt").open("a", encoding="utf-8") as out:
        out.write(line)
    print(line, end="")


def assert_no_server_errors(replies: list[Reply]) -> None:
    errors = [r.describe() for r in replies if r.status >= 500]
    assert not errors, f"{len(errors)} answers 5xx: {errors[:5]}"


def assert_both_workers_served(server: IdpServer, replies: list[Reply]) -> None:
    served = server.served([r.tag for r in replies])
    assert len(served) == len(replies), "requests missing from the access log"
    by_worker = Counter(s.pid for s in served.values())
    assert set(by_worker) == server.worker_pids(), by_worker
    assert len(by_worker) == WORKERS, by_worker


# -- sign-ins ----------------------------------------------------------------------------------


def sign_in_and_redeem(
    server: IdpServer, person: Person, smtp, secret: str, start: threading.Barrier, out: Outcome
) -> None:
    browser = Browser(server.port, new_ip())
    try:
        start.wait(timeout=60)
        issued = flows.authorization_code(browser, person, smtp, client_id="load-rp")
        with server.connect(browser.client_ip) as connection:
            tokens = flows.exchange(connection, "load-rp", secret, issued)
        browser.replies.append(tokens)
        if tokens.status != 200 or "id_token" not in tokens.json():
            out.fail(f"{person.user_code}: {tokens.describe()}")
    except Exception as error:  # reported with the person, after every thread has finished
        out.fail(f"{person.user_code}: {error!r}"[:500])
    finally:
        browser.close()
        out.add(browser.replies)


@pytest.mark.timeout(LOAD_TIMEOUT_SECONDS)
def test_concurrent_sign_ins(
    idp_server: IdpServer, seed: Seed, prod_settings: Settings, smtp_capture
) -> None:
    people = seed.people(SIGN_INS, "load")
    ids = [p.account_id for p in people]
    secret = prod_settings.secrets["load-rp"]
    out = Outcome()
    start = threading.Barrier(SIGN_INS)
    threads = [
        threading.Thread(
            target=sign_in_and_redeem,
            args=(idp_server, person, smtp_capture, secret, start, out),
            name=f"sign-in-{i}",
        )
        for i, person in enumerate(people)
    ]
    cpu_before = idp_server.workers_cpu_seconds()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_TIMEOUT_SECONDS)
    cpu = idp_server.workers_cpu_seconds() - cpu_before
    summary(f"{SIGN_INS} concurrent sign-ins ({len(out.replies)} requests)", started, SIGN_INS, cpu)

    assert not any(thread.is_alive() for thread in threads), "a sign-in never finished"
    assert_no_server_errors(out.replies)
    assert not out.errors, f"{len(out.errors)} sign-ins did not end with tokens: {out.errors[:5]}"
    assert_both_workers_served(idp_server, out.replies)

    # Each person: one emailed code, consumed; one authenticated session.
    assert seed.rows(
        "SELECT count(*), count(consumed_at), count(DISTINCT account_id) FROM one_time_codes "
        "WHERE account_id = ANY(:ids)",
        ids=ids,
    ) == [(SIGN_INS, SIGN_INS, SIGN_INS)]
    assert seed.rows(
        "SELECT stage, count(*) FROM user_sessions WHERE account_id = ANY(:ids) GROUP BY stage",
        ids=ids,
    ) == [("authenticated", SIGN_INS)]
    assert (
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'accounts:signin:complete' "
            "AND subject_account_id = ANY(:ids)",
            ids=ids,
        )
        == SIGN_INS
    )
    # Each authorization code redeemed once, giving one grant; no grant without its code.
    assert seed.rows(
        "SELECT count(*), count(used_at), count(DISTINCT grant_id) "
        "FROM oidc_authorization_codes WHERE account_id = ANY(:ids)",
        ids=ids,
    ) == [(SIGN_INS, SIGN_INS, SIGN_INS)]
    assert seed.rows(
        "SELECT count(*), count(revoked_at) FROM oidc_grants WHERE account_id = ANY(:ids)",
        ids=ids,
    ) == [(SIGN_INS, 0)]


# -- token requests ----------------------------------------------------------------------------


def refresh_chain(
    connection: Connection, secret: str, refresh_token: str, start: threading.Barrier, out: Outcome
) -> None:
    replies: list[Reply] = []
    try:
        with connection:
            start.wait(timeout=60)
            for _ in range(REFRESHES_PER_CHAIN):
                reply = flows.refresh(connection, "load-rp", secret, refresh_token)
                replies.append(reply)
                if reply.status != 200:
                    out.fail(reply.describe())
                    break
                refresh_token = reply.json()["refresh_token"]
    except Exception as error:
        out.fail(repr(error)[:500])
    finally:
        out.add(replies)


def client_credentials_share(
    connection: Connection, secret: str, count: int, start: threading.Barrier, out: Outcome
) -> None:
    replies: list[Reply] = []
    try:
        with connection:
            start.wait(timeout=60)
            for _ in range(count):
                reply = flows.client_credentials(connection, "load-batch", secret)
                replies.append(reply)
                if reply.status != 200:
                    out.fail(reply.describe())
    except Exception as error:
        out.fail(repr(error)[:500])
    finally:
        out.add(replies)


def refresh_families(
    server: IdpServer, seed: Seed, secret: str, smtp
) -> tuple[list[int], list[str]]:
    """``REFRESH_CHAINS`` people signed in to ``load-rp``: their grants and refresh tokens."""
    people = seed.people(REFRESH_CHAINS, "chain")

    def family(person: Person) -> str:
        browser = Browser(server.port, new_ip())
        issued = flows.authorization_code(browser, person, smtp, client_id="load-rp")
        with server.connect(browser.client_ip) as connection:
            tokens = flows.exchange(connection, "load-rp", secret, issued)
        assert tokens.status == 200, tokens.describe()
        return str(tokens.json()["refresh_token"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(family, people))
    grants = [
        seed.scalar("SELECT id FROM oidc_grants WHERE account_id = :a", a=p.account_id)
        for p in people
    ]
    return grants, tokens


@pytest.mark.timeout(LOAD_TIMEOUT_SECONDS)
def test_token_requests(
    idp_server: IdpServer, seed: Seed, prod_settings: Settings, smtp_capture
) -> None:
    rp_secret = prod_settings.secrets["load-rp"]
    batch_secret = prod_settings.secrets["load-batch"]
    grants, refresh_tokens = refresh_families(idp_server, seed, rp_secret, smtp_capture)
    refreshes = REFRESH_CHAINS * REFRESHES_PER_CHAIN
    credentials = TOKEN_REQUESTS - refreshes
    shares = [
        credentials // CLIENT_CREDENTIALS_THREADS
        + (1 if i < credentials % CLIENT_CREDENTIALS_THREADS else 0)
        for i in range(CLIENT_CREDENTIALS_THREADS)
    ]
    batch_grants_before = seed.scalar(
        "SELECT count(*) FROM oidc_grants WHERE client_id = 'load-batch'"
    )
    out = Outcome()
    back_ends = REFRESH_CHAINS + CLIENT_CREDENTIALS_THREADS
    start = threading.Barrier(back_ends)
    # Half the back-ends' connections held by each worker, known before the load starts: left
    # to gunicorn, a worker busy on a loaded machine may let the other accept them all. Each
    # back-end then speaks from an address of its own (the per-address limit is per back-end).
    connections = [
        connection.from_address(new_ip())
        for connection in idp_server.pinned_connections(back_ends // WORKERS, new_ip())
    ]
    threads = [
        threading.Thread(
            target=refresh_chain,
            args=(connections[i], rp_secret, token, start, out),
            name="chain",
        )
        for i, token in enumerate(refresh_tokens)
    ] + [
        threading.Thread(
            target=client_credentials_share,
            args=(connections[REFRESH_CHAINS + i], batch_secret, share, start, out),
            name="batch",
        )
        for i, share in enumerate(shares)
    ]
    cpu_before = idp_server.workers_cpu_seconds()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_TIMEOUT_SECONDS)
    cpu = idp_server.workers_cpu_seconds() - cpu_before
    summary(f"{TOKEN_REQUESTS} token requests", started, len(out.replies), cpu)

    assert not any(thread.is_alive() for thread in threads), "a back-end never finished"
    assert_no_server_errors(out.replies)
    assert not out.errors, f"{len(out.errors)} requests failed: {out.errors[:5]}"
    assert len(out.replies) == TOKEN_REQUESTS, "requests lost"
    assert Counter(r.status for r in out.replies) == {200: TOKEN_REQUESTS}
    assert_both_workers_served(idp_server, out.replies)

    issued_refresh = [r.json()["refresh_token"] for r in out.replies if "refresh_token" in r.json()]
    assert len(issued_refresh) == refreshes
    assert len(set(issued_refresh)) == refreshes, "a refresh token issued twice"
    # Every family: the first token and one per rotation; all but the newest used, once.
    assert seed.rows(
        "SELECT count(*), count(used_at), count(revoked_at) FROM oidc_tokens "
        "WHERE grant_id = ANY(:g) AND kind = 'refresh'",
        g=grants,
    ) == [(REFRESH_CHAINS * (REFRESHES_PER_CHAIN + 1), refreshes, 0)]
    assert (
        seed.rows(
            "SELECT grant_id, count(*) - count(used_at) FROM oidc_tokens "
            "WHERE grant_id = ANY(:g) AND kind = 'refresh' GROUP BY grant_id "
            "HAVING count(*) - count(used_at) <> 1",
            g=grants,
        )
        == []
    ), "a family with other than one unused refresh token"
    assert (
        seed.scalar(
            "SELECT count(*) FROM oidc_grants WHERE id = ANY(:g) AND revoked_at IS NOT NULL",
            g=grants,
        )
        == 0
    )
    # client_credentials: one grant and one access token per request.
    assert (
        seed.scalar("SELECT count(*) FROM oidc_grants WHERE client_id = 'load-batch'")
        - batch_grants_before
        == credentials
    )
