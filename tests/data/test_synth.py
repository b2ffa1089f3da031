"""Tests of the labelled ticket-history generator and of ``ticketbuddy data profile``."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.contract import DEFAULT_ROUTES
from ticketbuddy.data.cli import app
from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.data.synth import config_from_dict, generate, load_settings, write_history
from ticketbuddy.data.synth import phrases_common as common
from ticketbuddy.data.synth.bank import topics
from ticketbuddy.data.synth.config import DEFAULTS
from ticketbuddy.data.synth.customers import Profile
from ticketbuddy.data.synth.generate import BASE_DATE, SPAN_DAYS
from ticketbuddy.data.synth.grammar import count_phrasings, render
from ticketbuddy.data.synth.labels import decide
from ticketbuddy.data.synth.profile import profile_tickets
from ticketbuddy.data.synth.scenario import Act, Scenario
from ticketbuddy.features.triggers import KeywordMatcher
from ticketbuddy.policy.model import load_policy
from ticketbuddy.schemas import EARLIEST_TIME, LATEST_TIME, customer_text

pytestmark = pytest.mark.data

ROOT = Path(__file__).resolve().parents[2]
SYNTH_SOURCES = sorted((ROOT / "src" / "data" / "synth").glob("*.py"))
# Hand-written evaluation texts: the generator must cover their kind but never contain them.
HELD_OUT_TEXTS = (
    "I've been a customer for 3 years and spent thousands with you.",
    "My order for a corporate gift was supposed to arrive today and it hasn't.",
    "I've now sent 3 messages about this and no one has fixed anything.",
    "I'm going to post about this on Twitter if I don't hear back today.",
    "What time does your Manchester store open on Sundays?",
    "thanks, that fixed it",
)


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(load_policy().keyword_families())


@pytest.fixture(scope="module")
def report(synth_tickets, matcher) -> dict:
    return profile_tickets(synth_tickets, matcher.families)


def _rate(tickets) -> float:
    tickets = list(tickets)
    return sum(t.escalated for t in tickets) / len(tickets)


# --- reproducibility and contract -------------------------------------------------------------


def test_same_seed_gives_same_bytes_and_other_seed_differs(tmp_path):
    cfg = config_from_dict({})
    paths = [tmp_path / name for name in ("a.jsonl", "b.jsonl", "c.jsonl")]
    for path, seed in zip(paths, (5, 5, 6), strict=True):
        write_history(cfg, 300, seed, path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_every_line_is_a_valid_labelled_ticket(synth_path, synth_n):
    result = read_tickets(synth_path, labelled=True)
    assert result.rejects == []
    assert len(result.tickets) == synth_n
    for ticket in result.tickets:
        if ticket.escalated:
            assert ticket.priority in {"P1", "P2", "P3", "P4"} and ticket.route in DEFAULT_ROUTES
        else:
            assert ticket.priority is None and ticket.route is None
        assert ticket.messages[0].role == "customer"
        assert ticket.created_at.year == 2026


def test_times_are_fixed_and_ordered(synth_tickets):
    for ticket in synth_tickets[:500]:
        sent = [m.sent_at for m in ticket.messages]
        assert sent == sorted(sent) and sent[0] == ticket.created_at


def test_generated_times_lie_inside_the_contracts_window():
    # a history spans SPAN_DAYS from BASE_DATE; a conversation lasts hours, never a day
    assert EARLIEST_TIME <= BASE_DATE and BASE_DATE + timedelta(days=SPAN_DAYS + 1) < LATEST_TIME


# --- label process ---------------------------------------------------------------------------


def test_base_rate_lands_within_two_points(report):
    assert abs(report["escalation_rate"] - DEFAULTS["base_rate"]) <= 0.02


def test_base_rate_follows_the_setting():
    records = list(generate(config_from_dict({"base_rate": 0.35}), 2000, seed=3))
    assert abs(sum(r["escalated"] for r in records) / len(records) - 0.35) <= 0.03


def test_keywords_are_not_a_shortcut(report):
    assert report["escalated_without_trigger_keyword"] >= 0.25
    assert report["not_escalated_with_trigger_keyword"] >= 0.10


def test_customer_value_matters_for_mild_complaints_only(synth_tickets, report):
    effect = report["vip_vs_standard_mild_complaints"]
    assert effect["vip"]["escalation_rate"] - effect["standard"]["escalation_rate"] >= 0.15
    vip_questions = [
        t for t in synth_tickets if t.customer.tier == "vip" and t.metadata["topic"] in ("faq", "praise")
    ]
    assert len(vip_questions) >= 30
    assert _rate(vip_questions) <= 0.1  # only label noise escalates them


def test_trajectory_decides_without_keywords(synth_tickets, matcher):
    by_trajectory = defaultdict(list)
    for t in synth_tickets:
        by_trajectory[t.metadata["trajectory"]].append(t)
    assert _rate(by_trajectory["worsens"]) > _rate(by_trajectory["stays"])
    assert _rate(by_trajectory["stays"]) > _rate(by_trajectory["improves"])
    silent_worse = [
        t for t in by_trajectory["worsens"] if not t.metadata["acts"] and not matcher.find(customer_text(t))
    ]
    assert sum(t.escalated for t in silent_worse) >= 20


def test_angry_openings_that_end_resolved_stay_with_the_assistant(synth_tickets):
    resolved = [t for t in synth_tickets if t.metadata["resolved"]]
    angry_then_fixed = [t for t in resolved if t.metadata["moods"][0] <= -2]
    assert len(angry_then_fixed) >= 30
    assert _rate(resolved) <= 0.1


def _scenario(**changes) -> Scenario:
    bank = topics()
    facts = {
        "channel": "chat",
        "profile": Profile("C-1", "standard", 120.0, 40.0, 1, 0, "uk", "Ann", "Lee"),
        "returning": False,
        "topic": bank["delivery"],
        "intent": bank["delivery"].intents[0],
        "moods": [-1],
        "trajectory": "stays",
        "resolved": False,
    }
    facts.update(changes)
    return Scenario(**facts)


def _decision(sc: Scenario, cfg) -> tuple:
    labels = decide(sc, cfg)
    return labels.escalated, labels.priority, labels.route


def test_hidden_process_on_the_held_out_kinds():
    cfg = config_from_dict({})
    vip = Profile("C-2", "vip", 5000.0, 1100.0, 20, 0, "uk", "Bo", "Ray")
    late_gift = _scenario(profile=vip, moods=[-2], loyalty=True, deadline=True)
    assert _decision(late_gift, cfg) == (True, "P1", "senior_cx")
    public = _scenario(moods=[-1, -2, -2], acts=[Act("public", 2, True)])
    assert _decision(public, cfg) == (True, "P1", "senior_cx")
    faq = topics()["faq"]
    hours = _scenario(topic=faq, intent=faq.intents[0], moods=[0])
    assert decide(hours, cfg).escalated is False
    assert decide(_scenario(profile=vip, topic=faq, intent=faq.intents[0], moods=[0]), cfg).escalated is False


def test_hidden_process_directions():
    cfg = config_from_dict({})
    score = lambda sc: decide(sc, cfg).score  # noqa: E731
    calm = _scenario(moods=[-1, -1, -1])
    worse = _scenario(moods=[-1, -2, -3], trajectory="worsens")
    fixed = _scenario(moods=[-3, -1, 1], trajectory="improves", resolved=True)
    legal = _scenario(moods=[-1, -1, -1], acts=[Act("legal", 2, True)])
    assert score(worse) > score(calm) > score(fixed)
    assert score(legal) > score(calm) + 3


# --- language --------------------------------------------------------------------------------


def test_customer_messages_are_varied():
    texts = [
        m["text"]
        for r in generate(config_from_dict({}), 20000, seed=7)
        for m in r["messages"]
        if m["role"] == "customer"
    ]
    assert len(set(texts)) / len(texts) >= 0.9


def test_every_intent_has_thirty_phrasings():
    for topic in topics().values():
        for intent in topic.intents:
            assert count_phrasings(intent.problems) >= 30, intent.name


def test_single_messages_agents_and_missing_fields_occur(report, synth_tickets):
    assert report["single_message_share"] >= 0.1
    roles = Counter(m.role for t in synth_tickets for m in t.messages)
    assert roles["bot"] > 0 and roles["agent"] > 0
    for field, share in report["missing_customer_fields"].items():
        if field != "any":
            assert 0.03 <= share <= 0.12, field
    assert max(len([m for m in t.messages if m.role == "customer"]) for t in synth_tickets) >= 5


def test_customers_come_back_across_channels(synth_tickets):
    channels = defaultdict(set)
    for t in synth_tickets:
        if t.customer.customer_id:
            channels[t.customer.customer_id].add(t.channel)
    assert sum(len(c) > 1 for c in channels.values()) >= 50


def test_text_never_leaks_the_label(synth_tickets):
    teams = [team.name for team in load_policy().teams.values()]
    names = "|".join(re.escape(n) for n in [*DEFAULT_ROUTES, *teams])
    leak = re.compile(rf"escalat|\bpriority\b|\bP[1-4]\b|{names}", re.IGNORECASE)
    for ticket in synth_tickets:
        texts = [m.text for m in ticket.messages] + [ticket.subject or ""]
        assert not any(leak.search(text) for text in texts), ticket.ticket_id


def test_plain_phrasings_carry_no_keyword_and_keyword_ones_do(matcher):
    rng = random.Random(0)
    slots = defaultdict(lambda: "x")
    plain = common.HUMAN_PLAIN + common.PUBLIC_PLAIN + common.CHURN_PLAIN + common.LEGAL_PLAIN
    # What carries value, repetition and mood must not carry a keyword either.
    plain += common.LOYALTY + common.PRIOR_CONTACT + common.REPEAT_CONTACT + common.DEADLINE
    plain += common.EMBARRASSED + common.RESOLVED + common.IMPROVING
    keyword = common.HUMAN_KEYWORD + common.PUBLIC_KEYWORD + common.CHURN_KEYWORD + common.LEGAL_KEYWORD
    for template in plain:
        for _ in range(50):
            assert not matcher.find(render(template, rng, slots)), template
    for template in keyword:
        for _ in range(50):
            assert matcher.find(render(template, rng, slots)), template


def test_held_out_texts_are_not_in_the_generator():
    source = "\n".join(path.read_text(encoding="utf-8").lower() for path in SYNTH_SOURCES)
    for text in HELD_OUT_TEXTS:
        assert text.lower() not in source, text


# --- settings and drift ----------------------------------------------------------------------


def test_defaults_match_the_shipped_params():
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert params["synth"] == DEFAULTS


def test_sections_and_bad_settings(tmp_path):
    _, run = load_settings(ROOT / "params.yaml", section="synth_test")
    assert (run.n, run.seed) == (5000, 1007)
    with pytest.raises(ValueError, match="no 'nope' section"):
        load_settings(ROOT / "params.yaml", section="nope")
    with pytest.raises(ValueError, match="unknown"):
        config_from_dict({"topic_mix": {"weather": 1.0}})
    with pytest.raises(ValueError, match="unknown setting"):
        config_from_dict({"base_rat": 0.3})


def test_drift_adds_a_topic_and_shifts_tiers(synth_tickets):
    drifted = list(generate(config_from_dict({}, drifted=True), 2000, seed=11))
    topics_seen = Counter(r["metadata"]["topic"] for r in drifted)
    assert topics_seen["subscriptions"] / len(drifted) >= 0.1
    assert not any(t.metadata["topic"] == "subscriptions" for t in synth_tickets)
    vip_before = sum(t.customer.tier == "vip" for t in synth_tickets) / len(synth_tickets)
    vip_after = sum(r["customer"].get("tier") == "vip" for r in drifted) / len(drifted)
    assert vip_after >= vip_before + 0.04


def test_drift_changes_the_rule_for_the_shifted_topic_only():
    shifted = config_from_dict({}, drifted=True)
    unshifted = config_from_dict({"drift": {"rule_shift": {}}}, drifted=True)
    with_rule = list(generate(shifted, 3000, seed=12))
    without = list(generate(unshifted, 3000, seed=12))
    assert [r["messages"] for r in with_rule] == [r["messages"] for r in without]  # same tickets

    def rate(rows, topic):
        mine = [r["escalated"] for r in rows if r["metadata"]["topic"] == topic]
        return sum(mine) / len(mine)

    assert rate(with_rule, "subscriptions") >= rate(without, "subscriptions") + 0.2
    assert rate(with_rule, "delivery") == rate(without, "delivery")
    undrifted = config_from_dict({})
    assert list(generate(undrifted, 300, seed=5)) == list(
        generate(replace(undrifted, drift=unshifted.drift), 300, seed=5)
    )


@pytest.mark.parametrize(
    ("shift", "message"),
    [({"astrology": 1.0}, "unknown 'astrology'"), ({"faq": -1}, "from 0 to 10"), ([1], "a mapping")],
)
def test_a_bad_rule_shift_is_refused_naming_it(shift, message):
    with pytest.raises(ValueError, match="rule_shift") as refused:
        config_from_dict({"drift": {"rule_shift": shift}})
    assert message in str(refused.value)


# --- command line ----------------------------------------------------------------------------


def test_cli_synth_then_profile(tmp_path):
    runner = CliRunner()
    out = tmp_path / "t.jsonl"
    args = ["synth", "--n", "250", "--seed", "4", "--out", str(out), "--params", str(ROOT / "params.yaml")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 250

    table = runner.invoke(app, ["profile", str(out)])
    assert table.exit_code == 0, table.output
    assert "Escalation rate by topic" in table.output and "Keyword-only classifier" in table.output

    as_json = runner.invoke(app, ["profile", str(out), "--json"])
    assert as_json.exit_code == 0
    figures = json.loads(as_json.output)
    assert figures["tickets"] == 250 and figures["rows_rejected"] == 0
    assert set(figures["keyword_only_classifier"]) == {"precision", "recall", "f1"}


def test_cli_profile_refuses_a_file_without_tickets(tmp_path):
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["profile", str(blank)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {blank} holds no tickets: only 2 blank lines"


def test_cli_refuses_a_bad_params_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("synth:\n  base_rate: 3\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["synth", "--n", "5", "--params", str(bad), "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "base_rate" in result.output


def test_profile_reads_files_without_generator_metadata(tmp_path, matcher):
    row = {
        "ticket_id": "T-1",
        "channel": "email",
        "created_at": "2026-02-01T10:00:00Z",
        "messages": [{"role": "customer", "text": "I want a refund"}],
        "escalated": True,
        "priority": "P3",
        "route": "billing_disputes",
    }
    path = tmp_path / "imported.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["profile", str(path), "--json"])
    figures = json.loads(result.output)
    assert figures["by_topic"] == {} and figures["vip_vs_standard_mild_complaints"] is None
    assert figures["keyword_only_classifier"]["recall"] == 1.0
