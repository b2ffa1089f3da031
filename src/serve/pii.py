"""Personal data in free text, found in linear time, and how much of a text is worth redacting.

E-mail addresses become ``[email]``, IBANs ``[iban]``, street addresses (with the town and postcode or
ZIP that follow them) ``[address]``, UK postcodes ``[postcode]``, card numbers ``[card]`` and phone
numbers ``[phone]``; what service logs are made of (timestamps, IP addresses, durations, HTTP
versions, ticket and hand-off ids, counts) is kept. A text longer than ``MAX_VALUE_CHARS`` (a
traceback, ``MAX_TRACE_CHARS``) is cut first, where ``cut_point`` says, so a log line's cost is bounded.

Why linear: access-log arguments of requests without a key are redacted on the event loop, so a crafted
value must cost no more per character than a realistic one. E-mail addresses are found from their
``@`` outwards; each pattern either starts only at the beginning of a run (a look-behind refuses every
later position at once) and takes the run in one pass, or repeats a bounded number of times: none
retries, from every position of a long run, a match that fails at its end. ``python -m bench``
measures the cost per KB at sizes up to 1 MB.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

#: Longest part of a message or argument that is redacted and logged; the rest is cut off, marked.
MAX_VALUE_CHARS = 8 * 1024
#: The same for the text of an exception or a stack, which is longer and worth more to whoever debugs.
MAX_TRACE_CHARS = 32 * 1024
#: How far back from the cut a space is looked for, so that a word (an address, a number) is never
#: cut in half: half an e-mail address would no longer look like one.
WORD_BACKOFF_CHARS = 64

#: Characters of an e-mail address's local part.
_LOCAL = frozenset(string.ascii_letters + string.digits + "._%+-")
#: An e-mail address's domain: labels, dots, and a top-level domain of two letters or more.
_DOMAIN = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
#: Country code, check digits, then 11-30 letters and digits, in groups of four or not. Written in
#: capitals it is an IBAN by its shape; in lower case (as hex ids are) only if its check digits hold.
IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])", re.IGNORECASE
)
_IBAN_CHARS = range(15, 35)

#: A capitalised word of an address (``Baker``, ``O'Connell``, ``St.``), at most 25 characters.
_WORD = r"[A-Z][A-Za-z'’.-]{0,24}"
_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Boulevard|Blvd|Place|Pl|Court|Ct"
    r"|Terrace|Crescent|Square|Gardens|Grove)\b\.?"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"
_US_ZIP = r"\d{5}(?:-\d{4})?"
#: After the street: a direction (``NW``), then a town, a state (``DC``) and the postcode or ZIP.
_PLACE = (
    rf"(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?"
    rf"(?:(?:,? {_WORD}(?: {_WORD}){{0,2}})?(?:,? [A-Z]{{2}})?,? (?:{_UK_POSTCODE}|{_US_ZIP})(?![\w-]))?"
)
#: House number (``221B``), one to four capitalised words, a street suffix; then the place, if any.
ADDRESS = re.compile(rf"(?<![\w.:/-])\d{{1,5}}[A-Za-z]?,? (?:{_WORD} ){{1,4}}{_SUFFIX}{_PLACE}")
UK_POSTCODE = re.compile(rf"(?<![\w-]){_UK_POSTCODE}(?![\w-])")

#: 13-19 digits, grouped by single spaces or dashes or not, wherever they stand (inside a word too);
#: a card only when the Luhn check passes. Both look-behinds keep it to the start of a digit run.
CARD = re.compile(r"(?<!\d)(?<!\d[ -])\d(?:[ -]?\d){12,18}(?![ -]?\d)")
#: A run of digits with the separators people type in phone and card numbers: space, dot, dash,
#: brackets. It starts only where no word, ``+`` or ``-`` stands before it and always takes the whole
#: run; where it must end (not before a word character or ``-``) is found afterwards, in ``_digits``.
_SEP = r"(?:[ .-]|\)[ .-]?|[ .-]?\()"
DIGIT_RUN = re.compile(rf"(?<![\w+-])(?:\+|\()?\d(?:{_SEP}?\d)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DECIMAL = re.compile(r"\d+\.\d+")


def replace_emails(text: str) -> str:
    """``text`` with each e-mail address as ``[email]``, found from its ``@`` outwards.

    A regular expression would try a local part from every position of a long run of its characters
    and scan to the run's end each time; going left from each ``@`` (never past the previous address)
    and matching the domain to its right looks at each character a bounded number of times.

    Example:
        >>> replace_emails("mail jane.doe@example.co.uk, not @home or a@b")
        'mail [email], not @home or a@b'

    """
    parts, done, at = [], 0, text.find("@")
    while at != -1:
        start = at
        while start > done and text[start - 1] in _LOCAL:
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if domain:
            parts += [text[done:start], "[email]"]
            done = domain.end()
        at = text.find("@", max(at + 1, done))
    return "".join(parts) + text[done:]


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (digits only) pass the Luhn check every payment card number passes.

    Example:
        >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
        (True, False)

    """
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = "".join(c for c in match.group(0) if c.isdigit())
    return "[card]" if luhn_valid(digits) else match.group(0)


def iban_valid(iban: str) -> bool:
    """True when the ISO 13616 check digits of ``iban`` (letters and digits only) hold: mod 97 is 1.

    Example:
        >>> iban_valid("GB82WEST12345698765432"), iban_valid("GB83WEST12345698765432")
        (True, False)

    """
    moved = (iban[4:] + iban[:4]).upper()
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    text = match.group(0)
    compact = text.replace(" ", "")
    if len(compact) in _IBAN_CHARS and (text.isupper() or iban_valid(compact)):
        return "[iban]"
    return text


def _classify_digits(text: str) -> str:
    """``[card]`` for 13-19 digits, ``[phone]`` for 7-15 that are not a date, an IP or a decimal."""
    count = sum(map(str.isdigit, text))
    if 13 <= count <= 19:
        return "[card]"
    looks_like_other = _DATE.match(text) or _IPV4.fullmatch(text) or _DECIMAL.fullmatch(text)
    if 7 <= count <= 15 and not looks_like_other:
        return "[phone]"
    return text


def _ends_a_run(char: str) -> bool:
    """True when a digit run may end before ``char``: not inside a word, not before a ``-``."""
    return not (char.isalnum() or char in "_-")


def _digits(match: re.Match[str]) -> str:
    r"""A digit run as ``[card]``, ``[phone]`` or itself, up to its last digit that may end a run.

    What follows that digit is left as it is: this is the old pattern's ``(?![\w-])`` look-ahead,
    decided once per run instead of by backtracking through the run from every position.
    """
    run, after = match.group(0), match.string[match.end() : match.end() + 1]
    end = len(run)
    if after and not _ends_a_run(after):
        end = next((i for i in range(len(run) - 1, 0, -1) if run[i - 1].isdigit() and _ends_a_run(run[i])), 0)
    return _classify_digits(run[:end]) + run[end:] if end else run


def scrub(text: str, extra: Iterable[re.Pattern[str]] = ()) -> str:
    """``text`` with its personal data replaced; each ``extra`` pattern's matches become ``[redacted]``.

    The extra patterns run first, on the text as given; then e-mail addresses, IBANs, addresses,
    postcodes, cards and phone numbers, in that order, so that each sees what the previous left.

    Example:
        >>> scrub("mail jo@example.com or call +44 7700 900123, card 4111 1111 1111 1111")
        'mail [email] or call [phone], card [card]'
        >>> scrub("IBAN GB82 WEST 1234 5698 7654 32, 221B Baker Street, London NW1 6XE")
        'IBAN [iban], [address]'

    """
    for pattern in extra:
        text = pattern.sub("[redacted]", text)
    text = replace_emails(text)
    text = IBAN.sub(_iban, text)
    text = ADDRESS.sub("[address]", text)
    text = UK_POSTCODE.sub("[postcode]", text)
    text = CARD.sub(_card, text)
    return DIGIT_RUN.sub(_digits, text)


def cut_point(text: str, limit: int, known: Sequence[str] = ()) -> int:
    """How much of ``text`` to keep: all of it up to ``limit``; else at most ``limit`` characters.

    The cut moves back before any ``known`` text it would split (longest first), so no part of one is
    logged, and then to just after a space when there is one within ``WORD_BACKOFF_CHARS``.
    """
    if len(text) <= limit:
        return len(text)
    cut = limit
    for piece in known:
        start = text.find(piece, max(0, cut - len(piece) + 1), cut + len(piece) - 1)
        if 0 <= start < cut:
            cut = start
    window = max(0, cut - WORD_BACKOFF_CHARS)
    space = max(text.rfind(" ", window, cut), text.rfind("\n", window, cut))
    return space + 1 if space >= 0 else cut
