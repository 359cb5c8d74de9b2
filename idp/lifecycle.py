"""The lifecycle run: inactivity cancellations, proxy expiry reminders, expiries recorded,
citizens' enrolments and address changes left unconfirmed removed, expired one-time artefacts
(authorization codes, tokens, emailed codes, client assertions, SAML requests, pushed
authorization requests) deleted.

``idp lifecycle run`` is idempotent and safe to run from cron many times a day: reminders carry
a key (see :mod:`idp.mailbox.notices`) so none is sent twice, and each expiry is recorded once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, select

from idp.accounts.models import Account, AccountStatus
from idp.accounts.sessions import EndReason, end_account_sessions
from idp.audit.services import record
from idp.audit.tags import AuditAction
from idp.citizens.account import forget_identity, remove_expired_links, warn_inactive_citizen
from idp.db_types import DbSession
from idp.errors import DeliveryError
from idp.events import RightsChanged, publish
from idp.mail.messages import account_message, send_notice
from idp.mailbox.models import MailboxMessage
from idp.mailbox.notices import esms_of, notify_inactivity, notify_proxy_expiring
from idp.mfa.models import OneTimeCode
from idp.oidc.models import (
    AuthorizationCode,
    IssuedToken,
    PushedAuthorizationRequest,
    UsedClientAssertion,
)
from idp.proxies.models import Proxy, ProxyAssignment, ProxyStatus
from idp.proxies.validity import add_years
from idp.runtime import Runtime
from idp.saml.models import SamlRequest

INACTIVITY_YEARS = 2
EXPIRED_RETENTION = timedelta(days=1)
# Rows that are dead once expired (citizens' enrolments and email changes have their own).
EXPIRING_ARTEFACTS = (
    AuthorizationCode,
    IssuedToken,
    UsedClientAssertion,
    OneTimeCode,
    SamlRequest,
    PushedAuthorizationRequest,
)
# Reminders go out this many days before the date; only the nearest threshold is sent.
REMINDER_DAYS = (30, 7)

logger = logging.getLogger(__name__)


@dataclass
class LifecycleReport:
    inactivity_warnings: int = 0
    accounts_cancelled: int = 0
    proxy_reminders: int = 0
    proxies_expired: int = 0
    grants_ended: int = 0
    enrolments_removed: int = 0
    expired_removed: int = 0


def run_lifecycle(session: DbSession, runtime: Runtime) -> LifecycleReport:
    """Do everything that is due today; doing it again changes nothing."""
    today = runtime.today()
    report = LifecycleReport()
    _inactive_accounts(session, runtime, today, report)
    _expiring_proxies(session, runtime, today, report)
    holders = _expired_proxies(session, runtime, today, report)
    report.enrolments_removed = remove_expired_links(session, runtime)
    report.expired_removed = _remove_expired_artefacts(session, runtime)
    # The holders of the proxies that expired: their sites are told what they now hold.
    ended = publish(session, runtime, RightsChanged(tuple(sorted(holders)))) if holders else 0
    # Expired proxies and registrations end the grants that stood on them.
    report.grants_ended = ended + publish(session, runtime, RightsChanged(None))
    return report


def _remove_expired_artefacts(session: DbSession, runtime: Runtime) -> int:
    """One-time artefacts a day past their expiry: nothing reads them any more (an expired code,
    token or request is refused on its date), and the tables would otherwise grow with every
    sign-in. The day covers the replay checks that look at them just past expiry (a nonce, an
    AuthnRequest ID within the clock skew)."""
    cutoff = runtime.clock() - EXPIRED_RETENTION
    removed = 0
    for model in EXPIRING_ARTEFACTS:
        result = session.execute(delete(model).where(model.expires_at < cutoff))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def cancellation_date(account: Account) -> date:
    """24 months after the last sign-in (or the creation, for an account never used)."""
    last_use = account.last_sign_in_at or account.created_at
    return add_years(last_use.date(), INACTIVITY_YEARS)


def _threshold(days_left: int) -> int | None:
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def _inactive_accounts(
    session: DbSession, runtime: Runtime, today: date, report: LifecycleReport
) -> None:
    accounts = session.scalars(select(Account).where(Account.status == AccountStatus.ACTIVE))
    for account in accounts:
        cancel_on = cancellation_date(account)
        if today >= cancel_on:
            account.status = AccountStatus.CANCELLED
            account.status_changed_at = runtime.clock()
            if account.is_citizen:
                forget_identity(session, account)
            end_account_sessions(session, runtime, account.id, EndReason.ACCOUNT_INACTIVE)
            record(
                session,
                runtime.clock,
                AuditAction.ACCOUNT_CANCEL,
                subject_id=account.id,
                enterprise_id=account.enterprise_id,
                reason="inactivity",
            )
            notice = account_message(
                session,
                runtime,
                account,
                "account_cancelled",
                times={"when": runtime.clock()},
                inactivity=True,
            )
            send_notice(runtime, notice)
            report.accounts_cancelled += 1
            continue
        threshold = _threshold((cancel_on - today).days)
        if threshold is None:
            continue
        message = notify_inactivity(session, runtime, account, cancel_on, threshold)
        if message is not None:
            if account.is_citizen:
                # Citizens have no mailbox page: the email, in their language, is the warning.
                warn_inactive_citizen(session, runtime, account, cancel_on)
            else:
                _email_copy(runtime, account, message)
            report.inactivity_warnings += 1


def _expiring_proxies(
    session: DbSession, runtime: Runtime, today: date, report: LifecycleReport
) -> None:
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    proxies = session.scalars(
        select(Proxy).where(
            Proxy.status == ProxyStatus.ACTIVE, Proxy.ends_on >= today, Proxy.ends_on <= horizon
        )
    )
    for proxy in proxies:
        threshold = _threshold((proxy.ends_on - today).days)
        if threshold is None:
            continue
        holders = session.scalars(
            select(Account)
            .join(ProxyAssignment, ProxyAssignment.account_id == Account.id)
            .where(ProxyAssignment.proxy_id == proxy.id, Account.status == AccountStatus.ACTIVE)
        ).all()
        recipients = {a.id: a for a in [*esms_of(session, proxy.enterprise_id), *holders]}
        for account in recipients.values():
            if notify_proxy_expiring(session, runtime, proxy, account, threshold) is not None:
                report.proxy_reminders += 1


def _expired_proxies(
    session: DbSession, runtime: Runtime, today: date, report: LifecycleReport
) -> set[int]:
    """Record each proxy that ended before today, once; returns the accounts that held them."""
    holders: set[int] = set()
    expired = session.scalars(
        select(Proxy).where(
            Proxy.status == ProxyStatus.ACTIVE,
            Proxy.ends_on < today,
            Proxy.expiry_recorded_at.is_(None),
        )
    )
    for proxy in expired:
        # The proxy granted nothing from the day after its end date already (rights are
        # computed at each request); this records the fact once for the history.
        proxy.expiry_recorded_at = runtime.clock()
        record(
            session,
            runtime.clock,
            AuditAction.PROXY_EXPIRE,
            enterprise_id=proxy.enterprise_id,
            proxy_id=proxy.id,
            ends_on=proxy.ends_on.isoformat(),
        )
        report.proxies_expired += 1
        holders.update(
            session.scalars(
                select(ProxyAssignment.account_id).where(ProxyAssignment.proxy_id == proxy.id)
            )
        )
    return holders


def _email_copy(runtime: Runtime, account: Account, message: MailboxMessage) -> None:
    """The warning also goes by email; the mailbox keeps it if the email cannot be sent."""
    email = EmailMessage()
    email["To"] = account.email
    email["Subject"] = f"{message.subject_fr} / {message.subject_en}"
    email.set_content(f"{message.body_fr}\n\n---\n\n{message.body_en}\n")
    try:
        runtime.sender.send(email)
    except DeliveryError:
        logger.warning("inactivity warning email not sent", extra={"account": account.id})
