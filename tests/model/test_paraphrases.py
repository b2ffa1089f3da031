"""Hand-written tickets the project did not generate: do the families hear them, and who escalates?

The sets in ``tests/fixtures/paraphrases/`` were written without the generator or the policy's examples
(see their README). Thresholds were set on ``dev.jsonl``; the figures asserted here are on
``test.jsonl``, as they fell, a few points below what was measured so that a regression fails while
run-to-run noise does not (the session's model is trained on 2,500 tickets, the shipped one on 20,000:
it escalates fewer positives). The issue's own targets (90 % of positives fire their family and escalate,
at most 5 % of hard negatives escalate) are not met yet (88.1 % and 10.4 % on this file with the
shipped model, each ticket scored alone as the service scores it); docs/EVALUATION.md gives the figures.
"""

from pathlib import Path

import pytest

from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.policy.calibrate import read_labels
from ticketbuddy.policy.model import load_policy
from ticketbuddy.train.paraphrases import evaluate_paraphrases, paraphrases_markdown

TEST_SET = Path(__file__).parents[1] / "fixtures" / "paraphrases" / "test.jsonl"


@pytest.fixture(scope="module")
def paraphrases():
    return read_tickets(TEST_SET).tickets, read_labels(TEST_SET)


@pytest.fixture(scope="module")
def rules_alone(paraphrases):
    tickets, labels = paraphrases
    policy = load_policy()
    return {s: evaluate_paraphrases(policy, None, tickets, labels, semantic=s) for s in (True, False)}


def test_the_examples_hear_what_the_keywords_miss(rules_alone):
    meaning, keywords = rules_alone[True]["positives"], rules_alone[False]["positives"]
    assert meaning["tickets"] >= 130
    assert meaning["fired"] / meaning["tickets"] >= FIRED_AT_LEAST
    assert keywords["fired"] / keywords["tickets"] <= 0.05  # written to avoid the keywords


def test_a_tickets_figures_do_not_depend_on_the_tickets_around_it(paraphrases):
    from ticketbuddy.features.memo import Memo

    tickets, labels = paraphrases
    policy = load_policy()
    Memo.forget_all()  # every sentence embedded afresh, with whatever shares its encoder call
    forward = evaluate_paraphrases(policy, None, tickets, labels)
    Memo.forget_all()
    backward = evaluate_paraphrases(policy, None, tickets[::-1], labels)
    backward["misses"].reverse()  # listed in the order the tickets came
    assert forward == backward  # each ticket scored alone, as /v1/score scores it


def test_the_misses_listed_are_exactly_the_tickets_the_figures_count_against(rules_alone):
    result = rules_alone[True]
    positives, negatives = result["positives"], result["negatives"]
    missed = [row for row in result["misses"] if row["wanted"]]
    escalated = [row for row in result["misses"] if not row["wanted"]]
    assert len(missed) == positives["tickets"] - positives["fired_and_escalated"] > 0
    assert len(escalated) == negatives["escalated"] > 0
    for row in missed:
        assert not (set(row["wanted"]) <= set(row["fired"]) and row["escalated"]), row
    for row in escalated:
        assert row["escalated"] and row["reasons"], row
    shown = paraphrases_markdown([result], misses=True)
    assert all(f"**{row['ticket_id']}**" in shown for row in result["misses"])
    assert escalated[0]["reasons"][0] in shown  # with the evidence that decided it
    assert "**" + missed[0]["ticket_id"] not in paraphrases_markdown([result])  # only when asked


def test_every_family_is_heard_at_least_three_times_in_five(rules_alone):
    for name, row in rules_alone[True]["families"].items():
        assert row["fired"] / row["tickets"] >= 0.6, name


def test_hard_negatives_rarely_fire_a_family_that_always_escalates(paraphrases):
    tickets, labels = paraphrases
    policy = load_policy()
    from ticketbuddy.policy.engine import PolicyEngine

    engine = PolicyEngine(policy)
    always = {n for n, f in policy.triggers.items() if f.escalate == "always"}
    negatives = [t for t in tickets if labels[t.ticket_id].triggers == ()]
    fired = sum(bool(always & set(engine.facts(t, None, None).triggers)) for t in negatives)
    assert len(negatives) >= 70
    assert fired / len(negatives) <= ALWAYS_ON_NEGATIVES_AT_MOST


def test_with_the_model_positives_escalate_and_hard_negatives_mostly_do_not(scorer, paraphrases):
    tickets, labels = paraphrases
    result = evaluate_paraphrases(scorer.policy, scorer.model, tickets, labels)
    escalated = result["positives"]["escalated"] / result["positives"]["tickets"]
    print(
        f"session model: positives escalated {escalated:.3f}, fired and escalated"
        f" {result['positives']['share']}, hard negatives {result['negatives']['share']}"
    )
    assert escalated >= ESCALATED_AT_LEAST
    assert result["positives"]["share"] >= FIRED_AT_LEAST
    assert result["negatives"]["share"] <= NEGATIVES_ESCALATED_AT_MOST


FIRED_AT_LEAST = 0.86
ALWAYS_ON_NEGATIVES_AT_MOST = 0.12
ESCALATED_AT_LEAST = 0.9
NEGATIVES_ESCALATED_AT_MOST = 0.16
