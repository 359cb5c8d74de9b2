"""Single use and shared counters hold across gunicorn workers (issue #8, part 1).

The provider runs as production runs it (``tests/production/conftest.py``: gunicorn,
``config/gunicorn.conf.py``, two workers, PostgreSQL, Redis). Each race sends the *same*
request ``RACERS`` times at once: the connections are opened beforehand and pinned to the
workers (half to each, known from gunicorn's access log, which records the worker's PID), then
released together by a barrier. Each test then checks from the access log that both workers
answered racing requests, so what is proved is a guarantee *across* processes, and counts in
the database that the one-time artefact was used once.

What each test proves:

- an authorization code redeemed ``RACERS`` times at once gives tokens once (one 200, the
  others ``invalid_grant``), and one grant;
- a refresh token redeemed ``REFRESH_RACERS`` times at once is rotated once (one new refresh
  token); the others are refused ``invalid_grant`` and, as documented (RFC 9700 reuse
  detection), end the family; repeated for ``REFRESH_ROUNDS`` families, since the requests
  that arrive just as the rotation commits meet in PostgreSQL within about a millisecond;
- the emailed sign-in code entered by ``RACERS`` browsers holding the same pending session
  completes one sign-in (one code consumed, one ``accounts:signin:complete``);
- a ``private_key_jwt`` client assertion (its ``jti``) authenticates one token request;
- a signed SAML AuthnRequest posted ``RACERS`` times is accepted once, the replays refused
  (``saml:replayed_request``);
- the sign-in throttle per user code counts failures in Redis for both workers: failures made
  alternately on each worker delay (default settings), then lock (``lock_server``), at the
  configured count, not at twice it; a burst of twice the lock count of simultaneous wrong
  passwords, with Redis slowed to 20 ms (a network away), is checked fewer than twice the
  lock count of times and sets one lock (one ``accounts:account:lock`` event);
- the back-channel rate limit of ``/oidc/token`` (per client address) counts the requests of
  both workers together: exactly the configured number pass.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import pytest

from idp.oidc.views.protocol import BACK_CHANNEL_LIMIT
from tests.concurrency import fire_together
from tests.conftest import TEST_PASSWORD, WORKER
from tests.production import flows
from tests.production.conftest import Seed, Settings, flush_redis, new_ip
from tests.production.httpclient import (
    Browser,
    Connection,
    Reply,
    basic_auth,
    csrf_token,
    provider_path,
)
from tests.production.proxy import TcpProxy
from tests.production.servers import WORKERS, IdpServer, start_gunicorn

T = TypeVar("T")

# Simultaneous identical requests per race, half pinned to each worker.
RACERS = 10


def pinned(server: IdpServer, client_ip: str) -> list[Connection]:
    return server.pinned_connections(RACERS // WORKERS, client_ip)


def close_all(connections: list[Connection]) -> None:
    for connection in connections:
        connection.close()


def race(server: IdpServer, client_ip: str, send: Callable[[Connection], Reply]) -> list[Reply]:
    """``send`` on every pinned connection at once; checks both workers answered."""
    connections = pinned(server, client_ip)
    try:
        replies = on_each(connections, send)
    finally:
        close_all(connections)
    assert_both_workers(server, replies)
    return replies


def on_each(connections: list[Connection], send: Callable[[Connection], T]) -> list[T]:
    """``send`` on each connection, all released at once."""
    return fire_together([lambda c=c: send(c) for c in connections])


def assert_both_workers(server: IdpServer, replies: list[Reply]) -> None:
    served = server.served([reply.tag for reply in replies])
    assert len(served) == len(replies), "requests missing from the access log"
    by_worker = Counter(s.pid for s in served.values())
    assert set(by_worker) == server.worker_pids(), (by_worker, server.worker_pids())
    assert len(by_worker) == WORKERS


def statuses(replies: list[Reply]) -> Counter[int]:
    return Counter(reply.status for reply in replies)


# -- OpenID Connect -------------------------------------------------------------------------------


def test_an_authorization_code_gives_tokens_once(
    idp_server: IdpServer, seed: Seed, prod_settings: Settings, smtp_capture
) -> None:
    person = seed.person("code-race")
    issued = flows.authorization_code(Browser(idp_server.port, new_ip()), person, smtp_capture)
    secret = prod_settings.secrets["prod-rp"]

    replies = race(idp_server, new_ip(), lambda c: flows.exchange(c, "prod-rp", secret, issued))

    assert statuses(replies) == {200: 1, 400: RACERS - 1}, [r.describe() for r in replies]
    assert {r.json()["error"] for r in replies if r.status == 400} == {"invalid_grant"}
    code_hash = hashlib.sha256(issued.code.encode()).hexdigest()
    rows = seed.rows(
        "SELECT used_at IS NOT NULL, grant_id FROM oidc_authorization_codes WHERE code_hash = :h",
        h=code_hash,
    )
    assert len(rows) == 1
    used, grant_id = rows[0]
    assert used
    assert grant_id is not None
    grants = seed.rows(
        "SELECT id, revoke_reason FROM oidc_grants WHERE account_id = :a", a=person.account_id
    )
    assert [g.id for g in grants] == [grant_id], "one code, one grant"
    tokens = seed.rows(
        "SELECT kind, count(*) FROM oidc_tokens WHERE grant_id = :g GROUP BY kind",
        g=grants[0].id,
    )
    assert dict(tokens) == {"access": 1, "refresh": 1}
    # RFC 6749 4.1.2: a code presented again after it was used revokes what it gave.
    assert grants[0].revoke_reason in (None, "code_replay")


# Whether a late presentation meets the rotation's losers in PostgreSQL is a matter of about a
# millisecond: each round is a new token family (a new authorization of the same signed-in
# person), raced again, by more requests than the workers have threads (2 x 4), so that the
# last ones start while the first are being answered.
REFRESH_ROUNDS = 30
REFRESH_RACERS = 16


def test_a_refresh_token_is_rotated_once(
    idp_server: IdpServer, seed: Seed, prod_settings: Settings, smtp_capture
) -> None:
    """For each of ``REFRESH_ROUNDS`` token families, the same refresh token presented
    ``REFRESH_RACERS`` times at once is rotated once (one 200 with a new token); every other
    presentation is answered ``invalid_grant`` and, being a reuse, ends the family
    (documented, RFC 9700 4.14.2)."""
    secret = prod_settings.secrets["prod-rp"]
    person = seed.person("refresh-race")
    browser = Browser(idp_server.port, new_ip())
    deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    deadlocks_before = seed.scalar(deadlocks)
    answers = []
    for _round in range(REFRESH_ROUNDS):
        issued = flows.authorization_code(browser, person, smtp_capture)
        with idp_server.connect(new_ip()) as connection:
            first = flows.exchange(connection, "prod-rp", secret, issued)
        assert first.status == 200, first.describe()
        refresh_token = first.json()["refresh_token"]

        connections = idp_server.pinned_connections(REFRESH_RACERS // WORKERS, new_ip())
        try:
            replies = on_each(
                connections, lambda c, t=refresh_token: flows.refresh(c, "prod-rp", secret, t)
            )
        finally:
            close_all(connections)
        assert_both_workers(idp_server, replies)
        errors = sorted({r.json().get("error", "") for r in replies if r.status != 200})
        answers.append((dict(statuses(replies)), errors))

        grant_id = seed.scalar(
            "SELECT grant_id FROM oidc_authorization_codes WHERE code_hash = :h",
            h=hashlib.sha256(issued.code.encode()).hexdigest(),
        )
        refresh_rows = seed.rows(
            "SELECT lookup, used_at IS NOT NULL FROM oidc_tokens "
            "WHERE grant_id = :g AND kind = 'refresh' ORDER BY id",
            g=grant_id,
        )
        old_hash = hashlib.sha256(refresh_token.encode()).hexdigest()
        assert [(lookup == old_hash, used) for lookup, used in refresh_rows] == [
            (True, True),
            (False, False),
        ], "one rotation: the old token used once, one new token"
        revoked = seed.scalar("SELECT revoke_reason FROM oidc_grants WHERE id = :g", g=grant_id)
        assert revoked == "refresh_reuse"
    expected = ({200: 1, 400: REFRESH_RACERS - 1}, ["invalid_grant"])
    otherwise = [(i, answer) for i, answer in enumerate(answers) if answer != expected]
    assert not otherwise, (
        f"rounds answered otherwise: {otherwise}; "
        f"PostgreSQL deadlocks meanwhile: {seed.scalar(deadlocks) - deadlocks_before}"
    )


def test_a_client_assertion_authenticates_once(idp_server: IdpServer, seed: Seed) -> None:
    jti = secrets.token_urlsafe(16)
    form = flows.with_assertion(flows.client_assertion("prod-jwt", jti))
    grants_before = seed.scalar("SELECT count(*) FROM oidc_grants WHERE client_id = 'prod-jwt'")

    replies = race(idp_server, new_ip(), lambda c: c.request("POST", flows.TOKEN_PATH, form=form))

    # invalid_client without an Authorization header: 400 (RFC 6749 5.2).
    assert statuses(replies) == {200: 1, 400: RACERS - 1}, [r.describe() for r in replies]
    assert {r.json()["error"] for r in replies if r.status == 400} == {"invalid_client"}
    key = hashlib.sha256(f"prod-jwt\x00{jti}".encode()).hexdigest()
    assert (
        seed.scalar("SELECT count(*) FROM oidc_used_client_assertions WHERE key = :k", k=key) == 1
    )
    grants_after = seed.scalar("SELECT count(*) FROM oidc_grants WHERE client_id = 'prod-jwt'")
    assert grants_after - grants_before == 1


# -- sign-in ---------------------------------------------------------------------------------------


def test_an_emailed_code_completes_one_sign_in(
    idp_server: IdpServer, seed: Seed, smtp_capture
) -> None:
    person = seed.person("mfa-race")
    browser = Browser(idp_server.port, new_ip())
    page = browser.get("/connexion")
    sent = browser.submit(page, user_code=person.user_code, password=person.password)
    assert provider_path(sent.location) == "/connexion/code", sent.describe()
    code_page = browser.get("/connexion/code")
    token = csrf_token(code_page.text)
    code = smtp_capture.last_code(person.email)
    # Every browser holds the same pending session (a copied cookie).
    browsers = [browser.copy() for _ in range(RACERS)]
    connections = pinned(idp_server, browser.client_ip)
    try:
        replies = on_each(
            connections,
            lambda c: browsers[connections.index(c)].request(
                "POST", "/connexion/code", {"code": code, "csrf_token": token}, connection=c
            ),
        )
    finally:
        close_all(connections)
    assert_both_workers(idp_server, replies)

    assert all(r.status < 500 for r in replies), [r.describe() for r in replies]
    completed = [
        r for r in replies if r.status == 302 and provider_path(r.location) != "/connexion"
    ]
    assert len(completed) == 1, [(r.status, r.location) for r in replies]
    # The others were told the code is no longer valid, or that the sign-in is over.
    for reply in replies:
        if reply is not completed[0]:
            assert reply.status == 200 or provider_path(reply.location) == "/connexion"
    assert seed.rows(
        "SELECT count(*), count(consumed_at) FROM one_time_codes WHERE account_id = :a",
        a=person.account_id,
    ) == [(1, 1)]
    assert seed.rows(
        "SELECT stage, count(*) FROM user_sessions WHERE account_id = :a GROUP BY stage",
        a=person.account_id,
    ) == [("authenticated", 1)]
    assert (
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'accounts:signin:complete' "
            "AND subject_account_id = :a",
            a=person.account_id,
        )
        == 1
    )


def _password_failures(seed: Seed, account_id: int) -> int:
    return int(
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'accounts:signin:password' "
            "AND outcome = 'failure' AND subject_account_id = :a",
            a=account_id,
        )
    )


def _events(seed: Seed, action: str, account_id: int) -> int:
    return int(
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = :action AND subject_account_id = :a",
            action=action,
            a=account_id,
        )
    )


def _alternating_attempts(
    server: IdpServer, browser: Browser, user_code: str, passwords: list[str]
) -> list[Reply]:
    """One sign-in attempt after the other, on worker A, B, A, B…

    Each attempt gets a connection pinned to its worker just before it is sent: connections
    pinned all at once beforehand may sit idle past gunicorn's keep-alive while the earlier
    attempts run (argon2 on a loaded machine), and their replacements reach either worker.
    """
    probe = server.pinned_connections(1, browser.client_ip)
    workers = [c.worker_pid for c in probe]
    close_all(probe)
    token = csrf_token(browser.get("/connexion").text)
    replies = []
    for index, password in enumerate(passwords):
        pid = workers[index % WORKERS]
        assert pid is not None
        with server.connection_to(pid, browser.client_ip) as connection:
            replies.append(
                browser.request(
                    "POST",
                    "/connexion",
                    {"user_code": user_code, "password": password, "csrf_token": token},
                    connection=connection,
                )
            )
    served = server.served([r.tag for r in replies])
    pids = [served[r.tag].pid for r in replies]
    assert len(set(pids)) == WORKERS, pids
    assert all(pids[i] != pids[i + 1] for i in range(len(pids) - 1)), pids
    return replies


def test_sign_in_delay_counts_failures_of_both_workers(idp_server: IdpServer, seed: Seed) -> None:
    """Default ``IDP_SIGNIN_ACCOUNT_DELAYS`` (3/minute): three failures, two on one worker and
    one on the other, and the fourth attempt waits, even with the right password."""
    person = seed.person("delay")
    browser = Browser(idp_server.port, new_ip())
    wrong = "Pas-le-bon-mot-de-passe"

    replies = _alternating_attempts(
        idp_server, browser, person.user_code, [wrong, wrong, wrong, person.password]
    )

    assert [r.status for r in replies] == [200, 200, 200, 200], [r.describe() for r in replies]
    assert _password_failures(seed, person.account_id) == 3
    assert _events(seed, "accounts:signin:throttle", person.account_id) == 1
    assert _events(seed, "accounts:signin:password", person.account_id) == 3, "no success"
    assert (
        seed.scalar("SELECT count(*) FROM user_sessions WHERE account_id = :a", a=person.account_id)
        == 0
    )


LOCK_AT = 10


@dataclass
class LockServer:
    server: IdpServer
    redis: TcpProxy


@pytest.fixture(scope="module")
def lock_server(prod_settings: Settings, seed: Seed, tmp_path_factory) -> Iterator[LockServer]:
    """A server whose only per-user-code limit is the lock (no delay tier in the way), reaching
    Redis through a proxy that can slow it down (as across a network: it widens the window in
    which simultaneous requests meet)."""
    flush_redis(prod_settings.redis_url)
    redis_url = urlsplit(prod_settings.redis_url)
    redis = TcpProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379).start()
    server = start_gunicorn(
        f"idp-lock-{WORKER or 'gw0'}",
        prod_settings.env(
            IDP_REDIS_URL=f"redis://127.0.0.1:{redis.port}{redis_url.path}",
            IDP_SIGNIN_ACCOUNT_DELAYS="1000/minute",
            IDP_SIGNIN_ACCOUNT_LOCK_FAILURES=f"{LOCK_AT}/30 minutes",
            IDP_SIGNIN_IP_DELAYS="1000/minute",
            IDP_SIGNIN_IP_LOCK_FAILURES="1000/hour",
        ),
        tmp_path_factory.mktemp("gunicorn-lock"),
    )
    yield LockServer(server, redis)
    server.stop()
    redis.stop()


def test_sign_in_lock_counts_failures_of_both_workers(lock_server: LockServer, seed: Seed) -> None:
    """Ten failures alternately on each worker lock the user code; the eleventh attempt, with
    the right password, is refused. Counted per worker, the lock would wait for twenty."""
    person = seed.person("lock")
    browser = Browser(lock_server.server.port, new_ip())
    wrong = "Pas-le-bon-mot-de-passe"

    replies = _alternating_attempts(
        lock_server.server, browser, person.user_code, [wrong] * LOCK_AT + [person.password]
    )

    assert all(r.status == 200 for r in replies), [r.describe() for r in replies]
    assert _password_failures(seed, person.account_id) == LOCK_AT
    assert _events(seed, "accounts:account:lock", person.account_id) == 1
    assert _events(seed, "accounts:signin:throttle", person.account_id) == 1
    assert (
        seed.scalar("SELECT count(*) FROM user_sessions WHERE account_id = :a", a=person.account_id)
        == 0
    )


BURST_ROUNDS = 4


def test_a_burst_of_wrong_passwords_checks_no_more_than_the_lock_count(
    lock_server: LockServer, seed: Seed
) -> None:
    """Twice the lock count of wrong passwords at once, on both workers, with Redis 20 ms away
    (as across a network): exactly the lock count are checked, the others are refused before
    any check, the user code is locked once (one ``accounts:account:lock`` event) and the right
    password is refused afterwards. Repeated for a few people, since whether requests meet at
    the same moment is a matter of timing.

    Each attempt reserves its place in the windows of Redis before its password is checked,
    so the count is exact whatever arrives at once (a check-then-count throttle let about one
    extra per request in flight through).
    """
    server = lock_server.server
    checked_per_round = []
    locks_per_round = []
    for round_number in range(BURST_ROUNDS):
        person = seed.person(f"burst{round_number}")
        browser = Browser(server.port, new_ip())
        token = csrf_token(browser.get("/connexion").text)
        form = {"user_code": person.user_code, "password": "Pas-le-bon", "csrf_token": token}
        connections = server.pinned_connections(LOCK_AT, browser.client_ip)
        lock_server.redis.latency = 0.02
        try:
            replies = on_each(
                connections,
                lambda c, b=browser, f=form: b.copy().request(
                    "POST", "/connexion", f, connection=c
                ),
            )
        finally:
            lock_server.redis.latency = 0
            close_all(connections)
        assert_both_workers(server, replies)
        assert all(r.status == 200 for r in replies), [r.describe() for r in replies]

        right = {**form, "password": person.password}
        after = browser.request("POST", "/connexion", right)
        assert after.status == 200, after.describe()
        checked = _password_failures(seed, person.account_id)
        throttled = _events(seed, "accounts:signin:throttle", person.account_id)
        assert checked + throttled == 2 * LOCK_AT + 1
        checked_per_round.append(checked)
        locks_per_round.append(_events(seed, "accounts:account:lock", person.account_id))
    assert checked_per_round == [LOCK_AT] * BURST_ROUNDS, checked_per_round
    assert locks_per_round == [1] * BURST_ROUNDS, locks_per_round


BURST_ADDRESSES = 20
DEFAULT_DELAY_TIER = 3  # IDP_SIGNIN_ACCOUNT_DELAYS, 3/minute


def test_a_burst_from_many_addresses_checks_no_more_than_the_delay_tier(
    idp_server: IdpServer, seed: Seed
) -> None:
    """Twenty password posts for one user code from twenty addresses at once, the right one
    among them, on both workers with the default settings: no more than three wrong passwords
    are checked (the first delay tier), the others wait without a check; the right password
    succeeds only if it was among those checked (a right guess gives its place back)."""
    person = seed.person("addresses")
    browsers = [Browser(idp_server.port, new_ip()) for _ in range(BURST_ADDRESSES)]
    tokens = [csrf_token(b.get("/connexion").text) for b in browsers]
    passwords = ["Pas-le-bon"] * (BURST_ADDRESSES - 1) + [person.password]
    per_worker = BURST_ADDRESSES // WORKERS
    connections = idp_server.pinned_connections(per_worker, browsers[0].client_ip)
    for connection, browser in zip(connections, browsers, strict=True):
        connection.from_address(browser.client_ip)
    try:
        replies = fire_together(
            [
                lambda i=i: browsers[i].request(
                    "POST",
                    "/connexion",
                    {"user_code": person.user_code, "password": passwords[i]}
                    | {"csrf_token": tokens[i]},
                    connection=connections[i],
                )
                for i in range(BURST_ADDRESSES)
            ]
        )
    finally:
        close_all(connections)
    assert_both_workers(idp_server, replies)
    failures = _password_failures(seed, person.account_id)
    successes = int(
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'accounts:signin:password' "
            "AND outcome = 'success' AND subject_account_id = :a",
            a=person.account_id,
        )
    )
    throttled = _events(seed, "accounts:signin:throttle", person.account_id)
    assert failures <= DEFAULT_DELAY_TIER, failures
    assert successes <= 1
    assert failures + successes + throttled == BURST_ADDRESSES
    assert sum(1 for r in replies if r.status == 302) == successes


ANSWERS_PER_SIGN_IN = 3  # IDP_CITIZEN_SECURITY_QUESTION_ATTEMPTS
ANSWER_RACERS = 16


def test_simultaneous_security_answers_are_checked_no_more_than_the_limit(
    idp_server: IdpServer, seed: Seed
) -> None:
    """Sixteen answers to a citizen's security question at once, in one pending sign-in, on
    both workers: at most three are checked, then the pending sign-in ends."""
    citizen = seed.citizen("answers")
    browser = Browser(idp_server.port, new_ip())
    page = browser.get("/citoyens/connexion")
    browser.follow(browser.submit(page, user_code=citizen.user_code))
    page = browser.get("/citoyens/connexion/mot-de-passe")
    sent = browser.submit(page, password=TEST_PASSWORD)
    assert sent.status == 302, sent.describe()
    token = csrf_token(browser.get("/citoyens/connexion/question").text)
    form = {"answer": "Pas la bonne réponse", "csrf_token": token}
    connections = idp_server.pinned_connections(ANSWER_RACERS // WORKERS, browser.client_ip)
    try:
        replies = on_each(
            connections,
            lambda c: browser.copy().request(
                "POST", "/citoyens/connexion/question", form, connection=c
            ),
        )
    finally:
        close_all(connections)
    assert_both_workers(idp_server, replies)
    checked = int(
        seed.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'citizens:signin:question' "
            "AND outcome = 'failure' AND subject_account_id = :a",
            a=citizen.account_id,
        )
    )
    assert 0 < checked <= ANSWERS_PER_SIGN_IN, checked
    ended = seed.scalar(
        "SELECT end_reason FROM user_sessions WHERE account_id = :a", a=citizen.account_id
    )
    assert ended == "security_question_failed"


def test_back_channel_rate_limit_counts_requests_of_both_workers(idp_server: IdpServer) -> None:
    """``/oidc/token`` allows 300 requests a minute per client address (Flask-Limiter, Redis):
    a back-end sending more over both workers gets 429 for every request past 300, not 600."""
    allowed = int(BACK_CHANNEL_LIMIT.split("/")[0])
    extra = 40
    connections = idp_server.pinned_connections(8, new_ip())
    wrong_secret = basic_auth("prod-batch", "not-the-secret")

    def send_share(connection: Connection) -> list[Reply]:
        index = connections.index(connection)
        return [
            connection.request(
                "POST",
                flows.TOKEN_PATH,
                form={"grant_type": "client_credentials"},
                headers=wrong_secret,
            )
            for _ in range(index, allowed + extra, len(connections))
        ]

    try:
        shares = on_each(connections, send_share)
    finally:
        close_all(connections)
    replies = [reply for share in shares for reply in share]
    assert len(replies) == allowed + extra
    assert_both_workers(idp_server, replies)
    assert statuses(replies) == {401: allowed, 429: extra}, statuses(replies)


# -- SAML ------------------------------------------------------------------------------------------


def test_a_saml_authn_request_is_accepted_once(
    idp_server: IdpServer, seed: Seed, prod_settings: Settings
) -> None:
    request_id = f"_{uuid.uuid4().hex}"
    encoded = flows.signed_authn_request(prod_settings.saml_sp.directory, request_id)
    form = {"SAMLRequest": encoded, "RelayState": "rs-race"}
    refusals = (
        "SELECT count(*) FROM audit_events WHERE action = 'saml:request:refuse' "
        "AND details->>'reason' = 'replayed_request'"
    )
    refused_before = seed.scalar(refusals)

    replies = race(idp_server, new_ip(), lambda c: c.request("POST", "/saml/sso", form=form))

    assert statuses(replies) == {302: 1, 400: RACERS - 1}, [r.describe() for r in replies]
    accepted = next(r for r in replies if r.status == 302)
    assert (provider_path(accepted.location) or "").startswith("/saml/sso/")
    assert all("replayed_request" in r.text for r in replies if r.status == 400)
    assert (
        seed.scalar("SELECT count(*) FROM saml_requests WHERE request_id = :r", r=request_id) == 1
    )
    assert seed.scalar(refusals) - refused_before == RACERS - 1
