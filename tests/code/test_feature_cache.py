"""Trigger findings and complexity figures kept with the embeddings: read back on a retrain, never stale."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ticketbuddy.features import complexity as complexity_module
from ticketbuddy.features import embedding_cache, feature_cache
from ticketbuddy.features.complexity import Complexity
from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.memo import Memo
from ticketbuddy.features.triggers import FOUND_MEMO, Found, TriggerFinder, TriggerSignals, TriggerSpec
from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.policy.model import load_policy
from ticketbuddy.schemas import Ticket

CONVERSATIONS = [
    [Turn("customer", "I want a refund. My order #1234 never came."), Turn("bot", "Sorry about that.")],
    [Turn("customer", "get me an actual person"), Turn("bot", "Let me help."), Turn("customer", "no. a person.")],
    [Turn("customer", "my lawyer will be in touch about the burn on my arm")],
    [Turn("customer", "I'm a nurse doing nights at the hospital, can I book a late slot?")],
    [Turn("customer", "thanks, all sorted")],
]  # fmt: skip


def _tickets(conversations=CONVERSATIONS) -> pd.Series:
    return pd.Series([list(c) for c in conversations])


def _triggers(families=None) -> TriggerSignals:
    policy = load_policy()
    return TriggerSignals(families or policy.trigger_specs(), others=policy.other_examples).fit(None)


def _refuse(*args, **kwargs):
    raise AssertionError("worked out again: what was kept was not read back")


@pytest.fixture(autouse=True)
def _forget():
    """Every test starts with empty memos, so only the disk can spare the work."""
    Memo.forget_all()
    yield
    Memo.forget_all()


@pytest.mark.parametrize(
    ("make", "work"),
    [(_triggers, (TriggerFinder, "_find")), (Complexity, (complexity_module, "_worked_out"))],
    ids=["triggers", "complexity"],
)
def test_kept_features_are_the_very_features_computed_and_are_read_back(tmp_path, monkeypatch, make, work):
    X = _tickets([*CONVERSATIONS, CONVERSATIONS[0]])  # a repeat is worked out once, answered twice
    plain = make().transform(X)  # the cache off: the service's path
    Memo.forget_all()
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        first = make().transform(X)
    Memo.forget_all()
    monkeypatch.setattr(*work, _refuse)
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite") as cache:
        again = make().transform(X)
        assert cache.misses == 0  # not even a sentence embedded
    assert np.array_equal(first, plain) and np.array_equal(again, plain)  # bit for bit
    assert np.array_equal(again[0], again[-1])


def test_findings_read_back_are_what_the_policy_decides_on(tmp_path, monkeypatch):
    """The policy's facts (families, evidence, veto, complexity) from kept findings equal fresh ones."""
    engine = PolicyEngine(load_policy())
    tickets = [
        Ticket.model_validate(
            {
                "ticket_id": f"t{i}",
                "channel": "chat",
                "created_at": "2026-11-01T10:00:00Z",
                "messages": [{"role": t.role, "text": t.text} for t in turns],
            }
        )
        for i, turns in enumerate(CONVERSATIONS)
    ]
    fresh = engine.facts_many(tickets, [0.5] * len(tickets), 0.4, [None] * len(tickets))
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        Memo.forget_all()
        engine.facts_many(tickets, [0.5] * len(tickets), 0.4, [None] * len(tickets))
    Memo.forget_all()
    monkeypatch.setattr(TriggerFinder, "_find", _refuse)
    monkeypatch.setattr(complexity_module, "_worked_out", _refuse)
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        kept = engine.facts_many(tickets, [0.5] * len(tickets), 0.4, [None] * len(tickets))
    assert kept == fresh
    assert [engine.decide(f) for f in kept] == [engine.decide(f) for f in fresh]
    assert any(f.semantic for f in kept) and any(f.vetoed or f.triggers for f in kept)


def test_found_survives_its_bytes():
    finder = TriggerFinder(load_policy().trigger_specs(), others=load_policy().other_examples)
    for found in finder.find_many([[t.text for t in c if t.role == "customer"] for c in CONVERSATIONS]):
        back = Found.from_bytes(found.to_bytes())
        assert (back.keywords, back.semantic, back.similarity, back.vetoed, back.no_family) == (
            found.keywords, found.semantic, found.similarity, found.vetoed, found.no_family
        )  # fmt: skip


def test_other_families_find_their_own(tmp_path):
    X = _tickets()
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        shipped = _triggers().transform(X)
        with_keywords = _triggers({"refund": ["refund"], "legal": ["lawyer"]}).transform(X)
    assert with_keywords.shape == (len(CONVERSATIONS), 3)  # two families' counts, families fired
    assert with_keywords[:, 0].tolist() == [0, 0, 1, 0, 0]  # legal: "lawyer" in the third ticket
    assert with_keywords[:, 1].tolist() == [1, 0, 0, 0, 0]
    assert shipped.shape[1] > 3


def test_a_change_to_the_code_works_everything_out_afresh(tmp_path, monkeypatch):
    X = _tickets()
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        Complexity().transform(X)
    Memo.forget_all()
    calls = []
    original = complexity_module._worked_out

    def counted(conversations, encoder):
        calls.append(len(conversations))
        return original(conversations, encoder)

    monkeypatch.setattr(complexity_module, "_worked_out", counted)
    monkeypatch.setattr(feature_cache, "code_digest", lambda: "edited")
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        Complexity().transform(X)
    assert calls == [len(CONVERSATIONS)]


def test_the_code_digest_reads_the_package_source(tmp_path):
    for path in sorted(Path(feature_cache.__file__).parent.glob("*.py")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert feature_cache.source_digest(tmp_path) == feature_cache.code_digest()
    edited = tmp_path / "complexity.py"
    edited.write_text(edited.read_text() + "\n# a comment\n")
    assert feature_cache.source_digest(tmp_path) != feature_cache.code_digest()


def test_inside_the_cache_block_the_disk_answers_not_a_memo_entry_made_outside_it(tmp_path):
    """A finding the memo got elsewhere must not stand beside the one the disk keeps for the ticket."""
    finder = TriggerFinder({"refund": TriggerSpec(("refund",))}, semantic=False)
    texts = ["I want a refund please"]
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        assert finder.find_many([texts])[0].keywords == {"refund": ["refund"]}
    key = next(iter(FOUND_MEMO.snapshot()))
    FOUND_MEMO.put(key, Found(keywords={"refund": ["planted"]}))
    assert finder.find_many([texts])[0].keywords == {"refund": ["planted"]}  # outside: the memo
    with embedding_cache.embedding_cache(tmp_path / "c.sqlite"):
        assert finder.find_many([texts])[0].keywords == {"refund": ["refund"]}  # inside: the disk
