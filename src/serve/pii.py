"""Personal data in free text, found in linear time, and how much of a text is worth redacting.

E-mail addresses become ``[email]``, card numbers ``[card]`` and phone numbers ``[phone]``; what
service logs are made of (timestamps, IP addresses, durations, HTTP versions, ticket and hand-off
ids, counts) is kept. A text longer than ``MAX_VALUE_CHARS`` (a traceback, ``MAX_TRACE_CHARS``) is
cut first, where ``cut_point`` says, so a log line's cost is bounded.

Why linear: access-log arguments of requests without a key are redacted on the event loop, so a crafted
value must cost no more per character than a realistic one. E-mail addresses are found from their
``@`` outwards; digit runs start only at the beginning of a run (a look-behind refuses every later
position at once) and are taken in one pass: neither retries, from every position of a long run, a
match that fails at its end.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

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


def scrub(text: str) -> str:
    """``text`` with its e-mail addresses, then its card and phone numbers, replaced.

    Example:
        >>> scrub("mail jo@example.com or call +44 7700 900123, card 4111 1111 1111 1111")
        'mail [email] or call [phone], card [card]'

    """
    return DIGIT_RUN.sub(_digits, replace_emails(text))


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
