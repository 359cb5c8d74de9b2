"""The messages the provider posts, written once in French and in English."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction
from idp.db_types import DbSession
from idp.enterprises.models import Enterprise
from idp.errors import ConflictError, NotFoundError
from idp.mailbox.models import MailboxMessage, MessageKind
from idp.mailbox.services import post_message
from idp.ministries.models import MinistryRegistration, RegistrationStatus
from idp.ministries.queries import registration_at_ministry_by_neq
from idp.names import OrganisationName, capfirst, sentence
from idp.proxies.models import Proxy
from idp.runtime import Runtime


def esms_of(session: DbSession, enterprise_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(
                Account.enterprise_id == enterprise_id,
                Account.role == AccountRole.ESM,
                Account.status == AccountStatus.ACTIVE,
            )
        )
    )


def notify_registration_decided(
    session: DbSession, runtime: Runtime, registration: MinistryRegistration
) -> None:
    ministry = runtime.catalogue.ministry(registration.ministry_key)
    name = ministry.sentence_name if ministry else OrganisationName.bare(registration.ministry_key)
    name_fr, name_en = (ministry.name_fr, ministry.name_en) if ministry else (name.fr, name.en)
    if registration.status == RegistrationStatus.ACTIVE:
        subject = (f"Inscription activée : {name_fr}", f"Registration activated: {name_en}")
        body = (
            f"Votre entreprise est maintenant inscrite aux services en ligne {name.de('fr')}. "
            f"Vous pouvez créer des procurations pour ce ministère.",
            f"Your enterprise is now registered for the online services {name.de('en')}. You "
            f"may create proxies for this ministry.",
        )
    else:
        reason = registration.decision_reason or ""
        reason = sentence(reason) if reason else reason
        subject = (f"Inscription refusée : {name_fr}", f"Registration refused: {name_en}")
        body = (
            f"Votre demande d'inscription aux services en ligne {name.de('fr')} a été refusée. "
            f"Motif : {reason}",
            f"Your registration for the online services {name.de('en')} was refused. "
            f"Reason: {reason}",
        )
    for esm in esms_of(session, registration.enterprise_id):
        post_message(
            session, runtime, esm.id, MessageKind.REGISTRATION_DECIDED, subject=subject, body=body
        )


def notify_registration_withdrawn(
    session: DbSession, runtime: Runtime, registration: MinistryRegistration
) -> None:
    """The ministry withdrew the enterprise's registration: tell its ESMs why, and what follows."""
    ministry = runtime.catalogue.ministry(registration.ministry_key)
    name = ministry.sentence_name if ministry else OrganisationName.bare(registration.ministry_key)
    name_fr, name_en = (ministry.name_fr, ministry.name_en) if ministry else (name.fr, name.en)
    reason = registration.decision_reason or ""
    reason = sentence(reason) if reason else reason
    subject = (f"Inscription retirée : {name_fr}", f"Registration withdrawn: {name_en}")
    body = (
        f"{capfirst(name.le('fr'))} a retiré l'inscription de votre entreprise à ses services "
        f"en ligne. Motif : {reason}\n\nLes procurations ne donnent plus aucun droit auprès "
        f"{name.de('fr')}. Vous pouvez demander la réactivation de l'inscription à la page "
        f"« Services en ligne ».",
        f"{capfirst(name.le('en'))} withdrew your enterprise's registration for its online "
        f"services. Reason: {reason}\n\nProxies no longer give any right there. You may ask "
        f"for the registration again on the « Online services » page.",
    )
    for esm in esms_of(session, registration.enterprise_id):
        post_message(
            session, runtime, esm.id, MessageKind.REGISTRATION_WITHDRAWN, subject=subject, body=body
        )


def notify_proxy_received(
    session: DbSession, runtime: Runtime, proxy: Proxy, agent: Enterprise
) -> None:
    mandator = proxy.enterprise.sentence_name
    subject = (f"Procuration reçue {mandator.de('fr')}", f"Proxy received from {mandator.le('en')}")
    body = (
        f"{capfirst(mandator.le('fr'))} (NEQ {proxy.enterprise.neq}) a donné une procuration à "
        f"votre entreprise, valide jusqu'au {proxy.ends_on.isoformat()}. Vous pouvez "
        f"l'attribuer à vos utilisateurs dans la liste des procurations reçues.",
        f"{capfirst(mandator.le('en'))} (NEQ {proxy.enterprise.neq}) gave your enterprise a "
        f"proxy, valid until "
        f"{proxy.ends_on.isoformat()}. You may assign it to your users from the list of "
        f"proxies received.",
    )
    for esm in esms_of(session, agent.id):
        post_message(
            session, runtime, esm.id, MessageKind.PROXY_RECEIVED, subject=subject, body=body
        )


def notify_proxy_assigned(
    session: DbSession, runtime: Runtime, proxy: Proxy, account_id: int
) -> None:
    """The holder's notice: what they may now do, for whom, until when."""
    mandator = proxy.enterprise.sentence_name
    subject = (f"Procuration attribuée {mandator.de('fr')}", f"Proxy from {mandator.le('en')}")
    body = (
        f"Une procuration {mandator.de('fr')} vous a été attribuée : « {proxy.description} », "
        f"valide jusqu'au {proxy.ends_on.isoformat()}. Ses droits s'appliquent à votre prochaine "
        f"connexion aux services en ligne des ministères qu'elle vise.",
        f"A proxy from {mandator.le('en')} was assigned to you: « {proxy.description} », valid "
        f"until {proxy.ends_on.isoformat()}. Its rights apply at your next sign-in to the online "
        f"services of the ministries it covers.",
    )
    post_message(
        session, runtime, account_id, MessageKind.PROXY_ASSIGNED, subject=subject, body=body
    )


def notify_proxy_withdrawn(
    session: DbSession, runtime: Runtime, proxy: Proxy, account_id: int
) -> None:
    """The former holder's notice: the rights are gone, and the sites were told."""
    mandator = proxy.enterprise.sentence_name
    subject = (
        f"Procuration retirée {mandator.de('fr')}",
        f"Proxy from {mandator.le('en')} withdrawn",
    )
    body = (
        f"La procuration « {proxy.description} » {mandator.de('fr')} vous a été retirée. Ses "
        f"droits ont pris fin; les services en ligne où vous étiez connecté en ont été avisés.",
        f"The proxy « {proxy.description} » from {mandator.le('en')} was withdrawn from you. Its "
        f"rights have ended; the online services you were signed in to were told.",
    )
    post_message(
        session, runtime, account_id, MessageKind.PROXY_WITHDRAWN, subject=subject, body=body
    )


def notify_proxy_changed(
    session: DbSession, runtime: Runtime, proxy: Proxy, holder_ids: Sequence[int]
) -> None:
    """The rights of a proxy were edited: its holders, and for an external proxy the agent's
    ESMs (who chose whom to give it to), are told what it gives now."""
    mandator = proxy.enterprise.sentence_name
    subject = (
        f"Procuration modifiée {mandator.de('fr')}",
        f"Proxy from {mandator.le('en')} changed",
    )
    body = (
        f"{capfirst(mandator.le('fr'))} a modifié les droits de la procuration « "
        f"{proxy.description} ». Les droits retirés ont pris fin aussitôt; les services en "
        f"ligne où ils servaient en ont été avisés. Les droits ajoutés s'appliquent à la "
        f"prochaine connexion. Le détail de la procuration est dans la liste des procurations.",
        f"{capfirst(mandator.le('en'))} changed the rights of the proxy « {proxy.description} ». "
        f"Rights taken away ended at once; the online services where they were used were told. "
        f"Rights added apply at the next sign-in. The proxy's details are in the list of "
        f"proxies.",
    )
    recipients = list(holder_ids)
    if proxy.agent_enterprise_id is not None:
        recipients += [esm.id for esm in esms_of(session, proxy.agent_enterprise_id)]
    for account_id in dict.fromkeys(recipients):
        post_message(
            session, runtime, account_id, MessageKind.PROXY_CHANGED, subject=subject, body=body
        )


def notify_proxy_expiring(
    session: DbSession, runtime: Runtime, proxy: Proxy, account: Account, days: int
) -> MailboxMessage | None:
    mandator = proxy.enterprise.sentence_name
    subject = (
        f"Procuration bientôt expirée ({proxy.ends_on.isoformat()})",
        f"Proxy expiring soon ({proxy.ends_on.isoformat()})",
    )
    body = (
        f"La procuration « {proxy.description} » {mandator.de('fr')} expire le "
        f"{proxy.ends_on.isoformat()}, dans {days} jours au plus. Le responsable des services "
        f"électroniques peut en reporter la date de fin.",
        f"The proxy « {proxy.description} » {mandator.de('en')} expires on "
        f"{proxy.ends_on.isoformat()}, in {days} days at most. The electronic services manager "
        f"may move its end date.",
    )
    key = f"proxy-expiring:{proxy.id}:{proxy.ends_on.isoformat()}:{days}:{account.id}"
    return post_message(
        session,
        runtime,
        account.id,
        MessageKind.PROXY_EXPIRING,
        subject=subject,
        body=body,
        dedupe_key=key,
    )


def notify_inactivity(
    session: DbSession, runtime: Runtime, account: Account, cancel_on: date, days: int
) -> MailboxMessage | None:
    subject = (
        "Votre compte sera annulé pour inactivité",
        "Your account will be cancelled for inactivity",
    )
    body = (
        f"Votre compte {account.user_code} n'a pas servi depuis près de 24 mois. Il sera annulé "
        f"le {cancel_on.isoformat()} si vous ne vous connectez pas d'ici là.",
        f"Your account {account.user_code} has not been used for almost 24 months. It will be "
        f"cancelled on {cancel_on.isoformat()} unless you sign in before then.",
    )
    key = f"inactivity:{account.id}:{cancel_on.isoformat()}:{days}"
    return post_message(
        session,
        runtime,
        account.id,
        MessageKind.ACCOUNT_INACTIVITY,
        subject=subject,
        body=body,
        dedupe_key=key,
    )


_ENTERPRISE_STATUS_KINDS = {
    "suspended": MessageKind.ENTERPRISE_SUSPENDED,
    "active": MessageKind.ENTERPRISE_REACTIVATED,
    "cancelled": MessageKind.ENTERPRISE_CANCELLED,
}


def notify_enterprise_status(session: DbSession, runtime: Runtime, enterprise: Enterprise) -> None:
    """A provider operator suspended, reactivated or cancelled the enterprise: its ESMs know."""
    kind = _ENTERPRISE_STATUS_KINDS.get(str(enterprise.status))
    if kind is None:
        return
    # Subjects hold 200 characters; a legal name may have as many.
    name, reason = enterprise.legal_name[:150], enterprise.status_reason or ""
    if kind is MessageKind.ENTERPRISE_SUSPENDED:
        subject = (f"Entreprise suspendue : {name}", f"Enterprise suspended: {name}")
        body = (
            f"{name} (NEQ {enterprise.neq}) est suspendue à clicSÉQUR. Ses utilisateurs peuvent "
            f"se connecter, mais n'ont plus accès aux services en ligne des ministères jusqu'à "
            f"sa réactivation. Motif : {reason}",
            f"{name} (NEQ {enterprise.neq}) is suspended at clicSÉQUR. Its users may sign in, "
            f"but have no access to the ministries' online services until it is reactivated. "
            f"Reason: {reason}",
        )
    elif kind is MessageKind.ENTERPRISE_REACTIVATED:
        subject = (f"Entreprise réactivée : {name}", f"Enterprise reactivated: {name}")
        body = (
            f"{name} (NEQ {enterprise.neq}) est réactivée à clicSÉQUR. Ses utilisateurs "
            f"retrouvent l'accès aux services en ligne selon leurs procurations.",
            f"{name} (NEQ {enterprise.neq}) is reactivated at clicSÉQUR. Its users have access "
            f"to the online services again, according to their proxies.",
        )
    else:
        subject = (f"Inscription annulée : {name}", f"Registration cancelled: {name}")
        body = (
            f"L'inscription de {name} (NEQ {enterprise.neq}) à clicSÉQUR est annulée, pour de "
            f"bon. Ses utilisateurs n'ont plus accès aux services en ligne. Motif : {reason}",
            f"The registration of {name} (NEQ {enterprise.neq}) with clicSÉQUR is cancelled, "
            f"for good. Its users no longer have access to the online services. "
            f"Reason: {reason}",
        )
    for esm in esms_of(session, enterprise.id):
        post_message(session, runtime, esm.id, kind, subject=subject, body=body)


def post_ministry_message(
    session: DbSession,
    runtime: Runtime,
    *,
    ministry_key: str,
    neq: str,
    subject: tuple[str, str],
    body: tuple[str, str],
    api_client: str,
    client: ClientInfo | None = None,
) -> tuple[Enterprise, list[MailboxMessage]]:
    """A ministry writes (French, English) to the mailbox of an enterprise that asked it for its
    services: each of its active ESMs receives the message, signed with the ministry's name.

    An enterprise that never asked this ministry is not found: a ministry writes only to those
    that deal with it. Audited with the ministry and the back-end that wrote.
    """
    registration = registration_at_ministry_by_neq(session, ministry_key, neq)
    if registration is None:
        raise NotFoundError()
    enterprise = registration.enterprise
    recipients = esms_of(session, enterprise.id)
    if not recipients:
        raise ConflictError()
    ministry = runtime.catalogue.ministry(ministry_key)
    name_fr, name_en = (ministry.name_fr, ministry.name_en) if ministry else (ministry_key,) * 2
    signed = (f"{body[0]}\n\n{name_fr}", f"{body[1]}\n\n{name_en}")
    messages = []
    for esm in recipients:
        message = post_message(
            session, runtime, esm.id, MessageKind.MINISTRY_MESSAGE, subject=subject, body=signed
        )
        if message is not None:
            messages.append(message)
    record(
        session,
        runtime.clock,
        AuditAction.MAILBOX_MESSAGE_POST,
        client=client,
        enterprise_id=enterprise.id,
        ministry=ministry_key,
        api_client=api_client,
        recipients=len(messages),
    )
    return enterprise, messages
