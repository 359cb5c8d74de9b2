"""Citizens' portal fixtures: fictional taxpayers, a browser through the wizard and sign-in.

``taxpayers`` is the file registry the app reads (written per test, so nothing depends on the
demo's file); :class:`CitizenBrowser` drives the pages as a person does, CSRF tokens included;
``citizen`` is an account made directly, with four known answers.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from idp.accounts.models import Account, SessionStage, UserSession
from idp.citizens import catalogue
from idp.citizens.enrolment import CitizenDetails, hashed_answers, make_citizen_account
from idp.citizens.sin import sin_hash
from idp.extensions import db
from idp.runtime import Runtime
from tests.conftest import TEST_PASSWORD, SmtpCapture, accept_conditions, csrf_token


@dataclass(frozen=True)
class Taxpayer:
    sin: str
    access_code: str
    notice_number: str
    given_name: str
    family_name: str
    email: str

    def form(self, **changes: str) -> dict[str, str]:
        fields = {
            "sin": self.sin,
            "access_code": self.access_code,
            "notice_number": self.notice_number,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.email,
        }
        return {**fields, **changes}


# Luhn-valid numbers of the never-assigned 0 series; the SIN is written with spaces on purpose.
AMELIE = Taxpayer(
    "090 786 666", "176031", "P4LHXDGAKGZ", "Amélie", "Bouchard", "amelie@example.com"
)
OLIVIER = Taxpayer("071803340", "187801", "4W88NT4868R", "Olivier", "Lavoie", "olivier@example.com")
NOBODY = Taxpayer("046454286", "123456", "ABCDE123456", "Personne", "Inconnue", "x@example.com")

ANSWERS = (
    ("first_school", "École Saint-Jean"),
    ("first_pet", "Caramel"),
    ("childhood_street", "Rue des Érables"),
    ("grandmother_name", "Yvette"),
)
IMAGE, PHRASE = "harfang", "Le fleuve est calme ce matin"


@pytest.fixture
def taxpayers_file(tmp_path: Path) -> Path:
    path = tmp_path / "taxpayers.toml"
    rows = []
    for t in (AMELIE, OLIVIER):
        rows.append(
            "[[taxpayers]]\n"
            f'sin = "{t.sin.replace(" ", "")}"\n'
            f'access_code = "{t.access_code}"\n'
            f'notice_number = "{t.notice_number}"\n'
            f'given_name = "{t.given_name}"\n'
            f'family_name = "{t.family_name}"\n'
        )
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def app_config(app_config: dict[str, Any], taxpayers_file: Path) -> dict[str, Any]:
    return {**app_config, "taxpayer_registry": str(taxpayers_file)}


class CitizenBrowser:
    """The citizens' pages as a browser sees them."""

    def __init__(self, client: FlaskClient, smtp: SmtpCapture) -> None:
        self.client = client
        self.smtp = smtp

    def post(self, path: str, data: dict[str, Any], page: str | None = None, **kw: Any) -> Any:
        html = self.client.get(page or path).get_data(as_text=True)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(html)}, **kw)

    # -- creation --

    def language(self, lang: str) -> None:
        """Choose the pages' language for the rest of the visit (as the header link does)."""
        self.client.set_cookie("idp_lang", lang)

    def identity(self, taxpayer: Taxpayer, lang: str = "fr", **changes: str) -> Any:
        self.language(lang)
        return self.post("/citoyens/inscription/identite", taxpayer.form(**changes))

    def image(self, image: str = IMAGE, phrase: str = PHRASE) -> Any:
        return self.post("/citoyens/inscription/image", {"image": image, "phrase": phrase})

    def questions(self, answers: tuple[tuple[str, str], ...] = ANSWERS) -> Any:
        data = {}
        for number, (key, answer) in enumerate(answers, start=1):
            data[f"question_{number}"] = key
            data[f"answer_{number}"] = answer
        return self.post("/citoyens/inscription/questions", data)

    def password(self, password: str = TEST_PASSWORD) -> Any:
        return self.post(
            "/citoyens/inscription/mot-de-passe",
            {"new_password": password, "confirm_password": password},
        )

    def link(self, email: str) -> str:
        for captured in reversed(self.smtp.messages):
            if email in captured.to:
                match = re.search(r"http://localhost(/citoyens/\S+)", captured.text)
                if match:
                    return match.group(1)
        raise AssertionError(f"no link sent to {email}")

    def enrol(
        self, taxpayer: Taxpayer, lang: str = "fr", *, accepted_conditions: bool = True
    ) -> Account:
        """The four steps, then the emailed link: the account made (and, unless told not to,
        the conditions of use accepted as if at its first sign-in)."""
        assert self.identity(taxpayer, lang).status_code == 302
        assert self.image().status_code == 302
        assert self.questions().status_code == 302
        assert self.password().status_code == 302
        response = self.post(self.link(taxpayer.email), {})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        code = re.search(r'user-code-display mono">([^<]+)<', response.get_data(as_text=True))
        assert code
        account = db.session.query(Account).filter_by(user_code=code.group(1)).one()
        if accepted_conditions:
            accept_conditions(self.client.application.extensions["idp.runtime"], account)
        return account

    # -- sign-in --

    def user_code_step(self, user_code: str, query: str = "", **extra: Any) -> Any:
        return self.post(f"/citoyens/connexion{query}", {"user_code": user_code, **extra})

    def password_step(self, password: str = TEST_PASSWORD) -> Any:
        return self.post("/citoyens/connexion/mot-de-passe", {"password": password})

    def code_step(self, email: str) -> Any:
        response = self.post("/connexion/code", {"code": self.smtp.last_code(email)})
        response.close()  # as a server does: the notices deferred to then are sent
        return response

    def answer(self, answer: str) -> Any:
        return self.post("/citoyens/connexion/question", {"answer": answer})

    def sign_in(self, account: Account, password: str = TEST_PASSWORD, query: str = "") -> Any:
        assert self.user_code_step(account.user_code, query).status_code == 302
        response = self.password_step(password)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].endswith("/connexion/code")
        return self.code_step(account.email)

    def asked_question(self) -> str:
        """The key of the question the question page asks (opening it, as a person does)."""
        page = self.client.get("/citoyens/connexion/question")
        assert page.status_code == 200, page.headers.get("Location")
        return question_on(page.get_data(as_text=True))

    def sign_in_by_question(self, account: Account, query: str = "") -> Any:
        """User code, password, then the right answer instead of the emailed code."""
        assert self.user_code_step(account.user_code, query).status_code == 302
        response = self.password_step()
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.answer(dict(ANSWERS)[self.asked_question()])


def question_on(page: str) -> str:
    """The key of the one catalogue question a page shows (in either language)."""
    text = html.unescape(page)
    shown = [q.key for q in catalogue.QUESTIONS if q.fr in text or q.en in text]
    assert len(shown) == 1, shown
    return shown[0]


def live_session(account: Account) -> UserSession | None:
    """The account's signed-in (authenticated, not ended) session, if any."""
    return db.session.scalars(
        select(UserSession).where(
            UserSession.account_id == account.id,
            UserSession.stage == SessionStage.AUTHENTICATED,
            UserSession.ended_at.is_(None),
        )
    ).one_or_none()


@pytest.fixture
def browser(client: FlaskClient, smtp: SmtpCapture) -> CitizenBrowser:
    return CitizenBrowser(client, smtp)


def make_citizen(
    runtime: Runtime,
    taxpayer: Taxpayer = OLIVIER,
    *,
    user_code: str = "3456-PQRS",
    locale: str = "fr",
    accepted_conditions: bool = True,
) -> Account:
    digits = taxpayer.sin.replace(" ", "")
    account = make_citizen_account(
        db.session,
        runtime,
        CitizenDetails(
            user_code=user_code,
            given_name=taxpayer.given_name,
            family_name=taxpayer.family_name,
            email=taxpayer.email,
            locale=locale,
            sin_hash=sin_hash(runtime.sin_key, digits),
            image_key=IMAGE,
            personal_phrase=PHRASE,
        ),
        password_hash=runtime.hashing.hash(TEST_PASSWORD),
        answers=hashed_answers(runtime, list(ANSWERS)),
    )
    db.session.commit()
    if accepted_conditions:
        accept_conditions(runtime, account)
    return account


@pytest.fixture
def citizen(runtime: Runtime) -> Account:
    return make_citizen(runtime)


def error_text(html: str) -> str:
    """The error summary of a page, as words."""
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def sessions_of(account: Account) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession).where(UserSession.account_id == account.id).order_by(UserSession.id)
        )
    )
