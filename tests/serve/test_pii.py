"""The log redaction's patterns: as they were on realistic text, and whole on crafted text.

Speed is never asserted here (``python -m bench`` measures it); these tests check what comes out, on
realistic lines and on the crafted values that made the old patterns backtrack for seconds.
"""

import random
import re

import pytest

from ticketbuddy.serve.pii import cut_point, replace_emails, scrub

KB16, MB1 = 16 * 1024, 1024 * 1024


# The patterns before this rewrite: exact on short text (where they were fast), the reference for it.
_OLD_SEP = r"(?:[ .-]|\)[ .-]?|[ .-]?\()"
OLD_DIGIT_RUN = re.compile(rf"(?<![\w+-])(?:\+|\()?\d(?:{_OLD_SEP}?\d)*(?![\w-])")
OLD_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def random_texts(alphabet, count=20_000, longest=40, seed=3):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(1, longest)))


def test_e_mail_addresses_are_found_as_the_old_pattern_found_them():
    for text in random_texts("ab.-@_%+1com"):
        assert replace_emails(text) == OLD_EMAIL.sub("[email]", text), text


def test_digit_runs_are_classified_as_the_old_pattern_classified_them():
    from ticketbuddy.serve.pii import DIGIT_RUN, _classify_digits, _digits

    def old(match):
        return _classify_digits(match.group(0))

    for text in random_texts("0123456789" * 3 + " .-()+xA:_"):
        assert DIGIT_RUN.sub(_digits, text) == OLD_DIGIT_RUN.sub(old, text), text


def crafted(size):
    """Values that made the old patterns backtrack through the whole value from each position."""
    return {
        "digits, dash and bracket": ("1-(" * size)[:size],
        "digits and dashes": ("1-" * size)[:size],
        "digits and spaces": ("1 " * size)[:size],
        "one word": "a" * size,
        "dotted word": ("a." * size)[:size],
        "at signs": ("a@" * size)[:size],
        "dotted numeric domain": ("x@" + "1." * size)[:size],
        "house numbers": ("1 Aaaa " * size)[:size],
    }


@pytest.mark.parametrize("size", [KB16, MB1], ids=["16KB", "1MB"])
def test_crafted_values_come_out_whole_and_what_surrounds_them_redacted(size):
    for name, value in crafted(size).items():
        text = f"jane.doe@example.com | {value} | card 4111 1111 1111 1111"
        assert scrub(text) == f"[email] | {value} | card [card]", name


@pytest.mark.parametrize("size", [KB16, MB1], ids=["16KB", "1MB"])
def test_personal_data_inside_crafted_values_is_found(size):
    value = ("1-(" * size)[: size // 2] + " | ring 07700 900123 | " + "a" * (size // 2) + "@example.com"
    out = scrub(value)
    assert "| ring [phone] |" in out and out.endswith("[email]") and "900123" not in out


def test_the_cut_keeps_a_bounded_head_ending_after_a_space_and_before_any_known_text():
    text = "word " * 3000  # 15,000 characters
    assert cut_point(text, 20_000) == len(text)
    assert cut_point(text, 8192) == 8190 and text[:8190].endswith(" ")
    assert cut_point("x" * 10_000, 8192) == 8192  # no space near: cut where the limit says
    secret = "the customer wrote this long paragraph without any full stop in it at all"
    text = "a" * 8150 + secret + "b" * 100
    assert cut_point(text, 8192, [secret]) == 8150
