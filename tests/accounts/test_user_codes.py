"""User codes: generated well formed, without look-alike characters; typed input normalised."""

from __future__ import annotations

import re

import pytest

from idp.accounts.user_codes import (
    DIGITS,
    LETTERS,
    generate_user_code,
    is_well_formed,
    normalize_user_code,
)

LOOK_ALIKES = set("ILO01")
SAMPLE_SIZE = 2000


@pytest.fixture(scope="module")
def generated() -> list[str]:
    return [generate_user_code() for _ in range(SAMPLE_SIZE)]


def test_generated_codes_are_well_formed(generated):
    for code in generated:
        assert re.fullmatch(r"[A-Z]{4}-[0-9]{4}", code), code
        assert is_well_formed(code), code
        assert normalize_user_code(code) == code


def test_generated_codes_never_use_look_alikes(generated):
    used = set("".join(generated)) - {"-"}
    assert used & LOOK_ALIKES == set()


def test_generated_codes_use_the_whole_alphabet(generated):
    letters = {ch for code in generated for ch in code[:4]}
    digits = {ch for code in generated for ch in code[5:]}
    assert letters == set(LETTERS)
    assert digits == set(DIGITS)


def test_generated_codes_are_random(generated):
    # 23^4 * 8^4 ≈ 1.1e9 codes: a handful of repeats in 2,000 would already be suspicious.
    assert len(set(generated)) >= SAMPLE_SIZE - 5


def test_alphabets_leave_out_look_alikes():
    assert set(LETTERS) & LOOK_ALIKES == set()
    assert set(DIGITS) & LOOK_ALIKES == set()
    assert len(LETTERS) == 26 - 3
    assert len(DIGITS) == 10 - 2


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("KXMP-4827", "KXMP-4827"),
        ("kxmp-4827", "KXMP-4827"),
        ("kxmp4827", "KXMP-4827"),
        ("KxMp4827", "KXMP-4827"),
        (" kxmp 4827 ", "KXMP-4827"),
        ("K X M P - 4 8 2 7", "KXMP-4827"),
        ("kxmp--4827", "KXMP-4827"),
        ("\tkxmp\n4827\r", "KXMP-4827"),
        ("-kxmp4827-", "KXMP-4827"),
        # Not a user code: normalised all the same, and simply unknown.
        ("", ""),
        (None, ""),
        ("abc", "ABC"),
        ("kxmp-48271", "KXMP48271"),
        ("kxmp_4827", "KXMP_4827"),
        ("x" * 100, "X" * 32),
        ("' OR 1=1 --", "'OR1=1"),
    ],
)
def test_normalize_user_code(typed, normalized):
    assert normalize_user_code(typed) == normalized


@pytest.mark.parametrize(
    ("code", "well_formed"),
    [
        ("KXMP-4827", True),
        ("ABCD-2345", True),
        ("KXMP4827", False),
        ("kxmp-4827", False),
        ("KXIP-4827", False),
        ("KXLP-4827", False),
        ("KXOP-4827", False),
        ("KXMP-4807", False),
        ("KXMP-4817", False),
        ("KXMP-48273", False),
        ("KXMPQ-4827", False),
        (" KXMP-4827", False),
        ("", False),
    ],
)
def test_is_well_formed(code, well_formed):
    assert is_well_formed(code) is well_formed


def test_citizen_codes_are_written_digits_first():
    codes = {generate_user_code(citizen=True) for _ in range(SAMPLE_SIZE)}
    for code in codes:
        assert re.fullmatch(r"[2-9]{4}-[A-Z]{4}", code), code
        assert not LOOK_ALIKES & set(code)
        assert is_well_formed(code)
        assert normalize_user_code(code.lower().replace("-", " ")) == code
    # The two shapes never meet: a citizen code is never an enterprise one.
    assert not any(re.fullmatch(r"[A-Z]{4}-[0-9]{4}", code) for code in codes)
