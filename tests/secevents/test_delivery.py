"""The outbox: sent once, retried with back-off, given up when the site refuses the SET or after
MAX_ATTEMPTS, and sent by the scheduler when no response carried it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import select

from idp.audit.models import AuditEvent
from idp.events import RightsChanged, publish
from idp.extensions import db
from idp.scheduler import build_scheduler, outbox_job, start_demo_retries
from idp.secevents.delivery import FIRST_RETRY, MAX_ATTEMPTS, deliver_pending
from idp.secevents.models import SecurityEventDelivery
from tests.oidc.test_logout import sign_in_to
from tests.secevents.conftest import IQEA_EVENTS


def queued_for_the_esm(browser, esm, client_secrets, runtime, world) -> SecurityEventDelivery:
    """An event queued outside a request (a script, a job): nothing sent it yet."""
    sign_in_to(browser, esm, client_secrets, "iqea")
    publish(db.session, runtime, RightsChanged((world.esm.id,)))
    db.session.commit()
    [row] = db.session.scalars(select(SecurityEventDelivery)).all()
    assert (row.attempts, row.delivered_at) == (0, None)
    return row


def tries(receivers) -> int:
    return sum(1 for call in receivers.calls if call.request.url == IQEA_EVENTS)


@pytest.fixture
def esm(world):
    from tests.conftest import TEST_PASSWORD, Person

    return Person(world.esm, TEST_PASSWORD)


def test_the_scheduler_sends_what_no_response_carried(
    app, browser, esm, client_secrets, receivers, runtime, world
):
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    outbox_job(app)()
    db.session.expire_all()
    assert row.delivered_at is not None
    assert tries(receivers) == 1
    outbox_job(app)()  # nothing is sent twice
    assert tries(receivers) == 1


def test_a_site_that_fails_is_tried_again_later_with_back_off(
    browser, esm, client_secrets, receivers, runtime, world, clock
):
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    receivers.replace(responses.POST, IQEA_EVENTS, status=503)

    deliver_pending(db.session, runtime)
    assert (row.attempts, row.last_error) == (1, "HTTP 503")
    assert row.next_attempt_at == clock.now + FIRST_RETRY
    deliver_pending(db.session, runtime)  # not due yet
    assert tries(receivers) == 1

    clock.advance(seconds=FIRST_RETRY.total_seconds())
    receivers.replace(responses.POST, IQEA_EVENTS, body=requests.ConnectionError("refused"))
    deliver_pending(db.session, runtime)
    assert (row.attempts, row.last_error) == (2, "ConnectionError")
    assert row.next_attempt_at == clock.now + 2 * FIRST_RETRY

    clock.advance(seconds=2 * FIRST_RETRY.total_seconds())
    receivers.replace(responses.POST, IQEA_EVENTS, status=202)
    deliver_pending(db.session, runtime)
    assert row.delivered_at == clock.now
    assert row.last_error is None


def test_a_set_the_site_refuses_is_given_up_and_audited(
    browser, esm, client_secrets, receivers, runtime, world, clock
):
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    receivers.replace(responses.POST, IQEA_EVENTS, status=400, json={"err": "invalid_audience"})
    deliver_pending(db.session, runtime)
    assert (row.next_attempt_at, row.last_error) == (None, "HTTP 400 invalid_audience")
    clock.advance(days=1)
    deliver_pending(db.session, runtime)
    assert tries(receivers) == 1
    [audit] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "oidc:secevent:push")
    ).all()
    assert audit.outcome == "failure"
    assert audit.details["detail"] == "HTTP 400 invalid_audience"


def test_a_site_down_for_good_is_given_up_after_the_last_attempt(
    browser, esm, client_secrets, receivers, runtime, world, clock
):
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    receivers.replace(responses.POST, IQEA_EVENTS, status=500)
    for _ in range(MAX_ATTEMPTS):
        deliver_pending(db.session, runtime)
        clock.advance(hours=5)
    assert tries(receivers) == MAX_ATTEMPTS
    assert (row.attempts, row.next_attempt_at, row.delivered_at) == (MAX_ATTEMPTS, None, None)
    deliver_pending(db.session, runtime)
    assert tries(receivers) == MAX_ATTEMPTS


def test_no_wait_is_longer_than_four_hours(
    browser, esm, client_secrets, receivers, runtime, world, clock
):
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    receivers.replace(responses.POST, IQEA_EVENTS, status=500)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        deliver_pending(db.session, runtime)
        waits.append(row.next_attempt_at - clock.now)
        clock.advance(hours=5)
    assert waits == sorted(waits)
    assert max(waits) == timedelta(hours=4)


def test_the_scheduler_runs_both_jobs_on_their_intervals(app):
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    settings = app.extensions["idp.runtime"].settings
    assert jobs["lifecycle"].trigger.interval == timedelta(
        seconds=settings.scheduler_lifecycle_seconds
    )
    assert jobs["security-events"].trigger.interval == timedelta(
        seconds=settings.scheduler_outbox_seconds
    )
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_the_demos_retries_leave_first_tries_to_the_responses(
    app, browser, esm, client_secrets, receivers, runtime, world, clock
):
    """SQLite locks no row: the demo's in-process job must not race a response's first try."""
    row = queued_for_the_esm(browser, esm, client_secrets, runtime, world)
    outbox_job(app, retries_only=True)()
    assert tries(receivers) == 0

    receivers.replace(responses.POST, IQEA_EVENTS, status=503)
    deliver_pending(db.session, runtime, {row.id})  # the response's first try fails
    clock.advance(seconds=FIRST_RETRY.total_seconds())
    receivers.replace(responses.POST, IQEA_EVENTS, status=202)
    outbox_job(app, retries_only=True)()

    db.session.expire_all()
    assert (row.attempts, tries(receivers)) == (2, 2)
    assert row.delivered_at is not None


def test_the_demo_server_retries_on_the_outbox_interval(app):
    scheduler = start_demo_retries(app)
    try:
        [job] = scheduler.get_jobs()
        settings = app.extensions["idp.runtime"].settings
        assert job.trigger.interval == timedelta(seconds=settings.scheduler_outbox_seconds)
        assert (job.max_instances, job.coalesce) == (1, True)
    finally:
        scheduler.shutdown(wait=False)
