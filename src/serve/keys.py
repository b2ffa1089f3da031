"""API keys and their scopes: parsing the configuration, hashing, constant-time lookup, making keys.

Keys come from ``TICKETBUDDY_API_KEYS`` (``key:scope1+scope2,key2:scope``) and/or a file named by
``TICKETBUDDY_API_KEYS_FILE`` holding one ``sha256hex:scope1+scope2`` per line (``#`` starts a comment).
Either form may end with attributes, ``:agent=ID;teams=t1+t2;rate=20/s;burst=40``, any of them:

- ``agent=ID``: the key acts as that agent; a request naming another agent is refused.
- ``teams=t1+t2``: the key sees and acts on those teams' hand-offs only (others are 404 to it).
- ``rate=N/s`` (or ``N/min``, or ``off``) and ``burst=N``: the key's own request budget, for each of its
  scopes, instead of ``TICKETBUDDY_RATE_LIMIT_*`` (``serve.ratelimit``); burst defaults to two seconds'
  worth.

Only SHA-256 digests are kept in memory. A presented key is hashed and compared with
``hmac.compare_digest`` against *every* stored digest, so the time taken reveals neither which key
matched nor how much of one did.

Make a key and its file line::

    python -m ticketbuddy.serve.keys score+agent

or by hand: ``printf %s "$KEY" | sha256sum``. ``serve.security`` puts the keyring in front of the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ticketbuddy.settings import RateBudget, SecuritySettings, rate_budget

SCOPES = frozenset({"score", "agent", "admin"})
#: The attributes a key entry may end with.
ATTRIBUTES = ("agent", "teams", "rate", "burst")
#: Shortest key accepted from the environment: anything shorter can be guessed.
MIN_KEY_CHARS = 16


class ApiKeyError(ValueError):
    """The configured keys are malformed; the message names the entry at fault (never the key)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a short, non-secret key id (first 8 hex digits of its hash) and its scopes."""

    key_id: str
    scopes: frozenset[str]
    agent_id: str | None = None
    teams: frozenset[str] | None = None
    """None: every team (a key that declares none keeps that reach, with a warning at start)."""
    rate: RateBudget | None = None
    """The key's own request budget; None: the configured default of each scope."""


@dataclass(frozen=True)
class KeyEntry:
    """One configured key: its digest, scopes and the attributes that narrow it."""

    digest: str
    scopes: frozenset[str]
    agent_id: str | None = None
    teams: frozenset[str] | None = None
    rate: RateBudget | None = None

    @property
    def key_id(self) -> str:
        """The key's public id: the first 8 hex digits of its digest (never the key)."""
        return self.digest[:8]


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key, as stored in the keys file."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _parse_entry(digest: str, rest: str, where: str) -> KeyEntry:
    """``scopes`` or ``scopes:agent=ID;teams=a+b;rate=N/s;burst=N`` after the key (or digest)."""
    scopes, _, attributes = rest.partition(":")
    values = _parse_attributes(attributes, where) if attributes else {}
    teams = values.get("teams")
    return KeyEntry(
        digest,
        _parse_scopes(scopes, where),
        values.get("agent"),
        frozenset(t.strip() for t in teams.split("+") if t.strip()) if teams is not None else None,
        _key_budget(values, where),
    )


def _parse_attributes(text: str, where: str) -> dict[str, str]:
    """``name=value`` pairs joined by ';', each name one of ``ATTRIBUTES``."""
    values = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        name, sep, value = part.partition("=")
        if not sep or not value.strip() or name.strip() not in ATTRIBUTES:
            raise ApiKeyError(
                f"{where}: attributes are agent=ID, teams=team1+team2, rate=N/s and burst=N, joined by ';'"
            )
        values[name.strip()] = value.strip()
    return values


def _key_budget(values: dict[str, str], where: str) -> RateBudget | None:
    """The key's own budget from ``rate=`` and ``burst=``, or None (the scopes' defaults)."""
    if "rate" not in values:
        if "burst" in values:
            raise ApiKeyError(f"{where}: burst=N needs rate=N/s beside it")
        return None
    try:
        return rate_budget(values["rate"], values.get("burst"), where)
    except ValueError as exc:
        raise ApiKeyError(str(exc)) from None


def _split_key(item: str) -> tuple[str, str]:
    """``key`` and what follows it: the scopes, then optional attributes (keys may hold ':')."""
    head, sep, last = item.rpartition(":")
    if sep and "=" in last:  # key:scopes:attributes
        key, sep2, scopes = head.rpartition(":")
        return (key, f"{scopes}:{last}") if sep2 else ("", "")
    return head, last


def _parse_scopes(text: str, where: str) -> frozenset[str]:
    scopes = frozenset(s.strip() for s in text.split("+") if s.strip())
    unknown = sorted(scopes - SCOPES)
    if not scopes or unknown:
        # the text is not echoed: after a mistyped separator it may hold part of a key
        raise ApiKeyError(f"{where}: scopes must be some of {'+'.join(sorted(SCOPES))}, joined by '+'")
    return scopes


class ApiKeyring:
    """The accepted keys, as SHA-256 digests with their scopes.

    Args:
        entries: The configured keys (digests, scopes and attributes).

    Example:
        >>> ring = ApiKeyring.from_settings(SecuritySettings(api_keys="a-long-enough-key-1:score"))
        >>> ring.authenticate("a-long-enough-key-1").scopes
        frozenset({'score'})
        >>> ring.authenticate("wrong") is None
        True

    """

    def __init__(self, entries: Iterable[KeyEntry]) -> None:
        self.entries = list(entries)
        self._digests = [bytes.fromhex(entry.digest) for entry in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_settings(cls, settings: SecuritySettings) -> ApiKeyring:
        """Read keys from the environment string and the keys file (both may be set).

        Raises:
            ApiKeyError: A malformed entry, named by position or file line.

        """
        entries = parse_plain_keys(settings.api_keys or "")
        if settings.api_keys_file is not None:
            entries += parse_keys_file(settings.api_keys_file)
        return cls(entries)

    def authenticate(self, presented: str) -> Principal | None:
        """The principal of a presented key, or None; every stored digest is compared, in constant time."""
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: KeyEntry | None = None
        for stored, entry in zip(self._digests, self.entries, strict=True):
            if hmac.compare_digest(digest, stored):
                found = entry  # no early exit: the time taken does not depend on which key matched
        if found is None:
            return None
        return Principal(found.key_id, found.scopes, found.agent_id, found.teams, found.rate)

    def unknown_teams(self, teams: Iterable[str]) -> list[str]:
        """``key <id>: team 'x'`` for every team a key names that is not in ``teams`` (the policy's)."""
        known = set(teams)
        return [
            f"key {e.key_id}: team {t!r} is not a team of the policy"
            for e in self.entries
            for t in sorted(e.teams or ())
            if t not in known
        ]

    def unscoped_agent_keys(self) -> list[str]:
        """Ids of keys with the ``agent`` scope that declare no teams: they reach every team's queue."""
        return [e.key_id for e in self.entries if "agent" in e.scopes and e.teams is None]


def parse_plain_keys(text: str) -> list[KeyEntry]:
    """Parse ``key:scopes[:attributes],...`` into entries (the keys are hashed at once)."""
    entries = []
    for position, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        key, rest = _split_key(item)
        where = f"TICKETBUDDY_API_KEYS entry {position}"
        if not key:
            raise ApiKeyError(f"{where}: expected key:scope1+scope2[:agent=ID;teams=team1+team2;rate=N/s]")
        if len(key) < MIN_KEY_CHARS:
            raise ApiKeyError(f"{where}: the key is shorter than {MIN_KEY_CHARS} characters")
        entries.append(_parse_entry(hash_key(key), rest, where))
    return entries


def parse_keys_file(path: Path) -> list[KeyEntry]:
    """Parse a keys file: ``sha256hex:scopes[:attributes]`` per line (blank lines, ``#`` comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ApiKeyError(f"cannot read API keys file {path}: {exc.strerror}") from exc
    entries = []
    for number, line in enumerate(lines, start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        digest, sep, rest = content.partition(":")
        where = f"{path} line {number}"
        digest = digest.strip().lower()
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ApiKeyError(f"{where}: expected a 64-digit sha256 hex digest, ':', then scopes")
        entries.append(_parse_entry(digest, rest, where))
    return entries


def new_key() -> str:
    """A fresh random key (hex, so log redaction never mistakes part of it for a phone number)."""
    return f"tb_{secrets.token_hex(24)}"


def main(argv: list[str] | None = None) -> int:
    """``python -m ticketbuddy.serve.keys SCOPES [--env]``: print a new key and its config lines."""
    args = argv if argv is not None else sys.argv[1:]
    scopes = next((a for a in args if not a.startswith("-")), "score+agent+admin")
    _parse_scopes(scopes, "scopes")
    key = new_key()
    if "--env" in args:
        print(f"TICKETBUDDY_API_KEYS={key}:{scopes}")
        return 0
    print(f"key (give it to the client, keep it secret): {key}")
    print(f"TICKETBUDDY_API_KEYS entry:                  {key}:{scopes}")
    print(f"TICKETBUDDY_API_KEYS_FILE line:              {hash_key(key)}:{scopes}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
