"""``idp scheduler``: the provider's clock-driven work, in one long-running process.

Two jobs: the lifecycle (proxies that expired at midnight, reminders, inactivity, grants that
lost their basis, back-channel logouts to retry, audit checkpoints) every few minutes, so an
expiry reaches the sites minutes after it happens and not at the next daily cron; and the
security events outbox every few seconds (first tries that a response's close did not send,
and retries). APScheduler runs them: a job that overruns is not started twice, and missed
runs are merged into one.

The demo server runs only the outbox's retries, in its own process (:func:`start_demo_retries`).

Run exactly one scheduler per deployment (docs/deploy.md): the jobs are idempotent and the
outbox rows are locked while sent, so two would only do the work twice, not wrongly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from idp.audit.checkpoints import make_checkpoints
from idp.extensions import db
from idp.lifecycle import run_lifecycle
from idp.oidc.logout import deliver_pending as deliver_logouts
from idp.runtime import Runtime
from idp.secevents.delivery import deliver_pending as deliver_security_events

logger = logging.getLogger(__name__)


def lifecycle_job(app: Flask) -> Callable[[], None]:
    def job() -> None:
        with app.app_context():
            runtime: Runtime = app.extensions["idp.runtime"]
            try:
                report = run_lifecycle(db.session, runtime)
                db.session.commit()
                deliver_logouts(db.session, runtime)
                deliver_security_events(db.session, runtime)
                make_checkpoints(db.session, runtime.clock, runtime.keystore)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("lifecycle job failed; the next run tries again")
                return
            logger.info("lifecycle job done", extra={"lifecycle": vars(report)})

    return job


def outbox_job(app: Flask, *, retries_only: bool = False) -> Callable[[], None]:
    def job() -> None:
        with app.app_context():
            try:
                deliver_security_events(
                    db.session, app.extensions["idp.runtime"], retries_only=retries_only
                )
            except Exception:
                db.session.rollback()
                logger.exception("security events outbox failed; the next run tries again")

    return job


def start_demo_retries(app: Flask) -> BackgroundScheduler:
    """The demo server's outbox retries, in its own process (``idp demo start``).

    The first tries go as each response closes; a site that was down then (the demo sites
    start after the provider) is tried again here, on the outbox interval, without a separate
    ``idp scheduler``. Retries only: on SQLite nothing would stop this thread and a response
    from sending one event at the same time. Not the lifecycle: the demo's data does not age.
    """
    settings = app.extensions["idp.runtime"].settings
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    scheduler.add_job(
        outbox_job(app, retries_only=True),
        "interval",
        seconds=settings.scheduler_outbox_seconds,
        id="security-events-retries",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def build_scheduler(app: Flask) -> BlockingScheduler:
    settings = app.extensions["idp.runtime"].settings
    scheduler = BlockingScheduler(timezone="UTC")
    common = {"max_instances": 1, "coalesce": True}
    scheduler.add_job(
        lifecycle_job(app),
        "interval",
        seconds=settings.scheduler_lifecycle_seconds,
        id="lifecycle",
        **common,
    )
    scheduler.add_job(
        outbox_job(app),
        "interval",
        seconds=settings.scheduler_outbox_seconds,
        id="security-events",
        **common,
    )
    return scheduler
