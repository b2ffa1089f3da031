"""What a candidate was trained on, as ids and hashes, and the checks the gate's data must pass.

A model version must not be judged on tickets it learned from, nor on data that cannot measure a slice
the gate names. The training set's fingerprint (a hash of each ticket id and of each conversation's
customer and bot text, never the ids or the text themselves) is logged with the run, so ``ticketbuddy
promote`` can check data chosen later against the version's own training data.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import Ticket
from ticketbuddy.train.params import PromotionParams
from ticketbuddy.train.slices import SLICE_COLUMNS, slice_keys

#: Where a training run logs its fingerprint (``mlflow.log_dict``), read back by ``promote``.
FINGERPRINT_ARTIFACT = "training_set/fingerprint.json"
_SPACE = re.compile(r"\s+")


def content_hash(ticket: Ticket) -> str:
    """Hash of the conversation's customer and bot turns, normalised (Unicode NFKC, case, whitespace).

    Two tickets with the same conversation under different ids (a re-import, a copied file) hash alike.

        >>> from ticketbuddy.schemas import Ticket
        >>> a = Ticket(ticket_id="A", channel="chat", created_at="2026-01-01T00:00:00Z",
        ...            messages=[{"role": "customer", "text": "Where is my  PARCEL?"}])
        >>> b = a.model_copy(update={"ticket_id": "B", "messages": [
        ...     a.messages[0].model_copy(update={"text": "where is my parcel?"})]})
        >>> content_hash(a) == content_hash(b)
        True
    """
    turns = [
        f"{m.role}:{_SPACE.sub(' ', unicodedata.normalize('NFKC', m.text).casefold()).strip()}"
        for m in ticket.messages
        if m.role in ("customer", "bot")
    ]
    return hashlib.sha256("\x1f".join(turns).encode("utf-8")).hexdigest()[:16]


def id_hash(ticket_id: str) -> str:
    """Hash of a ticket id: ids may carry personal data (an e-mail address, an order number).

    >>> id_hash("T-1") == id_hash("T-1") != id_hash("T-2")
    True
    """
    return hashlib.sha256(ticket_id.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Fingerprint:
    """Hashes of the ticket ids and conversations of a training set: enough to detect overlap, no text.

    ``ids`` holds ``id_hash`` of each ticket id; a fingerprint logged before ids were hashed (key
    ``ticket_ids``) is hashed when read back, so ``promote`` still checks older versions.
    """

    ids: frozenset[str]
    hashes: frozenset[str]

    @classmethod
    def of(cls, tickets: Iterable[Ticket]) -> Fingerprint:
        """The fingerprint of ``tickets``."""
        rows = list(tickets)
        return cls(frozenset(id_hash(t.ticket_id) for t in rows), frozenset(content_hash(t) for t in rows))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form logged with the run (sorted, so the same set logs the same bytes)."""
        return {"ticket_id_hashes": sorted(self.ids), "content_hashes": sorted(self.hashes)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Fingerprint:
        """Read back what ``to_dict`` wrote (or an older fingerprint with the ids themselves)."""
        if "ticket_id_hashes" in raw:
            ids = frozenset(raw["ticket_id_hashes"])
        else:
            ids = frozenset(id_hash(i) for i in raw["ticket_ids"])
        return cls(ids, frozenset(raw["content_hashes"]))

    def overlap(self, tickets: Sequence[Ticket]) -> tuple[int, int]:
        """How many of ``tickets`` share an id, and how many share a conversation, with this set."""
        ids = sum(id_hash(t.ticket_id) in self.ids for t in tickets)
        same = sum(content_hash(t) in self.hashes for t in tickets)
        return ids, same


def slice_rows(tickets: Sequence[Ticket], specs: Sequence[str], policy: Policy) -> dict[str, int]:
    """Rows of each ``column=value`` slice spec in ``tickets`` (-1 for a column slices do not know)."""
    keys = slice_keys(tickets, PolicyEngine(policy))
    counts = {}
    for spec in specs:
        column, _, value = spec.partition("=")
        counts[spec] = int((keys[column] == value).sum()) if column in SLICE_COLUMNS else -1
    return counts


def gate_data_problems(
    gate: Sequence[Ticket], training: Fingerprint | None, promotion: PromotionParams, policy: Policy
) -> list[str]:
    """Why ``gate`` cannot judge a candidate trained on ``training``; empty when it can.

    A slice named in ``promotion.slices`` with too few rows is a refusal, not a silent pass: the gate
    would otherwise promote a model nobody measured on, say, the VIP customers. Any overlap with the
    training data is a refusal too: a model scores well on tickets it has seen. ``training`` None
    means the candidate's training data is unknown, which is itself a refusal.
    """
    if not gate:
        return ["the gate data is empty"]
    problems = []
    for spec, rows in slice_rows(gate, promotion.slices, policy).items():
        if rows < 0:
            problems.append(f"slice {spec}: unknown slice column (known: {', '.join(SLICE_COLUMNS)})")
        elif rows < promotion.min_slice_rows:
            problems.append(
                f"the gate data has {rows} rows of slice {spec} (minimum {promotion.min_slice_rows})"
            )
    if training is None:
        problems.append("the candidate's training set is unknown (no fingerprint logged with its run)")
        return problems
    ids, same = training.overlap(gate)
    if ids:
        problems.append(f"{ids} of {len(gate)} gate tickets share a ticket id with the training set")
    if same:
        problems.append(f"{same} of {len(gate)} gate tickets share a conversation (content hash) with it")
    return problems
