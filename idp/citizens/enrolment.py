"""Creating a citizen account: identity, image and phrase, questions, password, emailed link.

The steps are kept in a :class:`CitizenEnrolment` row, found by a token the wizard's browser
holds. The account only comes into being when the emailed link is opened and confirmed (a
``POST``: mail scanners that follow links must not activate anything), so an abandoned or
mistyped enrolment leaves no account behind.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from idp.accounts.models import Account, AccountRole, AccountStatus
from idp.accounts.password_policy import check_password
from idp.accounts.services import normalize_email, unused_user_code
from idp.audit.services import ClientInfo, record
from idp.audit.tags import AuditAction, Outcome
from idp.citizens import catalogue
from idp.citizens.mail import citizen_message, local_time
from idp.citizens.models import CitizenEnrolment, CitizenProfile, SecurityAnswer
from idp.citizens.sin import sin_digits, sin_hash
from idp.citizens.taxpayers import RegistryUnavailableError, TaxpayerFacts
from idp.citizens.throttle import IdentityCheckThrottle
from idp.db_types import DbSession
from idp.errors import (
    AlreadyEnrolledError,
    IdentityNotConfirmedError,
    NotFoundError,
    ServiceUnavailableError,
    ThrottledError,
    ValidationError,
)
from idp.runtime import Runtime

ACCESS_CODE_DIGITS = 6
NOTICE_NUMBER_LENGTH = 11
STEPS = ("identity", "image", "questions", "password")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IdentityStep:
    sin: str
    access_code: str
    notice_number: str
    given_name: str
    family_name: str
    email: str

    def __repr__(self) -> str:
        return "IdentityStep(<redacted>)"


def _facts(step: IdentityStep) -> tuple[TaxpayerFacts, str]:
    """Check the form of each fact (these messages may name the field: they reveal nothing)."""
    digits = sin_digits(step.sin)
    if digits is None:
        raise ValidationError(
            _l("Enter the 9 digits of your social insurance number, as on your card."),
            field="sin",
        )
    access_code = "".join(step.access_code.split())
    if len(access_code) != ACCESS_CODE_DIGITS or not access_code.isdigit():
        raise ValidationError(
            _l("The Revenu Québec access code has 6 digits."), field="access_code"
        )
    notice = "".join(step.notice_number.split()).upper()
    if len(notice) != NOTICE_NUMBER_LENGTH or not (notice.isascii() and notice.isalnum()):
        raise ValidationError(
            _l("The notice of assessment number has 11 letters or digits."),
            field="notice_number",
        )
    given, family = step.given_name.strip(), step.family_name.strip()
    if not given:
        raise ValidationError(_l("Enter your first name."), field="given_name")
    if not family:
        raise ValidationError(_l("Enter your last name."), field="family_name")
    facts = TaxpayerFacts(digits, access_code, notice, given[:100], family[:100])
    return facts, digits


def start_enrolment(
    session: DbSession,
    runtime: Runtime,
    step: IdentityStep,
    *,
    locale: str,
    next_url: str | None,
    client: ClientInfo,
) -> tuple[CitizenEnrolment, str]:
    """Check the person against the tax records; returns the enrolment and the wizard token."""
    facts, digits = _facts(step)
    try:
        email = normalize_email(step.email)
    except ValidationError as exc:
        exc.details["field"] = "email"
        raise
    hashed_sin = sin_hash(runtime.sin_key, digits)
    throttle = IdentityCheckThrottle(runtime.settings, runtime.throttle.storage)
    ip = client.ip or "unknown"
    retry_at = throttle.retry_at(ip, hashed_sin)
    if retry_at is not None:
        record(
            session,
            runtime.clock,
            AuditAction.CITIZEN_IDENTITY_CHECK,
            Outcome.DENIED,
            client=client,
            reason="throttled",
        )
        raise ThrottledError(retry_at=retry_at, scope="identity")
    try:
        matched = runtime.taxpayers.matches(facts)
    except RegistryUnavailableError as exc:
        record(
            session,
            runtime.clock,
            AuditAction.CITIZEN_IDENTITY_CHECK,
            Outcome.FAILURE,
            client=client,
            reason="registry_unavailable",
        )
        raise ServiceUnavailableError(
            _l(
                "Your identity cannot be checked right now: the verification service does not "
                "answer. Nothing was kept; please try again in a few minutes."
            )
        ) from exc
    if not matched:
        throttle.record_failure(ip, hashed_sin)
        record(
            session,
            runtime.clock,
            AuditAction.CITIZEN_IDENTITY_CHECK,
            Outcome.FAILURE,
            client=client,
            reason="no_match",
        )
        raise IdentityNotConfirmedError(
            _l(
                "We could not confirm your identity with this information. Check each field "
                "against your documents from Revenu Québec and try again."
            )
        )
    if _active_profile(session, hashed_sin) is not None:
        record(
            session,
            runtime.clock,
            AuditAction.CITIZEN_IDENTITY_CHECK,
            Outcome.DENIED,
            client=client,
            reason="already_enrolled",
        )
        raise AlreadyEnrolledError(
            _l(
                "A clicSÉQUR – Citizens account already exists for you. Sign in with its user "
                "code; if you closed it, it can no longer be used and a new one can be made "
                "once it is cancelled."
            )
        )
    # Starting again replaces any enrolment of the same person left half done.
    session.execute(delete(CitizenEnrolment).where(CitizenEnrolment.sin_hash == hashed_sin))
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    enrolment = CitizenEnrolment(
        token_hash=token_hash(token),
        sin_hash=hashed_sin,
        given_name=facts.given_name,
        family_name=facts.family_name,
        email=email,
        locale="en" if locale == "en" else "fr",
        next_url=next_url,
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.citizen_enrolment_seconds),
    )
    session.add(enrolment)
    session.flush()
    record(session, runtime.clock, AuditAction.CITIZEN_IDENTITY_CHECK, client=client)
    return enrolment, token


def _active_profile(session: DbSession, hashed_sin: str) -> CitizenProfile | None:
    return session.scalars(
        select(CitizenProfile).where(CitizenProfile.sin_hash == hashed_sin)
    ).one_or_none()


def find_enrolment(
    session: DbSession, runtime: Runtime, token: str | None
) -> CitizenEnrolment | None:
    """The enrolment of the wizard's token, while it is still in time."""
    if not token:
        return None
    enrolment = session.scalars(
        select(CitizenEnrolment).where(CitizenEnrolment.token_hash == token_hash(token))
    ).one_or_none()
    if enrolment is None or runtime.clock() >= enrolment.expires_at:
        return None
    return enrolment


def next_step(enrolment: CitizenEnrolment) -> str:
    """The first step still to do (``done`` once the confirmation link was sent)."""
    if not enrolment.image_key:
        return "image"
    if not enrolment.questions:
        return "questions"
    if not enrolment.password_hash:
        return "password"
    return "done"


def choose_image(enrolment: CitizenEnrolment, image_key: str, phrase: str) -> None:
    if catalogue.image(image_key) is None:
        raise ValidationError(_l("Choose one of the images."), field="image")
    phrase = " ".join((phrase or "").split())
    if len(phrase) < 3:
        raise ValidationError(
            _l("Write a personal phrase of at least 3 characters."), field="phrase"
        )
    if len(phrase) > catalogue.MAX_PHRASE_LENGTH:
        raise ValidationError(_l("The phrase has at most 100 characters."), field="phrase")
    enrolment.image_key = image_key
    enrolment.personal_phrase = phrase


def hashed_answers(runtime: Runtime, chosen: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Four different questions, each with an answer; answers normalised then hashed.

    Errors name the field ``question_N`` or ``answer_N`` (N from 1) of the first problem.
    """
    if len(chosen) != catalogue.QUESTIONS_PER_ACCOUNT:
        raise ValidationError(_l("Choose four questions."), field="question_1")
    seen: set[str] = set()
    normalized: list[tuple[str, str]] = []
    for number, (key, answer) in enumerate(chosen, start=1):
        if catalogue.question(key) is None:
            raise ValidationError(_l("Choose a question."), field=f"question_{number}")
        if key in seen:
            raise ValidationError(
                _l("Choose four different questions."), field=f"question_{number}"
            )
        seen.add(key)
        clean = catalogue.normalize_answer(answer)
        if len(clean) < catalogue.MIN_ANSWER_LENGTH:
            raise ValidationError(
                _l("Write an answer of at least 2 letters or digits."), field=f"answer_{number}"
            )
        if len(clean) > catalogue.MAX_ANSWER_LENGTH:
            raise ValidationError(
                _l("The answer has at most 100 characters."), field=f"answer_{number}"
            )
        normalized.append((key, clean))
    return [
        {"question": key, "answer_hash": runtime.hashing.hash(clean)} for key, clean in normalized
    ]


def choose_questions(
    runtime: Runtime, enrolment: CitizenEnrolment, chosen: list[tuple[str, str]]
) -> None:
    enrolment.questions = hashed_answers(runtime, chosen)


def choose_password(
    session: DbSession,
    runtime: Runtime,
    enrolment: CitizenEnrolment,
    password: str,
    *,
    base_url: str,
    client: ClientInfo,
) -> None:
    """Keep the password's hash and email the confirmation link (DeliveryError: roll back)."""
    settings = runtime.settings
    check_password(
        password,
        min_length=settings.password_min_length,
        max_length=settings.password_max_length,
        context=[enrolment.given_name, enrolment.family_name, enrolment.email.split("@")[0]],
    )
    enrolment.password_hash = runtime.hashing.hash(password)
    send_confirmation(session, runtime, enrolment, base_url=base_url, client=client)


def send_confirmation(
    session: DbSession,
    runtime: Runtime,
    enrolment: CitizenEnrolment,
    *,
    base_url: str,
    client: ClientInfo,
) -> None:
    """A new link (the previous one stops working) and more time to open it."""
    now = runtime.clock()
    link_token = secrets.token_urlsafe(32)
    enrolment.confirmation_hash = token_hash(link_token)
    enrolment.confirmation_sent_at = now
    enrolment.expires_at = now + timedelta(seconds=runtime.settings.citizen_link_seconds)
    session.flush()
    runtime.sender.send(
        citizen_message(
            "confirm",
            to=enrolment.email,
            locale=enrolment.locale,
            name=f"{enrolment.given_name} {enrolment.family_name}",
            link=f"{base_url}/citoyens/inscription/confirmer/{link_token}",
            expires=local_time(runtime, enrolment.expires_at, enrolment.locale),
        )
    )
    record(session, runtime.clock, AuditAction.CITIZEN_CONFIRMATION_SEND, client=client)


def find_by_link(session: DbSession, runtime: Runtime, link_token: str) -> CitizenEnrolment:
    enrolment = session.scalars(
        select(CitizenEnrolment).where(CitizenEnrolment.confirmation_hash == token_hash(link_token))
    ).one_or_none()
    if enrolment is None or runtime.clock() >= enrolment.expires_at:
        raise NotFoundError(
            _l(
                "This link is no longer valid: it was already used, replaced by a newer one, or "
                "it expired. If your account is not active yet, start the creation again."
            )
        )
    return enrolment


def confirm_enrolment(
    session: DbSession, runtime: Runtime, enrolment: CitizenEnrolment, *, client: ClientInfo
) -> Account:
    """Make the account from a complete enrolment; the enrolment is gone afterwards."""
    image_key, phrase = enrolment.image_key, enrolment.personal_phrase
    password_hash, questions = enrolment.password_hash, enrolment.questions
    if not (image_key and phrase and password_hash and questions):
        raise NotFoundError(_l("This account creation is not complete."))
    if _active_profile(session, enrolment.sin_hash) is not None:
        session.delete(enrolment)
        raise AlreadyEnrolledError(
            _l("A clicSÉQUR – Citizens account already exists for you. Sign in with its user code.")
        )
    details = CitizenDetails(
        user_code=unused_user_code(session, citizen=True),
        given_name=enrolment.given_name,
        family_name=enrolment.family_name,
        email=enrolment.email,
        locale=enrolment.locale,
        sin_hash=enrolment.sin_hash,
        image_key=image_key,
        personal_phrase=phrase,
    )
    # Claimed by deleting it: of two clicks on the link at once, one makes the account.
    claimed = session.execute(
        delete(CitizenEnrolment)
        .where(CitizenEnrolment.id == enrolment.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise NotFoundError(_l("This link was already used. Sign in with your user code."))
    session.expunge(enrolment)
    account = make_citizen_account(
        session, runtime, details, password_hash=password_hash, answers=list(questions)
    )
    record(
        session,
        runtime.clock,
        AuditAction.ACCOUNT_CREATE,
        client=client,
        actor_id=account.id,
        subject_id=account.id,
        role=str(AccountRole.CITIZEN),
    )
    return account


@dataclass(frozen=True)
class CitizenDetails:
    user_code: str
    given_name: str
    family_name: str
    email: str
    locale: str
    sin_hash: str
    image_key: str
    personal_phrase: str


def make_citizen_account(
    session: DbSession,
    runtime: Runtime,
    details: CitizenDetails,
    *,
    password_hash: str,
    answers: list[dict[str, Any]],
) -> Account:
    """The account, its profile and its four answers (already hashed)."""
    now = runtime.clock()
    account = Account(
        user_code=details.user_code,
        display_name=f"{details.given_name} {details.family_name}",
        first_name=details.given_name,
        last_name=details.family_name,
        email=details.email,
        password_hash=password_hash,
        status=AccountStatus.ACTIVE,
        must_change_password=False,
        created_at=now,
        role=AccountRole.CITIZEN,
    )
    session.add(account)
    session.flush()
    session.add(
        CitizenProfile(
            account_id=account.id,
            sin_hash=details.sin_hash,
            locale=details.locale,
            image_key=details.image_key,
            personal_phrase=details.personal_phrase,
            email_confirmed_at=now,
        )
    )
    for position, chosen in enumerate(answers):
        session.add(
            SecurityAnswer(
                account_id=account.id,
                position=position,
                question_key=chosen["question"],
                answer_hash=chosen["answer_hash"],
            )
        )
    session.flush()
    return account


def active_account_message(runtime: Runtime, account: Account, locale: str) -> EmailMessage:
    return citizen_message(
        "active",
        to=account.email,
        locale=locale,
        name=account.display_name,
        user_code=account.user_code,
    )
