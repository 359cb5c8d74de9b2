"""Password policy (NIST SP 800-63B 5.1.1.2): length, blocklist, own identifiers, no composition."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel

from idp.accounts.password_policy import check_password, is_common
from idp.accounts.passwords import normalize_password
from idp.errors import ValidationError

TOO_SHORT = "The password must have at least 12 characters."
TOO_LONG = "The password must have at most 256 characters."
TOO_COMMON = (
    "This password is too common: it appears in lists of leaked passwords. "
    "Choose another, for example a phrase of several words."
)
OWN_IDENTIFIER = "The password must not contain your user code, name or email address."

# The identifiers of the account, as idp.accounts.services.change_password passes them.
CONTEXT = ("KXMP-4827", "marie.tremblay", "Marie", "Tremblay")


@pytest.fixture(scope="module", autouse=True)
def _english() -> Iterator[None]:
    """Messages are lazy translations: render them in a bare app, i.e. in their English msgid."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield


def _refusal(password: str, context: tuple[str, ...] = CONTEXT) -> str | None:
    try:
        check_password(password, min_length=12, max_length=256, context=context)
    except ValidationError as exc:
        return str(exc.message)
    return None


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        # Length, counted after NFKC normalization.
        ("Huard#Lac9q", TOO_SHORT),
        ("Huard#Lac9qz", None),
        ("", TOO_SHORT),
        ("ardoise-" * 32, None),  # 256: the maximum
        ("ardoise-" * 32 + "x", TOO_LONG),
        # Common passwords, whatever the case.
        ("password1234", TOO_COMMON),
        ("PassWord1234", TOO_COMMON),
        ("motdepasse123", TOO_COMMON),
        ("azertyuiop12", TOO_COMMON),
        ("Password12345!", TOO_COMMON),
        ("abcdefghijkl", TOO_COMMON),
        # A listed word decorated with digits or symbols at the end.
        ("soleil2026!!", TOO_COMMON),
        ("qwertyuiop!!", TOO_COMMON),
        ("Dragon_123456", TOO_COMMON),
        ("chocolat.2026", TOO_COMMON),
        # No composition rules: long phrases pass, lower case only or not.
        ("vélo Orignal tempête ardoise", None),
        ("le chat dort sur le toit rouge", None),
        ("kqzpvwxrbtmnl", None),
        # The person's own identifiers, in any case, with or without the dash.
        ("kxmp-4827-boreal", OWN_IDENTIFIER),
        ("Kxmp4827Riviere", OWN_IDENTIFIER),
        ("Tremblay-fleuve-bleu", OWN_IDENTIFIER),
        ("ete-chez-MARIE-au-lac", OWN_IDENTIFIER),
        ("Marie.Tremblay-Ardoise", OWN_IDENTIFIER),
    ],
)
def test_check_password(password, refusal):
    assert _refusal(password) == refusal


@pytest.mark.parametrize(
    ("password", "context", "refusal"),
    [
        # Identifiers under four characters are too short to matter ("Roy").
        ("roy-du-fleuve-bleu", ("ABCD-2345", "jean.roy", "Jean", "Roy"), None),
        ("jean-du-fleuve-bleu", ("ABCD-2345", "jean.roy", "Jean", "Roy"), OWN_IDENTIFIER),
        # Empty or missing identifiers are ignored.
        ("ardoise-tempete", ("", None), None),
    ],
)
def test_context_words(password, context, refusal):
    assert _refusal(password, context) == refusal


@pytest.mark.parametrize(
    "password",
    [
        "ｐａｓｓｗｏｒｄ１２３４",  # fullwidth "password1234"
        "ＭＯＴＤＥＰＡＳＳＥ１２３",  # fullwidth "MOTDEPASSE123"
    ],
)
def test_fullwidth_variant_of_a_common_password_is_refused(password):
    assert normalize_password(password) != password
    assert _refusal(password) == TOO_COMMON


def test_length_is_counted_after_normalization():
    # "ﬁ" (one ligature character) is "fi" (two characters) once normalized.
    eleven_after_normalizing = "ﬁ" + "kqzpvwxrb"  # 10 characters as typed, 11 once normalized
    assert len(eleven_after_normalizing) == 10
    assert _refusal(eleven_after_normalizing) == TOO_SHORT
    assert _refusal("ﬁ" + "kqzpvwxrbt") is None  # 12 once normalized, 11 as typed


def test_limits_come_from_the_arguments():
    with pytest.raises(ValidationError) as excinfo:
        check_password("ardoise-tempete", min_length=20, max_length=256)
    assert str(excinfo.value.message) == "The password must have at least 20 characters."
    with pytest.raises(ValidationError) as excinfo:
        check_password("ardoise-tempete", min_length=12, max_length=14)
    assert str(excinfo.value.message) == "The password must have at most 14 characters."


@pytest.mark.parametrize(
    ("password", "common"),
    [
        ("password", True),
        ("PASSWORD", True),
        ("password!!!", True),
        ("abc123", True),
        ("ab!!", False),  # stripped base too short to judge: only an exact match counts
        ("ardoise-tempete-huard", False),
    ],
)
def test_is_common(password, common):
    assert is_common(password) is common
