"""What fired in a ticket is worked out once per process and families, and never leaks between them."""

import pytest

from ticketbuddy.features import complexity as complexity_module
from ticketbuddy.features import sentiment as sentiment_module
from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.encoder import OnnxEncoder
from ticketbuddy.features.memo import Memo
from ticketbuddy.features.semantic import SemanticMatcher, SentenceEncoder
from ticketbuddy.features.sentiment import message_sentiment
from ticketbuddy.features.triggers import FOUND_MEMO, TriggerFinder, TriggerSpec

LEGAL = TriggerSpec(("lawyer",), ("I am going to sue you", "I will take you to court"), threshold=0.4)
OTHERS = ("where is my parcel", "thanks for your help", "what are your opening hours")
STRICT = TriggerSpec(LEGAL.keywords, LEGAL.examples, threshold=0.999)
TICKET = ["My parcel is late again.", "Honestly I will sue your company over this, my lawyer agrees."]


def counted(monkeypatch) -> dict[str, int]:
    """How often the encoder and the family scores run from now on (nothing kept from earlier).

    The families' matchers are built (their examples embedded) first.
    """
    for spec in (LEGAL, STRICT):
        TriggerFinder({"legal": spec}, others=OTHERS).matcher()
    SentenceEncoder.forget()
    calls = {"encode": 0, "matches": 0}
    encode, matches = OnnxEncoder.encode, SemanticMatcher.matches

    def counting_encode(self, texts, batch_size=32):
        calls["encode"] += 1
        return encode(self, texts, batch_size)

    def counting_matches(self, vectors, *args):
        calls["matches"] += 1
        return matches(self, vectors, *args)

    monkeypatch.setattr(OnnxEncoder, "encode", counting_encode)
    monkeypatch.setattr(SemanticMatcher, "matches", counting_matches)
    return calls


def test_a_second_finder_with_the_same_families_reuses_the_first_s_findings(monkeypatch):
    calls = counted(monkeypatch)
    first = TriggerFinder({"legal": LEGAL}, others=OTHERS).find_many([TICKET])[0]
    assert calls == {"encode": 1, "matches": 1}
    again = TriggerFinder({"legal": LEGAL}, others=OTHERS).find_many([TICKET, ["thanks for your help"]])
    assert calls == {"encode": 2, "matches": 2}  # only the new ticket was worked out
    assert again[0].families == first.families == {"legal": ["lawyer"]}
    assert again[0].semantic == first.semantic and again[0].similarity == first.similarity
    assert (again[0].vectors == first.vectors).all()
    assert again[1].families == {}


def test_other_families_or_keywords_only_are_worked_out_afresh(monkeypatch):
    calls = counted(monkeypatch)
    TriggerFinder({"legal": LEGAL}, others=OTHERS).find_many([TICKET])
    assert "legal" not in TriggerFinder({"legal": STRICT}, others=OTHERS).find_many([TICKET])[0].semantic
    assert calls["matches"] == 2
    plain = TriggerFinder({"legal": LEGAL}, others=OTHERS, semantic=False).find_many([TICKET])[0]
    assert plain.families == {"legal": ["lawyer"]} and plain.semantic == {}
    assert calls["matches"] == 2


def test_changing_a_returned_finding_does_not_change_the_next_answer(monkeypatch):
    counted(monkeypatch)
    finder = TriggerFinder({"legal": LEGAL}, others=OTHERS)
    found = finder.find_many([TICKET])[0]
    found.keywords.clear()
    found.semantic.clear()
    assert finder.find_many([TICKET])[0].families == {"legal": ["lawyer"]}
    assert "legal" in finder.find_many([TICKET])[0].semantic


def test_forgetting_the_sentences_forgets_the_findings(monkeypatch):
    calls = counted(monkeypatch)
    finder = TriggerFinder({"legal": LEGAL}, others=OTHERS)
    finder.find_many([TICKET])
    SentenceEncoder.forget()
    finder.find_many([TICKET])
    assert calls == {"encode": 2, "matches": 2}


def test_the_memory_is_bounded():
    assert FOUND_MEMO.size > 0
    finder = TriggerFinder({"legal": TriggerSpec(("lawyer",))}, semantic=False)
    finder.find_many([[f"ticket {i}"] for i in range(FOUND_MEMO.size + 5)])
    assert len(FOUND_MEMO) == FOUND_MEMO.size


def test_a_message_s_sentiment_is_computed_once_per_process(monkeypatch):
    SentenceEncoder.forget()
    scored: list[str] = []
    vader = sentiment_module.vader_sentiment
    monkeypatch.setattr(sentiment_module, "vader_sentiment", lambda text: scored.append(text) or vader(text))
    score = message_sentiment("This is the third time I have asked and nobody answers")
    assert message_sentiment("This is the third time I have asked and nobody answers") == score < 0
    assert len(scored) == 1
    SentenceEncoder.forget()  # forgetting the sentences forgets the scores too
    message_sentiment("This is the third time I have asked and nobody answers")
    assert len(scored) == 2


def test_room_for_a_test_set_widens_the_memos_for_the_block_only(monkeypatch):
    base = FOUND_MEMO.size
    finder = TriggerFinder({"legal": TriggerSpec(("lawyer",))}, semantic=False)
    tickets = [[f"room ticket {i}"] for i in range(base + 50)]
    with Memo.room_for(base + 50):
        assert FOUND_MEMO.size == base + 50 and sentiment_module._SCORES.size == 8 * (base + 50)
        finder.find_many(tickets)
        assert len(FOUND_MEMO) == base + 50
        with Memo.room_for(10):  # a narrower block inside keeps the wider room
            assert FOUND_MEMO.size == base + 50
    assert FOUND_MEMO.size == base and len(FOUND_MEMO) == base
    worked: list[int] = []
    find = TriggerFinder._find
    monkeypatch.setattr(
        TriggerFinder, "_find", lambda self, batch, m: worked.append(len(batch)) or find(self, batch, m)
    )
    finder.find_many([tickets[-1]])
    assert worked == []  # the newest stayed
    finder.find_many([tickets[0]])
    assert worked == [1]  # the oldest went


def test_a_conversation_s_complexity_is_worked_out_once_and_copies_are_handed_out(monkeypatch):
    SentenceEncoder.forget()
    worked: list[int] = []
    figures = complexity_module._figures
    monkeypatch.setattr(
        complexity_module, "_figures", lambda turns, encoder: worked.append(1) or figures(turns, encoder)
    )
    turns = [Turn("customer", "My order #11111 is late."), Turn("bot", "Please wait."),
             Turn("customer", "Order #22222 is broken too.")]  # fmt: skip
    first = complexity_module.complexity(turns, SentenceEncoder())
    first["references"] = 99.0
    again = complexity_module.complexity(turns, SentenceEncoder())
    assert again["references"] == 2.0 and len(worked) == 1
    complexity_module.complexity(turns[:1], SentenceEncoder())
    assert len(worked) == 2


def test_a_batch_of_tickets_finds_what_each_ticket_finds_alone():
    tickets = [TICKET, ["thanks for your help"], ["My lawyer will call you.", "Where is my parcel?"], []]
    finder = TriggerFinder({"legal": LEGAL}, others=OTHERS)
    SentenceEncoder.forget()
    together = finder.find_many(tickets)
    for ticket, batched in zip(tickets, together, strict=True):
        SentenceEncoder.forget()
        alone = finder.find_many([ticket])[0]
        assert alone.families == batched.families and alone.sentences == batched.sentences
        assert alone.similarity.keys() == batched.similarity.keys()
        for name, value in alone.similarity.items():
            assert abs(value - batched.similarity[name]) < 0.02  # the int8 encoder's batch dependence


def test_restoring_the_sentence_vectors_keeps_exactly_those_and_forgets_the_findings(monkeypatch):
    calls = counted(monkeypatch)
    finder = TriggerFinder({"legal": LEGAL}, others=OTHERS)
    finder.find_many([TICKET])
    kept = SentenceEncoder.kept()
    finder.find_many([["A new sentence nobody wrote before."]])
    SentenceEncoder.restore(kept)
    assert SentenceEncoder.kept().keys() == kept.keys() and len(FOUND_MEMO) == 0
    finder.find_many([TICKET])  # its vectors are back: the matcher runs again, the encoder does not
    assert calls == {"encode": 2, "matches": 3}


def test_the_engine_finds_a_batch_of_tickets_in_one_call_and_decides_as_one_by_one(monkeypatch):
    """Evaluation decides thousands of tickets: ``facts_many`` embeds and scores them in one batch."""
    from ticketbuddy.policy import engine as engine_module
    from ticketbuddy.policy.engine import PolicyEngine
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.schemas import Ticket

    texts = [TICKET, ["Where is my parcel?"], ["I want to speak to a real person now", "nobody helps"]]
    tickets = [
        Ticket.model_validate(
            {"ticket_id": f"t{i}", "channel": "chat", "created_at": "2026-11-20T10:00:00Z", "customer": {},
             "messages": [{"role": "customer", "text": t} for t in turns]}
        )
        for i, turns in enumerate(texts)
    ]  # fmt: skip
    engine = PolicyEngine(load_policy())
    engine.finder.matcher()
    SentenceEncoder.forget()
    calls = {"find": 0}
    find = TriggerFinder._find

    def counting_find(self, batch, matcher):
        calls["find"] += 1
        return find(self, batch, matcher)

    monkeypatch.setattr(TriggerFinder, "_find", counting_find)
    together = engine.facts_many(tickets, [0.9, 0.01, 0.5], 0.4, [None, None, None])
    assert calls["find"] == 1
    FOUND_MEMO.clear()  # findings and vectors go: one by one, each ticket is embedded and found
    complexity_module._FIGURES.clear()  # again on its own, and comes out the same (the encoder's
    SentenceEncoder.forget()  # vectors do not depend on their batch-mates, features/per_token.py)
    alone = [engine.facts(t, p, 0.4) for t, p in zip(tickets, [0.9, 0.01, 0.5], strict=True)]
    assert calls["find"] == 4
    for a, b in zip(together, alone, strict=True):
        assert (a.triggers, a.semantic.keys(), a.complexity, a.sentiment) == (
            b.triggers, b.semantic.keys(), b.complexity, b.sentiment
        )  # fmt: skip
        for family, hit in a.semantic.items():
            assert hit.similarity == pytest.approx(b.semantic[family].similarity, abs=1e-6)
            assert hit.score == pytest.approx(b.semantic[family].score, abs=1e-6)
        assert engine.decide(a) == engine.decide(b)
    FOUND_MEMO.clear()
    monkeypatch.setattr(engine_module, "FACTS_BATCH", 2)  # three tickets: two batches, same facts
    chunked = engine.facts_many(tickets, [0.9, 0.01, 0.5], 0.4, [None, None, None])
    assert calls["find"] == 6
    assert [engine.decide(f) for f in chunked] == [engine.decide(f) for f in together]
