"""Trigger families heard by meaning: keywords as typed, examples, evidence, and the policy's use of them."""

import pickle

import pandas as pd
import pytest
import yaml

from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.keywords import KeywordMatcher
from ticketbuddy.features.semantic import match_units, split_sentences
from ticketbuddy.features.triggers import TriggerFinder, TriggerSignals, TriggerSpec
from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.policy.model import PolicyError, default_policy_path, load_policy
from ticketbuddy.schemas import Ticket


def ticket(*texts: str, tier: str = "standard") -> Ticket:
    roles = ["customer", "bot"]
    return Ticket.model_validate(
        {
            "ticket_id": "t",
            "channel": "chat",
            "created_at": "2026-11-01T09:00:00Z",
            "customer": {"tier": tier},
            "messages": [{"role": roles[i % 2], "text": t} for i, t in enumerate(texts)],
        }
    )


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(load_policy())


@pytest.mark.parametrize(
    ("text", "family", "keyword"),
    [
        ("I was REFUNDED the wrong amount", "refund", "refund"),
        ("still waiting on my refnd", "refund", "refund"),
        ("they're overchargeing me", "refund", "overcharged"),
        ("my lawyers have the letter", "legal", "lawyer"),
        ("my acount was hackd last night", "fraud", "hacked"),
        ("the courts will decide - see you in 'small claims'", "legal", "small claims"),
    ],
)
def test_keywords_match_inflections_misspellings_and_quotes(text, family, keyword):
    found = KeywordMatcher(load_policy().keyword_families()).find(text)
    assert keyword in found.get(family, []), found


@pytest.mark.parametrize("text", ["count me in", "my broker called", "there is an issue with my login"])
def test_real_english_words_are_not_read_as_misspelt_keywords(text):
    assert KeywordMatcher({"legal": ["court"], "technical": ["broken"], "x": ["sue you"]}).find(text) == {}


@pytest.mark.parametrize(
    "text", ["I will sue", "I'm going to sue your company", "you'll be hearing from my legal team"]
)
def test_the_shipped_legal_family_catches_the_everyday_forms(engine, text):
    decision = engine.decide(engine.facts(ticket(text), probability=0.01, threshold=0.5))
    assert decision.escalate and decision.route == "legal_compliance"
    assert "trigger.legal" in [r.code for r in decision.reasons]


def test_a_semantic_hit_names_the_sentence_the_example_and_the_similarity(engine):
    text = "Thanks for nothing. Could somebody from your team actually phone me back today?"
    facts = engine.facts(ticket(text), probability=0.01, threshold=0.5)
    assert "human_request" in facts.triggers and facts.triggers["human_request"] == []
    hit = facts.semantic["human_request"]
    assert hit.sentence == "Could somebody from your team actually phone me back today?"
    assert hit.example in load_policy().triggers["human_request"].examples
    reason = next(r for r in engine.decide(facts).reasons if r.code == "trigger.human_request")
    assert hit.sentence in reason.detail and hit.example in reason.detail and "similarity" in reason.detail


def test_keywords_only_misses_what_the_examples_hear():
    policy = load_policy()
    text = "Could somebody from your team actually phone me back today?"
    with_examples = PolicyEngine(policy).facts(ticket(text), 0.01, 0.5)
    keywords_only = PolicyEngine(policy, semantic=False).facts(ticket(text), 0.01, 0.5)
    assert "human_request" in with_examples.triggers and "human_request" not in keywords_only.triggers


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, what time do you open?",
        "This is absolutely awful and useless, I hate it",
        "Sorry to bother you, can I change the colour of my order?",
    ],
)
def test_calm_or_merely_unhappy_lines_fire_no_family(engine, text):
    assert engine.facts(ticket(text), 0.01, 0.5).triggers == {}


def test_examples_are_told_from_the_other_examples():
    spec = TriggerSpec(("lawyer",), ("I am going to sue you", "I will take you to court"))
    alone = TriggerFinder({"legal": spec}).find_many([["I am going to the shop"]])[0]
    others = ["I am going to the shop later", "where is my parcel"]
    told_apart = TriggerFinder({"legal": spec}, others=others).find_many([["I am going to the shop"]])[0]
    assert told_apart.similarity["legal"] < alone.similarity["legal"]
    assert "legal" not in told_apart.semantic


def test_sentences_and_clauses():
    assert split_sentences(["One. Two!\nThree - four"]) == ["One.", "Two!", "Three", "four"]
    long = " ".join(["word"] * 80)
    assert all(len(s.split()) <= 32 for s in split_sentences([long]))
    units = match_units(["I waited three weeks for this, and if nobody replies my solicitor will call"])
    assert "if nobody replies my solicitor will call" in units


def test_trigger_signals_give_scores_and_families_fired_and_pickle_without_the_matcher():
    policy = load_policy()
    X = pd.Series([[Turn("customer", "get me an actual human being on the phone")], [Turn("customer", "hi")]])
    step = TriggerSignals(policy.trigger_specs(), others=policy.other_examples).fit(X)
    names = step.get_feature_names_out().tolist()
    rows = step.transform(X)
    assert rows[0, names.index("trigger_human_request_similarity")] > 0.5
    assert rows[1, names.index("trigger_human_request_similarity")] < 0.2
    assert (
        rows[0, names.index("trigger_families_fired")] >= 1
        and rows[1, names.index("trigger_families_fired")] == 0
    )
    copy = pickle.loads(pickle.dumps(step))
    assert "_finder" not in copy.__dict__
    assert (copy.transform(X) == rows).all()


def test_a_family_needs_keywords_or_examples(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["triggers"]["refund"].update(keywords=[], examples=[])
    bad = tmp_path / "policy.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(PolicyError, match="triggers.refund.*keywords or examples"):
        load_policy(bad)


def test_the_agent_summary_quotes_the_sentence_that_meant_a_family(engine):
    from ticketbuddy.handoff.summary import summarise

    t = ticket("Thanks for nothing. Could somebody from your team actually phone me back today?")
    summary = summarise(t, engine.facts(t, probability=0.9, threshold=0.5))
    assert "human_request (“Could somebody from your team actually phone me back today?”)" in summary.text


def test_a_sentence_unlike_every_example_scores_nothing_however_sure_the_classifier():
    loose = TriggerSpec((), ("I am going to sue you", "I will take you to court"), min_similarity=-1.0)
    strict = TriggerSpec((), loose.examples, min_similarity=0.9)
    others = ["where is my parcel", "thanks for your help"]
    text = [["Is the Leeds store open on Sunday?"]]
    assert TriggerFinder({"legal": loose}, others=others).find_many(text)[0].similarity["legal"] > 0.0
    assert TriggerFinder({"legal": strict}, others=others).find_many(text)[0].similarity["legal"] == 0.0


HUMAN = ("let me talk to a real person", "I want to speak to a human agent", "put me through to a person")
ROUTINE = (
    "what are your opening hours",
    "do you deliver on Sundays",
    "I don't need anyone, just tell me the opening hours",
    "can I pay by bank transfer",
    "thanks for your help",
)


def test_a_keyword_in_a_sentence_that_reads_as_no_family_is_vetoed_and_kept_aside():
    spec = TriggerSpec(("real person",), HUMAN, no_family_veto=0.6)
    finder = TriggerFinder({"human": spec}, others=ROUTINE)
    calm = finder.find_many([["What are your opening hours, real person or not?"]])[0]
    asked = finder.find_many([["Please, I want a real person now."]])[0]
    assert "human" not in calm.keywords and calm.vetoed == {"human": ["real person"]}
    assert asked.keywords == {"human": ["real person"]}
    unvetoed = TriggerFinder({"human": TriggerSpec(("real person",), HUMAN)}, others=ROUTINE)
    assert unvetoed.find_many([["What are your opening hours, real person or not?"]])[0].keywords


def test_a_clause_fires_only_when_its_whole_sentence_does_not_read_as_no_family():
    text = "I don't need to talk to a real person, just tell me your opening hours on Sunday please"
    vetoed = TriggerFinder(
        {"human": TriggerSpec((), HUMAN, threshold=0.3, no_family_veto=0.5)}, others=ROUTINE
    )
    plain = TriggerFinder({"human": TriggerSpec((), HUMAN, threshold=0.3)}, others=ROUTINE)
    units = match_units([text])
    assert "I don't need to talk to a real person" in units  # the clause alone looks like a request
    found, unguarded = vetoed.find_many([[text]])[0], plain.find_many([[text]])[0]
    assert found.no_family >= 0.5
    assert "human" not in found.semantic
    assert unguarded.semantic["human"].sentence == "I don't need to talk to a real person"


def test_an_angry_sentence_does_not_veto_what_its_clauses_ask_for(engine, tmp_path):
    from ticketbuddy.policy.drift import triggers_digest

    angry = "This is awful, I am furious, nobody helps me and I want a refund now."
    calm = "I don't need to talk to a real person, just tell me your opening hours on Sunday please"
    raw = yaml.safe_load(default_policy_path().read_text())
    assert raw.pop("no_family_veto_min_sentiment") < 0
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    every_sentence_vetoes = load_policy(path)
    facts = engine.facts(ticket(angry), None, None)
    vetoed = PolicyEngine(every_sentence_vetoes).facts(ticket(angry), None, None)
    assert vetoed.no_family >= every_sentence_vetoes.no_family_veto  # it reads as no family as a whole
    assert "refund" not in vetoed.triggers
    assert "refund" in facts.triggers  # the clause "nobody helps me and I want a refund now" fires
    assert "human_request" not in engine.facts(ticket(calm), None, None).triggers  # calm still vetoes
    assert triggers_digest(every_sentence_vetoes) != triggers_digest(engine.policy)


def test_a_keep_rule_keeps_a_routine_message_the_model_would_escalate(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["keep_rules"] = [{"name": "routine-message", "when": {"min_no_family": 0.5, "max_probability": 0.3}}]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    engine = PolicyEngine(load_policy(path))
    routine = engine.facts(ticket("Do you deliver on Sundays?"), probability=0.2, threshold=0.1)
    assert routine.no_family >= 0.5
    decision = engine.decide(routine)
    assert not decision.escalate
    assert [r.code for r in decision.reasons][-1] == "keep.routine-message"
    assert "reads as no trigger family" in decision.reasons[-1].detail
    sure = engine.decide(engine.facts(ticket("Do you deliver on Sundays?"), probability=0.5, threshold=0.1))
    assert sure.escalate  # above max_probability the model is trusted
    person = engine.decide(
        engine.facts(ticket("I want to talk to a real person"), probability=0.2, threshold=0.1)
    )
    assert person.escalate  # a family fired: keep rules never override it


def test_a_keep_rule_naming_an_unknown_family_is_refused(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["keep_rules"] = [{"name": "odd", "when": {"triggers_any": ["nonesuch"]}}]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PolicyError, match="nonesuch"):
        load_policy(path)


def test_a_family_s_own_veto_overrides_the_policy_s_and_reaches_the_matcher_and_the_digest(tmp_path):
    from ticketbuddy.policy.drift import triggers_digest

    raw = yaml.safe_load(default_policy_path().read_text())
    shipped = load_policy()
    raw["triggers"]["legal"]["no_family_veto"] = 0.95
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    policy = load_policy(path)
    assert policy.family_veto("legal") == 0.95 and policy.family_veto("fraud") == shipped.no_family_veto
    assert policy.trigger_specs()["legal"].no_family_veto == 0.95
    assert policy.trigger_specs(semantic=False)["legal"].no_family_veto is None
    assert triggers_digest(policy) != triggers_digest(shipped)


SAFETY = (
    "it gave me a burn and I ended up in hospital",
    "my child was hurt by it",
    "it caught fire in my kitchen",
)


def test_a_keyword_counts_only_where_its_sentence_means_the_family():
    """``keyword_min_score``: the word names the family, its sentence must score for it too."""
    others = (*ROUTINE, "can I book a delivery slot in the evening", "do you have it in blue")
    bar = TriggerFinder({"safety": TriggerSpec(("hospital",), SAFETY, keyword_min_score=0.3)}, others=others)
    open_ = TriggerFinder({"safety": TriggerSpec(("hospital",), SAFETY)}, others=others)
    calm = ["I work nights at the hospital. Can I book a delivery slot after 8pm?"]
    harm = ["The heater burnt my arm and I had to go to hospital."]
    found_calm, found_harm = bar.find_many([calm, harm])
    assert found_calm.vetoed == {"safety": ["hospital"]} and "safety" not in found_calm.families
    assert found_harm.keywords == {"safety": ["hospital"]}
    assert open_.find_many([calm])[0].keywords == {"safety": ["hospital"]}  # 0: no check


def test_a_family_keyword_bar_overrides_the_policy_s_and_changes_the_digest(tmp_path):
    from ticketbuddy.policy.drift import triggers_digest

    raw = yaml.safe_load(default_policy_path().read_text())
    shipped = load_policy()
    raw["triggers"]["legal"]["keyword_min_score"] = 0.0
    raw["keyword_min_score"] = 0.6
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    policy = load_policy(path)
    assert policy.family_keyword_bar("legal") == 0.0 and policy.family_keyword_bar("fraud") == 0.6
    assert policy.trigger_specs()["fraud"].keyword_min_score == 0.6
    assert policy.trigger_specs(semantic=False)["fraud"].keyword_min_score == 0.0
    assert triggers_digest(policy) != triggers_digest(shipped)


def test_the_model_does_not_count_a_keyword_the_veto_dropped():
    spec = TriggerSpec(("real person",), HUMAN, no_family_veto=0.6)
    X = pd.Series(
        [
            [Turn("customer", "What are your opening hours, real person or not?")],
            [Turn("customer", "Please, I want a real person now.")],
        ]
    )
    step = TriggerSignals({"human": spec}, others=ROUTINE).fit(X)
    counts = step.transform(X)[:, step.get_feature_names_out().tolist().index("trigger_human")]
    assert counts.tolist() == [0.0, 1.0]
