import numpy as np
import pandas as pd
import pytest

from ticketbuddy.features.conversation import TicketParser, Turn, tickets_to_frame
from ticketbuddy.features.customer import customer_value_features
from ticketbuddy.features.sentiment import SentimentTrajectory, message_sentiment, trajectory
from ticketbuddy.features.shape import conversation_shape
from ticketbuddy.features.triggers import KeywordMatcher, TriggerSignals
from ticketbuddy.schemas import Ticket


def make(ticket_id="t", customer=None, messages=None):
    return Ticket.model_validate(
        {
            "ticket_id": ticket_id,
            "channel": "email",
            "created_at": "2026-11-01T09:00:00Z",
            "customer": customer or {},
            "messages": messages or [{"role": "customer", "text": "hello"}],
        }
    )


def test_matcher_respects_word_boundaries_case_and_apostrophes():
    m = KeywordMatcher({"legal": ["sue you", "lawyer"], "human": ["don't want a bot"]})
    assert m.find("There is an ISSUE with my order") == {}
    assert m.find("My LAWYER will be in touch") == {"legal": ["lawyer"]}
    assert m.find("I  don’t   want a bot") == {"human": ["don't want a bot"]}


def test_trigger_signals_count_customer_turns_only():
    X = pd.Series([[Turn("customer", "I want a refund"), Turn("bot", "refund policy: legal text")]])
    t = TriggerSignals({"refund": ["refund"], "legal": ["legal"]}).fit(X)
    assert t.get_feature_names_out().tolist() == ["trigger_legal", "trigger_refund", "trigger_families_fired"]
    assert t.transform(X).tolist() == [[0.0, 1.0, 1.0]]


def test_trajectory_figures():
    f = trajectory([0.5, 0.2, -0.6])
    assert f["first"] == 0.5 and f["last"] == -0.6 and f["min"] == -0.6
    assert f["largest_drop"] == pytest.approx(0.8)
    assert f["slope"] < 0 and f["n_negative"] == 1
    single = trajectory([0.3])
    assert single["slope"] == 0.0 and single["largest_drop"] == 0.0
    assert trajectory([])["last"] == 0.0


def test_sentiment_orders_obvious_cases():
    assert message_sentiment("Thanks so much, that fixed it, great service!") > 0.3
    assert message_sentiment("This is terrible, I am furious and disgusted") < -0.3


def test_sentiment_transformer_reads_customer_turns():
    X = pd.Series([[Turn("customer", "I love it"), Turn("bot", "awful awful awful")]])
    row = SentimentTrajectory().fit(X).transform(X)[0]
    assert row[0] > 0  # first customer turn is positive; the bot's words are ignored


def test_shape_counts_repeat_contact_after_bot():
    turns = [
        Turn("customer", "a"),
        Turn("bot", "b"),
        Turn("customer", "c"),
        Turn("bot", "d"),
        Turn("customer", "WHY!!"),
    ]
    shape = conversation_shape(turns)
    assert shape["customer_turns"] == 3 and shape["bot_turns"] == 2
    assert shape["customer_turns_after_bot"] == 2
    assert shape["exclamations"] == 2
    assert shape["caps_share"] > 0.5


def test_parser_fills_missing_columns_and_missing_customer_fields():
    frame = tickets_to_frame([make(customer={"tier": "Gold"}), make("u")])
    parsed = TicketParser().fit_transform(frame)
    assert parsed["tier"].tolist() == ["gold", "missing"]
    assert np.isnan(parsed.loc[0, "lifetime_value"])
    bare = pd.DataFrame(
        {"ticket_id": ["x"], "channel": ["chat"], "messages": ['[{"role":"customer","text":"hi"}]']}
    )
    out = TicketParser().fit_transform(bare)
    assert out.loc[0, "messages"] == [Turn("customer", "hi")]
    assert np.isnan(out.loc[0, "tenure_days"])


def test_customer_value_imputes_with_indicators_and_ignores_unknown_tiers():
    train = TicketParser().fit_transform(
        tickets_to_frame(
            [
                make("a", {"tier": "gold", "lifetime_value": 100.0}),
                make("b", {"tier": "vip", "lifetime_value": None}),
            ]
        )
    )
    ct = customer_value_features().fit(train)
    names = ct.get_feature_names_out().tolist()
    assert "value__missingindicator_lifetime_value" in names
    unseen = TicketParser().fit_transform(tickets_to_frame([make("c", {"tier": "platinum"})]))
    row = ct.transform(unseen)[0]
    tier_cols = [i for i, n in enumerate(names) if n.startswith("tier__")]
    assert row[tier_cols].sum() == 0  # unknown tier: no column set, no error
    assert row[names.index("value__missingindicator_lifetime_value")] == 1


def test_embedding_cache_stores_and_reuses_vectors(tmp_path):
    from ticketbuddy.features.embedding_cache import EmbeddingCache, active, embedding_cache

    calls = []

    def fake_encode(texts):
        calls.append(list(texts))
        return np.asarray([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path / "e.sqlite")
    first = cache.encode("v1", ["a", "bb"], fake_encode)
    again = cache.encode("v1", ["bb", "ccc", "a"], fake_encode)
    assert calls == [["a", "bb"], ["ccc"]]
    assert again.tolist() == [[2, 1], [3, 1], [1, 1]] and first.tolist() == [[1, 1], [2, 1]]
    cache.encode("v2", ["a"], fake_encode)  # another encoder never reuses v1's vectors
    assert calls[-1] == ["a"] and (cache.hits, cache.misses) == (2, 4)
    with embedding_cache(tmp_path / "f.sqlite") as switched:
        assert active() is switched
    assert active() is None


def test_word_score_is_cross_fitted_on_training_data():
    from ticketbuddy.features.words import WordScore

    rng = np.random.default_rng(0)
    angry = ["this is a disgrace i want my money back", "third time asking, sort it out now"]
    calm = ["what time do you open", "thanks for the quick delivery"]
    texts, y = [], []
    for i in range(80):
        bad = i % 2 == 0
        texts.append(f"{rng.choice(angry if bad else calm)} order {i}")
        y.append(int(bad))
    X = pd.Series([[Turn("customer", t)] for t in texts])
    scorer = WordScore(cv=4)
    oof = scorer.fit_transform(X, np.array(y))
    full = scorer.transform(X)
    assert oof.shape == (80, 1) and scorer.get_feature_names_out().tolist() == ["word_score"]
    assert not np.allclose(oof, full)  # training tickets are scored by models that did not see them
    assert oof[np.array(y) == 1].mean() > oof[np.array(y) == 0].mean()
    new = pd.Series(
        [[Turn("customer", "i want my money back, a disgrace")], [Turn("customer", "what time do you open")]]
    )
    assert scorer.transform(new)[0, 0] > scorer.transform(new)[1, 0]
    with pytest.raises(ValueError, match="labels"):
        WordScore().fit(X, None)
