"""The social insurance number: Luhn, the 9 digits accepted, and only a keyed hash kept."""

from __future__ import annotations

import re

import pytest

from idp.citizens.sin import derive_sin_key, luhn_valid, sin_digits, sin_hash

KEY = derive_sin_key("test-secret-key-that-is-long-enough-for-production-0123456789")
OTHER_KEY = derive_sin_key("another-secret-key-that-is-long-enough-for-production-98765")


@pytest.mark.parametrize("digits", ["046454286", "130692544", "090786666", "071803340", "0"])
def test_luhn_accepts_valid_numbers(digits):
    assert luhn_valid(digits)


@pytest.mark.parametrize("digits", ["046454287", "130692545", "090786667", "071803341", "1"])
def test_luhn_refuses_a_wrong_check_digit(digits):
    assert not luhn_valid(digits)


def test_luhn_doubles_every_second_digit_from_the_right():
    # 1 8 -> 1*2 + 8 = 10; 5 9 -> 5*2=10 -> 1, + 9 = 10.
    assert luhn_valid("18")
    assert luhn_valid("59")
    assert not luhn_valid("81")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("046454286", "046454286"),
        ("046 454 286", "046454286"),
        ("046-454-286", "046454286"),
        (" 046 454-286 ", "046454286"),
        ("046\t454\n286", "046454286"),
    ],
)
def test_sin_digits_accepts_spaces_and_dashes(raw, expected):
    assert sin_digits(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "04645428",  # 8 digits
        "0464542860",  # 10 digits
        "046454287",  # Luhn
        "04645428a",
        "046.454.286",
        "٠٤٦٤٥٤٢٨٦",  # Arabic-Indic digits
        "04645428٦",
        "０４６４５４２８６",  # full-width digits
        "046_454_286",
        "+46454286",
    ],
)
def test_sin_digits_refuses_what_cannot_be_a_sin(raw):
    assert sin_digits(raw) is None


def test_sin_hash_is_deterministic_per_key():
    assert sin_hash(KEY, "046454286") == sin_hash(KEY, "046454286")
    assert sin_hash(KEY, "046454286") != sin_hash(KEY, "130692544")


def test_sin_hash_differs_under_another_key():
    assert sin_hash(KEY, "046454286") != sin_hash(OTHER_KEY, "046454286")
    assert derive_sin_key("a") != derive_sin_key("b")
    assert len(KEY) == 32


def test_sin_hash_never_holds_the_digits():
    for digits in ("046454286", "130692544", "000000000"):
        hashed = sin_hash(KEY, digits)
        assert hashed != digits
        assert digits not in hashed
        assert re.fullmatch(r"[0-9a-f]{64}", hashed)


def test_sin_hash_is_not_a_plain_hash_of_the_digits():
    import hashlib

    assert sin_hash(KEY, "046454286") != hashlib.sha256(b"046454286").hexdigest()
