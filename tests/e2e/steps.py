"""What a person does in the browser, step by step, on the provider's pages and the ministry sites.

Locators are the pages' roles, labels and visible French text (the default language of the
three sites), so a step reads like the page a person sees. Waits are Playwright's own: an
action waits for its element, ``expect`` for the text of the page that follows.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, CDPSession, Locator, Page, expect

from idp.citizens import catalogue
from idp.demo.seed import DEMO_ACCOUNTS, DEMO_CITIZEN, DEMO_CITIZEN_ANSWERS, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DEMO_TAXPAYERS = ROOT / "config" / "demo-taxpayers.toml"
CODE = re.compile(r"\b(\d{6})\b")
CITIZEN_USER_CODE = re.compile(r"^\d{4}-[A-Z]{4}$")
CONFIRMATION_NUMBER = re.compile(r"^PC-\d{4}-\d{6}$")
# Reloads of the demo mailbox while waiting for a code newer than the last one used.
MAILBOX_WAIT_SECONDS = 20
IQEA_OPERATOR_LABEL = "Identification de l'exploitant"
AMF_PAYMENTS_LABEL = "Effectuer des paiements"


@dataclass
class Person:
    """Someone who signs in: user code, password, and the address the codes go to."""

    user_code: str
    name: str
    email: str
    password: str = DEMO_PASSWORD
    # A new user file's password must be changed at the first sign-in.
    temporary: bool = False
    # A new account accepts the conditions of use at its first sign-in (the demo's people
    # accepted them when the demo data was made).
    conditions_pending: bool = False
    # The proxy the electronic services manager made for this person (its page).
    proxy_url: str | None = None
    # A citizen's answers to their four security questions, by question key.
    answers: dict[str, str] = field(default_factory=dict)


def demo_person(user_code: str) -> Person:
    account = next(a for a in DEMO_ACCOUNTS if a.user_code == user_code)
    return Person(account.user_code, account.display_name, account.email)


def demo_citizen() -> Person:
    """Sophie Gagnon, the citizen of the demo data, with her security answers."""
    return Person(
        DEMO_CITIZEN.user_code,
        DEMO_CITIZEN.display_name,
        DEMO_CITIZEN.email,
        answers=dict(DEMO_CITIZEN_ANSWERS),
    )


@dataclass(frozen=True)
class Taxpayer:
    """One of the fictional taxpayers of ``config/demo-taxpayers.toml`` (the demo's stand-in
    for Revenu Québec), with the email address they give when creating their account."""

    sin: str
    access_code: str
    notice_number: str
    given_name: str
    family_name: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def demo_taxpayer(given_name: str, family_name: str, email: str) -> Taxpayer:
    with DEMO_TAXPAYERS.open("rb") as file:
        rows = tomllib.load(file)["taxpayers"]
    row = next(r for r in rows if (r["given_name"], r["family_name"]) == (given_name, family_name))
    return Taxpayer(
        row["sin"], row["access_code"], row["notice_number"], given_name, family_name, email
    )


# -- the demo mailbox --------------------------------------------------------------------------


class Mailbox:
    """The provider's demo mailbox page, read in another tab of the person's browser."""

    def __init__(self, url: str) -> None:
        self.url = url
        # In French whatever the language the person chose for the provider's other pages.
        self._page = f"{url}?lang=fr"
        # The last code read for each address: a code is used once.
        self._used: dict[str, str] = {}

    def code_for(self, context: BrowserContext, email: str) -> str:
        code = self._newest(context, email, CODE, lambda found: found != self._used.get(email))
        self._used[email] = code
        return code

    def link_for(self, context: BrowserContext, email: str, path: str) -> str:
        """The address in the newest email to ``email`` holding a link whose path starts with
        ``path``."""
        pattern = re.compile(rf"(https?://\S+?{re.escape(path)}\S*)")
        return self._newest(context, email, pattern, lambda _found: True)

    def newest_saying(self, context: BrowserContext, email: str, text: str) -> str:
        """The body of the newest email to ``email`` that contains ``text``."""
        pattern = re.compile(rf"((?s:.*){re.escape(text)}(?s:.*))")
        return self._newest(context, email, pattern, lambda _found: True)

    def count_to(self, context: BrowserContext, email: str) -> int:
        """How many emails the mailbox shows for ``email``."""
        tab = context.new_page()
        try:
            tab.goto(self._page)
            self._expect_heading(tab)
            return self._mails_to(tab, email).count()
        finally:
            tab.close()

    def bodies_to(self, context: BrowserContext, email: str) -> list[str]:
        """The text of each email the mailbox shows for ``email``, newest first."""
        tab = context.new_page()
        try:
            tab.goto(self._page)
            self._expect_heading(tab)
            return self._mails_to(tab, email).locator(".mail-body").all_inner_texts()
        finally:
            tab.close()

    def _newest(
        self,
        context: BrowserContext,
        email: str,
        pattern: re.Pattern[str],
        wanted: Callable[[str], bool],
    ) -> str:
        """Group 1 of ``pattern`` in the newest email to ``email`` that matches it, once
        ``wanted`` by the caller; the page is reloaded until it is there. Emails that do not
        match are passed over: a notice (« Nouvelle connexion à votre compte ») may land after
        the code or link the test waits for."""
        tab = context.new_page()
        try:
            tab.goto(self._page)
            self._expect_heading(tab)
            # Some emails leave only once the response has closed (idp/mail/deferred.py): on a
            # loaded machine that can take a few seconds, so wait by the clock, not by reloads.
            deadline = time.monotonic() + MAILBOX_WAIT_SECONDS
            while True:
                found = self._newest_match(tab, email, pattern)
                if found is not None and wanted(found):
                    return found
                if time.monotonic() > deadline:
                    break
                tab.wait_for_timeout(200)
                tab.reload()
            shown = self._mails_to(tab, email).locator(".mail-body").all_inner_texts()
            raise AssertionError(
                f"nothing new matching {pattern.pattern} for {email} in the demo mailbox "
                f"{self.url}; its {len(shown)} emails to that address, newest first: {shown[:3]}"
            )
        finally:
            tab.close()

    def _newest_match(self, tab: Page, email: str, pattern: re.Pattern[str]) -> str | None:
        for body in self._mails_to(tab, email).locator(".mail-body").all_inner_texts():
            found = pattern.search(body)
            if found:
                return found.group(1)
        return None

    @staticmethod
    def _mails_to(tab: Page, email: str) -> Locator:
        """The emails whose recipient is ``email`` (not those that only mention it)."""
        recipient = tab.locator(".mail-meta dd").filter(has_text=email)
        return tab.locator("li.mail").filter(has=recipient)

    @staticmethod
    def _expect_heading(tab: Page) -> None:
        heading = tab.get_by_role("heading", name="Boîte de courriel de démonstration")
        expect(heading).to_be_visible()


# -- signing in at the provider ----------------------------------------------------------------


def enter_password(page: Page, person: Person) -> None:
    """Step 1 of 2 at the provider: user code and password."""
    expect(
        page.get_by_role("heading", name="Se connecter à clicSÉQUR – Entreprises")
    ).to_be_visible()
    page.get_by_label("Code d'utilisateur").fill(person.user_code)
    page.get_by_label("Mot de passe", exact=True).fill(person.password)
    page.get_by_role("button", name="Continuer").click()


def enter_emailed_code(page: Page, mailbox: Mailbox, person: Person) -> None:
    """Step 2 of 2 (or a step-up): the code of the newest email, read in another tab."""
    code_field = page.get_by_label("Code de vérification")
    expect(code_field).to_be_visible()
    code_field.fill(mailbox.code_for(page.context, person.email))
    page.get_by_role("button", name="Confirmer").click()
    expect(code_field).not_to_be_visible()


def sign_in(page: Page, mailbox: Mailbox, person: Person) -> None:
    """Both steps; then, for a temporary password, the forced change; for a new account, the
    conditions of use."""
    enter_password(page, person)
    enter_emailed_code(page, mailbox, person)
    if person.temporary:
        change_temporary_password(page, person)
    if person.conditions_pending:
        accept_conditions(page, person)


def expect_conditions_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Conditions d'utilisation", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Je refuse")).to_be_visible()


def accept_conditions(page: Page, person: Person) -> None:
    """The conditions of use of the person's portal, shown once: « J'accepte »."""
    expect_conditions_page(page)
    page.get_by_role("button", name="J'accepte").click()
    expect(page.get_by_role("heading", name="Conditions d'utilisation", exact=True)).to_have_count(
        0
    )
    person.conditions_pending = False


def change_temporary_password(page: Page, person: Person) -> None:
    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
    expect(page.get_by_text("Votre mot de passe est temporaire.")).to_be_visible()
    new_password = "Chute-Montmorency-Brume-2026"
    page.get_by_label("Nouveau mot de passe", exact=True).fill(new_password)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(new_password)
    page.get_by_role("button", name="Modifier le mot de passe").click()
    expect(
        page.get_by_role("heading", name="Choisissez un nouveau mot de passe")
    ).not_to_be_visible()
    person.password = new_password
    person.temporary = False


def consent_if_asked(page: Page, then: Locator) -> None:
    """The provider's consent page comes the first time a ministry receives the person."""
    accept = page.get_by_role("button", name="Accepter et continuer")
    expect(accept.or_(then).first).to_be_visible()
    if accept.is_visible():
        page.get_by_role("button", name="Accepter et continuer").click()
    expect(then).to_be_visible()


def submit_sensitive(page: Page, mailbox: Mailbox, esm: Person, button: str, done: Locator) -> None:
    """Press ``button``; a sensitive action without a code entered in the last 10 minutes first
    asks for a new one (« Confirmez votre identité »), then comes back to the same page, where
    the action is submitted again."""
    page.get_by_role("button", name=button).click()
    step_up = page.get_by_role("heading", name="Confirmez votre identité")
    expect(done.or_(step_up).first).to_be_visible()
    if step_up.is_visible():
        enter_emailed_code(page, mailbox, esm)
        page.get_by_role("button", name=button).click()
    expect(done).to_be_visible()


def console_signed_in(page: Page, idp: str, mailbox: Mailbox, person: Person) -> None:
    """Sign in at the provider itself (its console), as an electronic services manager does."""
    page.goto(f"{idp}/connexion")
    sign_in(page, mailbox, person)
    expect(page.get_by_role("heading", name=f"Bienvenue, {person.name}")).to_be_visible()


# -- the electronic services manager's console -------------------------------------------------


def create_user_file(
    page: Page, mailbox: Mailbox, esm: Person, first: str, last: str, email: str
) -> Person:
    """« Utilisateurs » → « Créer un dossier d'utilisateur »: the acknowledgement's code and
    temporary password."""
    page.get_by_role("navigation").get_by_role("link", name="Utilisateurs").click()
    page.get_by_role("link", name="Créer un dossier d'utilisateur").click()
    page.get_by_label("Prénom").fill(first)
    page.get_by_label("Nom de famille").fill(last)
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Utilisateur", exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Vérifiez les renseignements")).to_be_visible()
    submit_sensitive(
        page,
        mailbox,
        esm,
        "Transmettre",
        page.get_by_role("heading", name="Accusé de réception d'un nouveau dossier d'utilisateur"),
    )
    user_code = summary_value(page, "Code d'utilisateur")
    temporary = summary_value(page, "Mot de passe temporaire")
    assert re.fullmatch(r"[A-Z]{4}-\d{4}", user_code), user_code
    return Person(
        user_code,
        f"{first} {last}",
        email,
        password=temporary,
        temporary=True,
        conditions_pending=True,
    )


def summary_value(page: Page, term: str) -> str:
    row = page.locator(".summary-row").filter(has=page.locator("dt").get_by_text(term, exact=True))
    return row.locator("dd").inner_text().strip()


def create_internal_proxy(
    page: Page, mailbox: Mailbox, esm: Person, description: str, ends_on: date | None = None
) -> str:
    """« Procurations » → « Ajouter une procuration »: internal, « Avec restriction » at the
    MELCCFP (the IQEA operator right) and at the AMF (« Effectuer des paiements »). Returns the
    proxy's page."""
    page.get_by_role("navigation").get_by_role("link", name="Procurations").click()
    page.get_by_role("link", name="Ajouter une procuration").click()
    expect(page.get_by_role("heading", name="Ajouter une procuration")).to_be_visible()
    page.get_by_label("Interne", exact=True).check()
    ends_on = ends_on or datetime.now(UTC).date() + timedelta(days=200)
    page.get_by_label("Date de fin").fill(ends_on.isoformat())
    page.get_by_label("Description").fill(description)
    melccfp = page.locator(".proxies-ministry").filter(has_text="« Avec restriction » – MELCCFP")
    melccfp.get_by_label("Avec restriction", exact=True).check()
    melccfp.get_by_label(IQEA_OPERATOR_LABEL, exact=False).check()
    amf = page.locator(".proxies-ministry").filter(has_text="« Avec restriction » – AMF")
    amf.get_by_label("Avec restriction", exact=True).check()
    amf.get_by_label(AMF_PAYMENTS_LABEL).check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Vérifiez la procuration")).to_be_visible()
    submit_sensitive(
        page, mailbox, esm, "Transmettre", page.get_by_text("La procuration a été créée.")
    )
    expect(page.get_by_role("heading", name=description)).to_be_visible()
    return page.url


def assign_proxy(page: Page, mailbox: Mailbox, esm: Person, proxy_url: str, holder: Person) -> None:
    page.goto(proxy_url)
    page.get_by_role("link", name="Attribuer la procuration").click()
    expect(page.get_by_role("heading", name="Attribuer la procuration")).to_be_visible()
    page.get_by_label(holder.name, exact=True).check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Vérifiez l'attribution")).to_be_visible()
    submit_sensitive(
        page, mailbox, esm, "Attribuer", page.get_by_text("La procuration a été attribuée.")
    )
    holders = page.get_by_role("table")
    expect(holders.get_by_role("row").filter(has_text=holder.user_code)).to_contain_text(
        holder.name
    )


def cancel_proxy(page: Page, proxy_url: str) -> None:
    page.goto(proxy_url)
    page.get_by_role("link", name="Annuler la procuration").click()
    expect(page.get_by_role("heading", name="Annuler la procuration")).to_be_visible()
    page.get_by_role("button", name="Annuler la procuration").click()
    expect(
        page.get_by_text("La procuration a été annulée; 1 attribution a été retirée.")
    ).to_be_visible()


# -- the ministry sites ------------------------------------------------------------------------


def iqea_sign_in(
    page: Page, iqea: str, mailbox: Mailbox, person: Person, enterprise: str | None = None
) -> None:
    """« Se connecter avec clicSÉQUR » at IQEA, through the provider, back to the dashboard."""
    page.goto(f"{iqea}/")
    page.get_by_role("link", name="Se connecter avec clicSÉQUR").click()
    sign_in(page, mailbox, person)
    if enterprise is not None:
        choose_enterprise(page, enterprise)
    consent_if_asked(page, iqea_dashboard(page, person))


def choose_enterprise(page: Page, enterprise: str) -> None:
    expect(
        page.get_by_role("heading", name="Choisissez l'entreprise pour laquelle vous agissez")
    ).to_be_visible()
    page.get_by_role("button", name=f"Agir pour {enterprise}").click()


def iqea_dashboard(page: Page, person: Person) -> Locator:
    return page.get_by_role("heading", name=f"Bonjour, {person.name}")


def iqea_signed_out(page: Page) -> Locator:
    return page.get_by_role("link", name="Se connecter avec clicSÉQUR")


def amf_dashboard(page: Page) -> Locator:
    return page.get_by_role("heading", name="Dossier de l'entreprise")


def labelled_value(page: Page, term: str) -> Locator:
    """The ``dd`` of a description list, by the text of its ``dt``."""
    return page.locator(f'xpath=//dt[normalize-space()="{term}"]/following-sibling::dd[1]')


# -- clicSÉQUR – Citoyens: creating an account -------------------------------------------------


@dataclass(frozen=True)
class CitizenChoices:
    """What a person chooses while creating a citizen account."""

    image: str  # the image's label (« Un phare »)
    phrase: str
    # (question as listed, answer): four different questions.
    questions: tuple[tuple[str, str], ...]
    password: str


def expect_citizen_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Connexion à clicSÉQUR – Citoyens")).to_be_visible()


def create_citizen_account(page: Page, taxpayer: Taxpayer, choices: CitizenChoices) -> None:
    """From the citizen sign-in page: « Créer un compte », then the four steps, up to the page
    saying the activation link was emailed."""
    expect_citizen_sign_in_page(page)
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte clicSÉQUR – Citoyens")).to_be_visible()
    page.get_by_role("link", name="Commencer").click()

    expect(page.get_by_text("Étape 1 sur 4")).to_be_visible()
    expect(page.get_by_role("heading", name="Votre identité")).to_be_visible()
    page.get_by_label("Numéro d'assurance sociale").fill(taxpayer.sin)
    page.get_by_label("Code d'accès de Revenu Québec").fill(taxpayer.access_code)
    page.get_by_label("Numéro de votre dernier avis de cotisation").fill(taxpayer.notice_number)
    page.get_by_label("Prénom").fill(taxpayer.given_name)
    page.get_by_label("Nom de famille").fill(taxpayer.family_name)
    page.get_by_label("Adresse courriel").fill(taxpayer.email)
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_text("Étape 2 sur 4")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Votre image et votre phrase personnelle")
    ).to_be_visible()
    page.get_by_label(choices.image, exact=True).check()
    page.get_by_label("Votre phrase personnelle").fill(choices.phrase)
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_text("Étape 3 sur 4")).to_be_visible()
    expect(page.get_by_role("heading", name="Quatre questions de sécurité")).to_be_visible()
    for number, (question, answer) in enumerate(choices.questions, start=1):
        # Each question is a group « Question N » holding its question and its answer.
        group = page.get_by_role("group", name=f"Question {number}", exact=True)
        group.get_by_role("combobox", name="Question posée").select_option(label=question)
        group.get_by_role("textbox", name="Sa réponse").fill(answer)
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_text("Étape 4 sur 4")).to_be_visible()
    expect(page.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
    page.get_by_label("Nouveau mot de passe", exact=True).fill(choices.password)
    page.get_by_label("Confirmez le mot de passe").fill(choices.password)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Consultez vos courriels")).to_be_visible()


def activate_citizen_account(page: Page, mailbox: Mailbox, taxpayer: Taxpayer) -> str:
    """Open the activation link of the demo mailbox, press « Activer mon compte »: the user
    code shown."""
    link = mailbox.link_for(page.context, taxpayer.email, "/citoyens/inscription/confirmer/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Activez votre compte")).to_be_visible()
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_role("heading", name="Votre compte est actif")).to_be_visible()
    shown = page.get_by_role("main").get_by_text(CITIZEN_USER_CODE)
    expect(shown).to_have_count(1)
    return shown.inner_text().strip()


# -- clicSÉQUR – Citoyens: signing in ----------------------------------------------------------


def citizen_enter_password(page: Page, person: Person) -> None:
    """Steps 1 and 2 of 3: the user code, then the password."""
    expect_citizen_sign_in_page(page)
    page.get_by_label("Code d'utilisateur").fill(person.user_code)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Inscrivez votre mot de passe")).to_be_visible()
    page.get_by_label("Mot de passe", exact=True).fill(person.password)
    page.get_by_role("button", name="Continuer").click()


def anti_phishing(page: Page) -> Locator:
    """The image and personal phrase above the password field (a browser signed in before)."""
    return page.get_by_role("region", name="Votre image et votre phrase personnelle")


def answer_security_question(page: Page, person: Person) -> str:
    """Instead of the emailed code, « Répondre à une question de sécurité »: read the question
    asked, answer it. Returns the question's key."""
    expect(page.get_by_label("Code de vérification")).to_be_visible()
    page.get_by_role("link", name="Répondre à une question de sécurité").click()
    expect(
        page.get_by_role("heading", name="Répondez à votre question de sécurité")
    ).to_be_visible()
    main = page.get_by_role("main")
    asked = [q.key for q in catalogue.QUESTIONS if main.get_by_text(q.fr, exact=True).count()]
    assert len(asked) == 1, f"one question expected on {page.url}, found {asked}"
    page.get_by_label("Votre réponse").fill(person.answers[asked[0]])
    page.get_by_role("button", name="Confirmer").click()
    expect(
        page.get_by_role("heading", name="Répondez à votre question de sécurité")
    ).not_to_be_visible()
    return asked[0]


# -- passkeys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VirtualAuthenticator:
    """Chromium's virtual authenticator (DevTools protocol, domain ``WebAuthn``) in one tab: it
    answers ``navigator.credentials`` there as a phone's or a computer's built-in passkey would,
    the person's fingerprint always accepted."""

    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict[str, object]]:
        """The passkeys it holds (``WebAuthn.Credential``: id, rpId, userHandle, signCount...)."""
        answer = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return list(answer["credentials"])

    def set_user_verified(self, verified: bool) -> None:
        """Whether the person's fingerprint or PIN is accepted at the next ceremonies."""
        self.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": self.authenticator_id, "isUserVerified": verified},
        )


def virtual_authenticator(page: Page) -> VirtualAuthenticator:
    """A platform authenticator (CTAP2, internal transport) that keeps passkeys (resident keys)
    and verifies the user, added to ``page``'s tab: it stays with the tab across navigations."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return VirtualAuthenticator(cdp, added["authenticatorId"])


def my_passkeys(page: Page) -> Locator:
    return page.get_by_role("heading", name="Mes clés d'accès", exact=True)


def add_passkey(
    page: Page, mailbox: Mailbox, person: Person, name: str, *, listed: bool = True
) -> None:
    """From any page of the person's portal: « Mes clés d'accès », a fresh emailed code if the
    last one is not recent, the name, « Ajouter la clé d'accès » (the virtual authenticator of
    the tab answers the browser's request). ``listed``: the list is shown after, with the new
    passkey (not when the person came from a site's passkey step, where they go back)."""
    if not my_passkeys(page).is_visible():
        page.get_by_role("navigation").get_by_role("link", name="Mes clés d'accès").click()
    expect(my_passkeys(page)).to_be_visible()
    add = page.get_by_role("button", name="Ajouter la clé d'accès")
    step_up = page.get_by_role("link", name="Confirmer mon identité")
    expect(add.or_(step_up).first).to_be_visible()
    if step_up.is_visible():
        step_up.click()
        expect(page.get_by_role("heading", name="Confirmez votre identité")).to_be_visible()
        enter_emailed_code(page, mailbox, person)
        expect(my_passkeys(page)).to_be_visible()
    page.get_by_label("Nom de la clé d'accès").fill(name)
    add.click()
    expect(page.get_by_text("La clé d'accès a été ajoutée.")).to_be_visible()
    if listed:
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def use_passkey_button(page: Page) -> Locator:
    """« Utiliser ma clé d'accès »: on the code page after the password, and on the passkey step
    a site requiring one sends to. Shown only once passkeys.js found WebAuthn in the browser."""
    return page.get_by_role("button", name="Utiliser ma clé d'accès")


def sign_in_with_passkey_only(page: Page) -> None:
    """« Utiliser une clé d'accès » on a sign-in page of either portal: no user code, no
    password; the passkey says whose account it is."""
    page.get_by_role("button", name="Utiliser une clé d'accès").click()


# -- the pesticide certificate site ------------------------------------------------------------


@dataclass(frozen=True)
class PesticideApplication:
    """What a citizen types in the form (the category by its label)."""

    category: str
    street_address: str
    municipality: str
    postal_code: str
    telephone: str
    birth_date: str
    attestation_number: str


def pesticides_access(page: Page, pesticides: str) -> None:
    """The site's home page: « Accéder au service » (sent on to the provider)."""
    page.goto(f"{pesticides}/")
    access = page.get_by_role("region", name="Accéder au service")
    access.get_by_role("link", name="Accéder au service").click()


def pesticides_applications(page: Page, person: Person) -> Locator:
    """« Mes demandes », greeting the person signed in."""
    return page.get_by_role("main").get_by_text(f"Bonjour, {person.name}.")


def pesticides_menu(page: Page, name: str) -> Locator:
    """A link of the main menu of a demo site (IQEA and the pesticide site share the layout)."""
    return page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name)


def fill_pesticide_application(page: Page, application: PesticideApplication) -> None:
    """« Faire une nouvelle demande », the form, « Continuer »: up to the review page."""
    page.get_by_role("link", name="Faire une nouvelle demande").click()
    expect(page.get_by_role("heading", name="Nouvelle demande de certificat")).to_be_visible()
    page.get_by_label(application.category, exact=True).check()
    page.get_by_label("Numéro et rue").fill(application.street_address)
    page.get_by_label("Municipalité").fill(application.municipality)
    page.get_by_label("Code postal").fill(application.postal_code)
    page.get_by_label("Numéro de téléphone").fill(application.telephone)
    page.get_by_label("Date de naissance").fill(application.birth_date)
    page.get_by_label("Numéro d'attestation").fill(application.attestation_number)
    page.get_by_label("Je déclare que les renseignements fournis sont exacts").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Vérifiez votre demande")).to_be_visible()


def submit_reviewed_application(page: Page) -> str:
    """« Soumettre » on the review page: the confirmation number shown."""
    page.get_by_role("button", name="Soumettre").click()
    expect(page.get_by_role("heading", name="Demande soumise")).to_be_visible()
    number = page.get_by_role("status").get_by_text(CONFIRMATION_NUMBER)
    expect(number).to_have_count(1)
    return number.inner_text().strip()
